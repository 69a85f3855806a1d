/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>
#include <skalibs/uint64.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/log.h"
#include "common/maildir.h"
#include "common/maildirsize.h"
#include "common/rcpt.h"
#include "deliver.h"
#include "delivreq.h"
#include "hdrscan.h"

 /* Outcome of a request with several destinations (an alias with several
    targets): a temporary failure anywhere makes the whole answer Z, so
    queued retries the recipient and every destination is tried again:
    the copies already written are found by their tmp/ record and not
    written again (write_copy; with PH_DEDUPE_WINDOW=0, and in lmtpd,
    they are: at-least-once, an event=delivered line for each copy). Otherwise, if any
    destination got the message (or is forwarded), the answer is K and
    the permanent failures (mail loops) are only logged; if all failed
    permanently, D. Forwards (R lines) go only with K: a retry computes
    them again. */

 /* Duplicate suppression (common/maildir.h, maildir_deliver_once): a
    copy's tmp/ file is named after the queue id and hash of (requested
    recipient, final address, folder), linked into new/ and kept for
    PH_DEDUPE_WINDOW seconds, so a request queued sends again because
    our K was lost (deliverd or queued killed between the fsync of new/
    and the journal record) finds the copy and is answered K without a
    second one. The window must exceed the longest gap between two
    attempts of queued: PH_RETRY_MAX (1 h by default; a crash of queued
    itself makes it send again at once). Only for queued: lmtpd (which
    sets noforward, having no queue behind it) makes a fresh id per
    transaction, so its ids never come back; it keeps the unique names
    and rename(). 0 turns it off. */
#define DEDUPE_WINDOW_DEFAULT 7200
#define DEDUPE_WINDOW_MAX (30 * 86400)

typedef struct tally_s tally ;
struct tally_s
{
  unsigned int delivered ;
  unsigned int suppressed ;  /* of delivered: found written by an earlier attempt */
  unsigned int forwarded ;
  unsigned int permfail ;
  unsigned int tempfail ;
  int temperrno ;            /* errno of the first temporary failure */
  int overquota ;            /* ... which was the quota of the Maildir */
  char const *permtext ;     /* text of the first permanent failure */
  size_t firstwhere ;        /* in ctx->where: the first Maildir written */
} ;

static void log_outcome (char const *event, delivreq const *req, char const *to, char const *k, char const *v, char const *reason)
{
  logline l ;
  log_begin(&l, event) ;
  log_kv(&l, "qid", req->qid) ;
  log_kv(&l, "rcpt", req->rcpt) ;
  if (to) log_kv(&l, "to", to) ;
  if (k) log_kv(&l, k, v) ;
  if (reason) log_kv(&l, "reason", reason) ;
  log_commit(&l) ;
}

static int reply_put (stralloc *reply, char tag, char const *s1, char const *s2)
{
  return stralloc_catb(reply, &tag, 1)
   && stralloc_cats(reply, s1)
   && (!s2 || stralloc_cats(reply, s2))
   && stralloc_0(reply) ;
}

 /* RFC 3463: X.2.2 mailbox full, X.3.1 mail system full, X.3.0 other. */
static char const *temp_code (int e)
{
  switch (e)
  {
    case EDQUOT :
    case EFBIG : return "4.2.2 mailbox full: " ;
    case ENOSPC : return "4.3.1 mail system full: " ;
    default : return "4.3.0 local delivery failed: " ;
  }
}

 /* The header section, at most HDRSCAN_MAX bytes, from offset 0. */
static int read_header (int msgfd, stralloc *sa)
{
  sa->len = 0 ;
  while (sa->len < HDRSCAN_MAX)
  {
    size_t want = HDRSCAN_MAX - sa->len ;
    size_t from = sa->len >= 2 ? sa->len - 2 : 0 ;
    ssize_t r ;
    if (want > 65536) want = 65536 ;
    if (!stralloc_readyplus(sa, want)) return 0 ;
    r = pread(msgfd, sa->s + sa->len, want, (off_t)sa->len) ;
    if (r == -1)
    {
      if (errno == EINTR) continue ;
      return 0 ;
    }
    if (!r) break ;
    sa->len += r ;
    if ((sa->s[0] == '\n') || memmem(sa->s + from, sa->len - from, "\n\n", 2) || memmem(sa->s + from, sa->len - from, "\n\r\n", 3)) break ;
  }
  return 1 ;
}

static int dedupe_setup (deliverctx *ctx)
{
  uint64_t u ;
  if (ctx->dedupe >= 0) return 1 ;
  if (ctx->noforward)
  {
    ctx->dedupe = 0 ;
    return 1 ;
  }
  if (!config_get_uint("PH_DEDUPE_WINDOW", DEDUPE_WINDOW_DEFAULT, &u) || u > DEDUPE_WINDOW_MAX) return 0 ;
  ctx->dedupe_window = (unsigned int)u ;
  ctx->dedupe = !!u ;
  return 1 ;
}

 /* The tmp/ record name of this copy for duplicate suppression. */
static int once_name (deliverctx *ctx, delivreq const *req, char const *addr, char const *folder, char *name)
{
  ctx->oncekey.len = 0 ;
  if (!stralloc_cats(&ctx->oncekey, req->rcpt)
   || !stralloc_0(&ctx->oncekey)
   || !stralloc_cats(&ctx->oncekey, addr)
   || !stralloc_0(&ctx->oncekey)
   || !stralloc_cats(&ctx->oncekey, folder)) return 0 ;
  if (!maildir_oncename(name, req->qid, ctx->oncekey.s, ctx->oncekey.len)) return (errno = EINVAL, 0) ;
  return 1 ;
}

 /* Did an earlier attempt of this request write this copy (the record
    maildir_deliver_once looks for: 2 links or more, the size this copy
    would have)? Such a copy is already in the Maildir's usage: the
    quota must not refuse it, or a retry after another destination's
    failure would defer, then bounce, a message that was delivered. */
static int written_before (deliverctx *ctx, delivreq const *req, char const *addr, char const *maildir, char const *folder, uint64_t size)
{
  char name[MAILDIR_ONCENAME_MAX + 1] ;
  char path[MAILDIR_PATH_MAX + MAILDIR_FOLDER_MAX + 8] ;
  size_t mlen = strlen(maildir), flen = strlen(folder), n = 0 ;
  struct stat st ;
  int tmpfd, r ;
  if (ctx->dedupe <= 0 || !once_name(ctx, req, addr, folder, name)) return 0 ;
  if (mlen > MAILDIR_PATH_MAX || flen > MAILDIR_FOLDER_MAX) return 0 ;
   /* looked at, not made: a refused message creates no folder */
  memcpy(path, maildir, mlen) ; n = mlen ;
  if (flen)
  {
    memcpy(path + n, "/.", 2) ; n += 2 ;
    memcpy(path + n, folder, flen) ; n += flen ;
  }
  memcpy(path + n, "/tmp", 5) ;
  tmpfd = maildir_opendir_beneath(ctx->rootfd, path) ;
  if (tmpfd == -1) return 0 ;
  r = !fstatat(tmpfd, name, &st, AT_SYMLINK_NOFOLLOW)
    && S_ISREG(st.st_mode) && st.st_nlink >= 2 && (uint64_t)st.st_size == size ;
  fd_close(tmpfd) ;
  return r ;
}

 /* Delivers one copy, suppressing it when an earlier attempt of the same
    request wrote it. 1 written, 2 found, 0 failed (errno). */
static int write_copy (deliverctx *ctx, delivreq const *req, char const *addr, char const *maildir, char const *folder, int msgfd)
{
  char name[MAILDIR_ONCENAME_MAX + 1] ;
  int r ;
  if (ctx->dedupe <= 0)
    return maildir_deliver(ctx->rootfd, maildir, folder, ctx->host, ctx->added.s, ctx->added.len, msgfd, 0, &ctx->where) ;
  if (!once_name(ctx, req, addr, folder, name)) return 0 ;
  r = maildir_deliver_once(ctx->rootfd, maildir, folder, ctx->host, ctx->added.s, ctx->added.len, msgfd, 0, name, &ctx->where) ;
   /* Cleaning after ourselves comes after the copy is safe; its failure
      costs disk space, not mail, so it is only logged. */
  if (r && maildir_once_sweep(ctx->rootfd, maildir, folder, ctx->dedupe_window, time(0)) == -1)
  {
    logline l ;
    log_begin(&l, "sweep_failed") ;
    log_kv(&l, "qid", req->qid) ;
    log_kv(&l, "maildir", maildir) ;
    if (*folder) log_kv(&l, "folder", folder) ;
    log_kv(&l, "reason", strerror(errno)) ;
    log_commit(&l) ;
  }
  return r ;
}

 /* Dovecot's rule with its quota_grace (docker-mailserver: 10%): a
    message fits if it stays within the quota, or if the Maildir is under
    its quota and the message takes it over by no more than the grace.
    So the last message that arrives in time goes in whole, the Maildir
    is then over quota, and from then on smtpd refuses at RCPT (Postfix
    with Dovecot's quota-status service does the same), rather than
    every message after the first one that does not fit waiting in the
    queue until it bounces. PH_QUOTA_GRACE=0 makes the quota strict. */
static int quota_fits (uint64_t usage, uint64_t size, uint64_t quota, unsigned int gracepct)
{
  uint64_t grace = quota / 100 * gracepct + quota % 100 * gracepct / 100 ;
  if (usage <= quota && size <= quota - usage) return 1 ;
  if (usage >= quota) return 0 ;
  return size - (quota - usage) <= grace ;
}

static void log_quota (delivreq const *req, char const *to, char const *maildir, uint64_t usage, uint64_t size, uint64_t quota)
{
  char fu[UINT64_FMT], fs[UINT64_FMT], fq[UINT64_FMT] ;
  logline l ;
  fu[uint64_fmt(fu, usage)] = 0 ;
  fs[uint64_fmt(fs, size)] = 0 ;
  fq[uint64_fmt(fq, quota)] = 0 ;
  log_begin(&l, "deferred") ;
  log_kv(&l, "qid", req->qid) ;
  log_kv(&l, "rcpt", req->rcpt) ;
  log_kv(&l, "to", to) ;
  log_kv(&l, "maildir", maildir) ;
  log_kv(&l, "reason", "mailbox full") ;
  log_kv(&l, "usage", fu) ;
  log_kv(&l, "size", fs) ;
  log_kv(&l, "quota", fq) ;
  log_commit(&l) ;
}

 /* The quota status smtpd reads (common/maildirsize.h): a failure to
    write it costs only the early 452 at RCPT, so it is logged and the
    delivery goes on. */
static void status_update (deliverctx *ctx, char const *maildir, uint64_t usage, uint64_t quota)
{
  int ok ;
  if (ctx->quotafd < 0) return ;
  ok = usage >= quota ? maildirsize_status_set(ctx->quotafd, maildir, usage, quota)
                      : maildirsize_status_clear(ctx->quotafd, maildir) ;
  if (!ok) log_event2("quota_status_error", "maildir", maildir, "reason", strerror(errno)) ;
}

static void deliver_local (deliverctx *ctx, delivreq const *req, rcptdest const *d, int msgfd, uint64_t msgsize, tally *t)
{
  char const *addr = ctx->storage.s + d->addr ;
  char const *maildir = ctx->storage.s + d->maildir ;
  char const *tag = ctx->storage.s + d->folder ;
  char const *folder = "" ;
  size_t wherepos = ctx->where.len ;
  maildirsize usage = MAILDIRSIZE_ZERO ;
  uint64_t size ;
  int mdfd = -1 ;

  if (hdrscan_delivered_to(ctx->header.s, ctx->header.len, addr, strlen(addr)))
  {
    log_outcome("failed", req, addr, "maildir", maildir, "mail loop: already delivered to this address") ;
    if (!t->permfail++) t->permtext = "5.4.6 mail loop: already delivered to this address" ;
    return ;
  }

   /* By default a +tag only shows in Delivered-To and the mail goes to
      INBOX, as docker-mailserver delivers it (Dovecot's
      lmtp_save_to_detail_mailbox = no): a folder chosen by the sender is
      the user's opt-in, and never a special-use one (maildir_folder_find). */
  ctx->folder.len = 0 ;
   /* A filter's junk verdict (XFOLDER=Junk from queued) wins over a tag:
      the folder is created if missing, as Dovecot's sieve fileinto does. */
  if (req->folder) folder = req->folder ;
  else if (*tag && ctx->tag_to_folder)
  {
    int r = maildir_folder_find(ctx->rootfd, maildir, tag, &ctx->folder) ;
    if (r < 0) goto tempfail ;
    if (r) folder = ctx->folder.s ;
  }

   /* RFC 5321 4.4: the final delivery adds Return-Path; Delivered-To
      (qmail, Postfix) is what the loop check above looks for. */
  ctx->added.len = 0 ;
  if (!stralloc_cats(&ctx->added, "Return-Path: <")
   || !stralloc_cats(&ctx->added, req->sender)
   || !stralloc_cats(&ctx->added, ">\nDelivered-To: ")
   || !stralloc_cats(&ctx->added, addr)
   || !stralloc_catb(&ctx->added, "\n", 1)) goto tempfail ;
  size = msgsize + ctx->added.len ;   /* the ,S= of the file to be */

   /* Maildir++ quota (common/maildirsize.h), for the whole Maildir
      whatever the folder: a message that would take it over the quota
      waits in the queue (RFC 3463 4.2.2, as Dovecot's LMTP answers), and
      bounces when the queue lifetime ends. */
  if (d->quota)
  {
    mdfd = maildir_make(ctx->rootfd, maildir, "") ;
    if (mdfd == -1 || !maildirsize_usage(mdfd, d->quota, size, 0, &usage)) goto tempfail ;
    if (!quota_fits(usage.bytes, size, d->quota, ctx->quotagrace)
     && !written_before(ctx, req, addr, maildir, folder, size))
    {
      status_update(ctx, maildir, usage.bytes, d->quota) ;
      fd_close(mdfd) ;
      log_quota(req, addr, maildir, usage.bytes, size, d->quota) ;
      if (!t->tempfail++) { t->temperrno = EDQUOT ; t->overquota = 1 ; }
      return ;
    }
  }

  switch (write_copy(ctx, req, addr, maildir, folder, msgfd))
  {
    case 0 : goto tempfail ;
    case 2 :
      log_outcome("duplicate_suppressed", req, addr, "maildir", ctx->where.s + wherepos, "already delivered by an earlier attempt") ;
      t->suppressed++ ;
      if (!t->delivered++) t->firstwhere = wherepos ;
      if (mdfd >= 0) fd_close(mdfd) ;
      return ;   /* counted when it was written */
    default :
      log_outcome("delivered", req, addr, "maildir", ctx->where.s + wherepos, 0) ;
      break ;
  }
  if (!t->delivered++) t->firstwhere = wherepos ;

   /* README.maildirquota: one line per message, after the rename. A
      Maildir without a quota is counted too when it has a maildirsize
      (someone else keeps one: keep it true). Failing here loses nothing:
      the file is removed and the next reader recalculates. */
  if (mdfd == -1) mdfd = maildir_opendir_beneath(ctx->rootfd, maildir) ;
  if (mdfd >= 0)
  {
    if (!maildirsize_append(mdfd, size > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)size, 1))
      log_event2("quota_count_error", "maildir", maildir, "reason", strerror(errno)) ;
    fd_close(mdfd) ;
  }
  if (d->quota) status_update(ctx, maildir, usage.bytes + size, d->quota) ;
  return ;

 tempfail:
  {
    int e = errno ;
    if (mdfd >= 0) fd_close(mdfd) ;
    errno = e ;
  }
  ctx->where.len = wherepos ;
  log_outcome("deferred", req, addr, "maildir", maildir, strerror(errno)) ;
  if (!t->tempfail++) t->temperrno = errno ;
}

static int answer_k (deliverctx *ctx, delivreq const *req, tally const *t, stralloc *reply)
{
  rcptdest const *d = genalloc_s(rcptdest, &ctx->dests) ;
  size_t n = genalloc_len(rcptdest, &ctx->dests) ;
  char fmt1[UINT_FMT], fmt2[UINT_FMT] ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char const *addr = ctx->storage.s + d[i].addr ;
    if (d[i].kind != RCPT_REMOTE) continue ;
    if (!reply_put(reply, 'R', addr, 0)) return 0 ;
    log_outcome("forwarded", req, addr, 0, 0, 0) ;
  }
  if (t->delivered == 1 && !t->forwarded)
    return reply_put(reply, 'K', t->suppressed ? "2.0.0 already delivered maildir=" : "2.0.0 delivered maildir=", ctx->where.s + t->firstwhere) ;
  fmt1[uint_fmt(fmt1, t->delivered)] = 0 ;
  fmt2[uint_fmt(fmt2, t->forwarded)] = 0 ;
  return stralloc_cats(reply, "K2.0.0 delivered to ")
   && stralloc_cats(reply, fmt1)
   && stralloc_cats(reply, " mailbox(es), forwarded to ")
   && stralloc_cats(reply, fmt2)
   && stralloc_cats(reply, " address(es)")
   && stralloc_0(reply) ;
}

static char const *expand_error (int e)
{
  switch (e)
  {
    case ELOOP : return "4.4.6 alias loop, or aliases nested deeper than 10" ;
    case E2BIG : return "4.3.0 alias expansion too large" ;
    case EINVAL : return "4.3.0 invalid entry in the recipient maps" ;
    case ENOENT : return "4.3.0 recipient map missing (domains.cdb or users.cdb)" ;
    default : return "4.3.0 recipient lookup failed" ;
  }
}

int deliver_request (deliverctx *ctx, delivreq const *req, int msgfd, stralloc *reply)
{
  mailaddr a ;
  char key[ADDR_PATH_MAX + 3] ;
  size_t keylen ;
  tally t = { .delivered = 0 } ;
  uint64_t msgsize ;
  rcptdest const *d ;
  size_t n ;
  int r ;

  reply->len = 0 ;
  genalloc_setlen(rcptdest, &ctx->dests, 0) ;
  ctx->storage.len = 0 ;
  ctx->unknown.len = 0 ;
  ctx->where.len = 0 ;
  ctx->header.len = 0 ;

  if (!addr_parse_mailbox(req->rcpt, strlen(req->rcpt), &a, ADDR_UTF8_OK | ADDR_LIMITS_LAX))
  {
    log_outcome("failed", req, 0, 0, 0, "invalid recipient address") ;
    return reply_put(reply, 'D', "5.1.3 invalid recipient address", 0) ;
  }
  keylen = addr_key(&a, key) ;

  if (!dedupe_setup(ctx))
  {
    log_outcome("deferred", req, key, 0, 0, "invalid PH_DEDUPE_WINDOW: seconds, at most 30 days, 0 for off") ;
    return reply_put(reply, 'Z', "4.3.5 local delivery misconfigured: invalid PH_DEDUPE_WINDOW", 0) ;
  }

   /* R lines are for alias targets only: a recipient outside our domains
      reached local delivery by mistake (queued routes remote ones
      elsewhere). Handing it back with R would loop; D would lose it. Z
      keeps it queued until the routing is fixed: RFC 3463 X.3.5, system
      incorrectly configured. */
  r = rcpt_domain_local(&ctx->maps, key, keylen) ;
  if (r < 0)
  {
    char const *text = expand_error(errno) ;
    if (errno == ENOMEM) return 0 ;
    log_outcome("deferred", req, key, 0, 0, text + 6) ;
    return reply_put(reply, 'Z', text, 0) ;
  }
  if (!r)
  {
    log_outcome("misrouted", req, key, 0, 0, "not a local domain: queued must not route this recipient to local delivery; left in the queue") ;
    return reply_put(reply, 'Z', "4.3.5 not a local recipient: misrouted to local delivery", 0) ;
  }

  r = rcpt_expand_report(&ctx->maps, key, keylen, &ctx->dests, &ctx->storage, &ctx->unknown) ;
  for (size_t i = 0 ; i < ctx->unknown.len ; i += strlen(ctx->unknown.s + i) + 1)
    log_outcome("unknown_target", req, ctx->unknown.s + i, 0, 0, "alias target is no user") ;
  if (r < 0)
  {
    char const *text = expand_error(errno) ;
    if (errno == ENOMEM) return 0 ;
    log_outcome("deferred", req, key, 0, 0, text + 6) ;
    return reply_put(reply, 'Z', text, 0) ;
  }
  if (!r)
  {
    log_outcome("failed", req, key, 0, 0, "unknown user") ;
    return reply_put(reply, 'D', "5.1.1 unknown user", 0) ;
  }

  d = genalloc_s(rcptdest, &ctx->dests) ;
  n = genalloc_len(rcptdest, &ctx->dests) ;

   /* lmtpd has no queue to hand a forward to. It refuses such a
      recipient at RCPT already; this catches the maps changing between
      RCPT and DATA, before a single copy is written, so that nothing is
      half delivered. RFC 3463 X.3.5: not configured to take it. */
  if (ctx->noforward)
    for (size_t i = 0 ; i < n ; i++)
      if (d[i].kind == RCPT_REMOTE)
      {
        log_outcome("failed", req, ctx->storage.s + d[i].addr, 0, 0, "alias forwards outside the local domains and this delivery agent cannot forward") ;
        return reply_put(reply, 'D', "5.3.5 alias forwards outside the local domains: not deliverable here", 0) ;
      }

  {
    struct stat st ;
    if (!read_header(msgfd, &ctx->header) || fstat(msgfd, &st) == -1)
    {
      log_outcome("deferred", req, key, 0, 0, strerror(errno)) ;
      return reply_put(reply, 'Z', "4.3.0 cannot read the queued message: ", strerror(errno)) ;
    }
    msgsize = (uint64_t)st.st_size ;
  }

   /* A loop through other hosts or forwarding aliases adds a Received or
      a Delivered-To at each turn: past the limit it is refused for good,
      forwards included (Postfix's hopcount_limit, qmail's "too many
      hops"; RFC 3463 5.4.6 routing loop). */
  {
    unsigned int hops = hdrscan_hops(ctx->header.s, ctx->header.len, ctx->maxhops + 1) ;
    if (hops > ctx->maxhops)
    {
      log_outcome("failed", req, key, 0, 0, "too many hops: more Received and Delivered-To fields than PH_MAX_HOPS") ;
      return reply_put(reply, 'D', "5.4.6 too many hops", 0) ;
    }
  }

  for (size_t i = 0 ; i < n ; i++)
  {
    if (d[i].kind == RCPT_LOCAL) deliver_local(ctx, req, d + i, msgfd, msgsize, &t) ;
    else t.forwarded++ ;
  }

  if (t.tempfail)
  {
    if (t.overquota) return reply_put(reply, 'Z', "4.2.2 mailbox full", 0) ;
    return reply_put(reply, 'Z', temp_code(t.temperrno), strerror(t.temperrno)) ;
  }
  if (!t.delivered && !t.forwarded)
    return reply_put(reply, 'D', t.permtext, 0) ;
  return answer_k(ctx, req, &t, reply) ;
}
