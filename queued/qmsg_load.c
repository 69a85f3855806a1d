/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "queued/qrec.h"
#include "queued/qdsn.h"
#include "queued/qmsg.h"

/* Reads dirfd/name whole, refusing more than max bytes.
 * Returns 1 (and *missing if it does not exist), 0 on error, -1 too big. */
static int slurp_at (int dirfd, char const *name, size_t max, stralloc *sa, int *missing)
{
  struct stat st ;
  size_t r ;
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC) ;
  *missing = 0 ;
  if (fd < 0)
  {
    if (errno != ENOENT) return 0 ;
    *missing = 1 ;
    return 1 ;
  }
  if (fstat(fd, &st) < 0) goto err ;
  if ((uint64_t)st.st_size > max) { fd_close(fd) ; return -1 ; }
  if (!stralloc_ready(sa, (size_t)st.st_size)) goto err ;
  errno = 0 ;
  r = allread(fd, sa->s, (size_t)st.st_size) ;
  if (r < (size_t)st.st_size && errno) goto err ;
  sa->len = r ;
  fd_close(fd) ;
  return 1 ;
 err:
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return 0 ;
}

static int u64_exact (char const *s, size_t len, uint64_t *u)
{
  if (!len || len > 20) return 0 ;
  for (size_t i = 0 ; i < len ; i++) if (s[i] < '0' || s[i] > '9') return 0 ;
  return uint64_scan(s, u) == len ;
}

/* An RCPT parameter of the last recipient (RFC 3461 NOTIFY, ORCPT). A
 * value that does not parse is ignored: the recipient gets the default,
 * as if the client had not sent it. 0 only on ENOMEM. */
static int rcpt_param (qmsg *m, char const *s, size_t len)
{
  qrcpt *r = qmsg_rcpt(m, qmsg_nrcpt(m) - 1) ;
  char const *v, *t, *a ;
  size_t vlen, tlen, alen ;
  if (qdsn_param(s, len, "NOTIFY", &v, &vlen))
  {
    unsigned char bits ;
    if (qdsn_notify(v, vlen, &bits)) r->notify = bits ;
  }
  else if (qdsn_param(s, len, "ORCPT", &v, &vlen) && qdsn_orcpt(v, vlen, &t, &tlen, &a, &alen))
  {
    r->orcpt = qmsg_keep(m, v, vlen) ;
    if (r->orcpt == QNONE) return 0 ;
  }
  return 1 ;
}

/* A MAIL parameter: RET, ENVID, BODY, SMTPUTF8, REQUIRETLS; the others
 * matter to nobody after the queue. 0 only on ENOMEM. */
static int mail_param (qmsg *m, char const *s, size_t len)
{
  char const *v ;
  size_t vlen ;
  if (qdsn_param(s, len, "RET", &v, &vlen))
  {
    if (vlen == 4 && !strncasecmp(v, "FULL", 4)) m->ret = 1 ;
    else if (vlen == 4 && !strncasecmp(v, "HDRS", 4)) m->ret = 2 ;
  }
  else if (qdsn_param(s, len, "ENVID", &v, &vlen))
  {
    if (vlen && qdsn_xtext_valid(v, vlen))
    {
      m->envid = qmsg_keep(m, v, vlen) ;
      if (m->envid == QNONE) return 0 ;
    }
  }
  else if (qdsn_param(s, len, "BODY", &v, &vlen))
  {
    if (vlen == 8 && !strncasecmp(v, "8BITMIME", 8)) m->body = 1 ;
    else if (vlen == 10 && !strncasecmp(v, "BINARYMIME", 10)) m->body = 2 ;
  }
  else if (len == 8 && !strncasecmp(s, "SMTPUTF8", 8)) m->smtputf8 = 1 ;
  else if (len == 10 && !strncasecmp(s, "REQUIRETLS", 10)) m->requiretls = 1 ;
  return 1 ;
}

/* The envelope: written once by queued-inject, fsynced before the commit,
 * so anything short of a perfect file is damage, never a torn write. */
static int parse_env (qmsg *m, char const *s, size_t len, char const *qid, char const **why)
{
  size_t pos = 0 ;
  unsigned int n = 0 ;
  int havesender = 0, havesize = 0, havetime = 0, ended = 0 ;
  while (pos < len)
  {
    qrec r ;
    ssize_t k = qrec_parse(s + pos, len - pos, &r) ;
    if (k <= 0) { *why = "malformed envelope record" ; return QLOAD_CORRUPT ; }
    pos += k ;
    if (ended) { *why = "bytes after the envelope end record" ; return QLOAD_CORRUPT ; }
    if (!n++)
    {
      if (r.type != 'V' || r.len != 1 || r.s[0] != '1') { *why = "unknown envelope version" ; return QLOAD_CORRUPT ; }
      continue ;
    }
    switch (r.type)
    {
      case 'I' :
        if (r.len != strlen(qid) || memcmp(r.s, qid, r.len)) { *why = "envelope names another queue id" ; return QLOAD_CORRUPT ; }
        break ;
      case 'W' :
        if (!u64_exact(r.s, r.len, &m->arrival)) { *why = "bad arrival time" ; return QLOAD_CORRUPT ; }
        havetime = 1 ;
        break ;
      case 'F' :
        if (havesender || m->sa.len) { *why = "sender not first or twice" ; return QLOAD_CORRUPT ; }
        if (memchr(r.s, 0, r.len)) { *why = "NUL in sender" ; return QLOAD_CORRUPT ; }
        if (!stralloc_catb(&m->sa, r.s, r.len) || !stralloc_0(&m->sa)) return QLOAD_SYSERR ;
        havesender = 1 ;
        break ;
      case 'T' :
        if (!havesender || !r.len || memchr(r.s, 0, r.len)) { *why = "bad recipient record" ; return QLOAD_CORRUPT ; }
        if (!qmsg_add_rcpt(m, r.s, r.len))
        {
          if (errno == ENOBUFS) { *why = "too many recipients" ; return QLOAD_CORRUPT ; }
          return QLOAD_SYSERR ;
        }
        break ;
      case 'N' :
        if (qmsg_nrcpt(m) && !rcpt_param(m, r.s, r.len)) return QLOAD_SYSERR ;
        break ;
      case 'M' :
        if (!mail_param(m, r.s, r.len)) return QLOAD_SYSERR ;
        break ;
      case 'H' : case 'C' : case 'U' : case 'P' :
      {
        size_t off ;
        if (memchr(r.s, 0, r.len)) break ;   /* not ours to judge: ignore it */
        off = qmsg_keep(m, r.s, r.len) ;
        if (off == QNONE) return QLOAD_SYSERR ;
        if (r.type == 'H') m->helo = off ;
        else if (r.type == 'C') m->client = off ;
        else if (r.type == 'U') { m->user = off ; m->outbound = 1 ; }
        else
        {
          m->proto = off ;
          /* RFC 3848, RFC 6531 3.7.3: the A in ESMTPA, ESMTPSA,
           * UTF8SMTPA, UTF8SMTPSA says authenticated;
           * LOCAL is a local submission (sendmail). */
          if ((r.len == 6 && !strncasecmp(r.s, "ESMTPA", 6)) || (r.len == 7 && !strncasecmp(r.s, "ESMTPSA", 7))
           || (r.len == 9 && !strncasecmp(r.s, "UTF8SMTPA", 9)) || (r.len == 10 && !strncasecmp(r.s, "UTF8SMTPSA", 10))
           || (r.len == 5 && !strncasecmp(r.s, "LOCAL", 5)))
            m->outbound = 1 ;
        }
        break ;
      }
      case 'X' :
        if (r.len == 10 && !memcmp(r.s, "DSN=bounce", 10)) m->dsn = QDSN_BOUNCE ;
        else if (r.len == 10 && !memcmp(r.s, "DSN=double", 10)) m->dsn = QDSN_DOUBLE ;
        else if (r.len >= 5 && !strncasecmp(r.s, "HOLD=", 5) && !memchr(r.s, 0, r.len))
        {
          m->holdreason = qmsg_keep(m, r.s + 5, r.len - 5) ;
          if (m->holdreason == QNONE) return QLOAD_SYSERR ;
        }
        break ;
      case 'S' :
        if (!u64_exact(r.s, r.len, &m->size)) { *why = "bad size record" ; return QLOAD_CORRUPT ; }
        havesize = 1 ;
        break ;
      case 'E' :
        if (r.len) { *why = "bad end record" ; return QLOAD_CORRUPT ; }
        ended = 1 ;
        break ;
      default :
        *why = "unknown envelope record" ;
        return QLOAD_CORRUPT ;
    }
  }
  if (!ended) { *why = "envelope has no end record" ; return QLOAD_CORRUPT ; }
  if (!havesender || !qmsg_nrcpt(m) || !havesize || !havetime) { *why = "incomplete envelope" ; return QLOAD_CORRUPT ; }
  return QLOAD_OK ;
}

/* Parses "<index>" (K, P) or "<index> <text>" (D); checks index < max. */
static int journal_index (qrec const *r, size_t max, size_t *idx)
{
  size_t n = 0 ;
  uint64_t u = 0 ;
  while (n < r->len && r->s[n] >= '0' && r->s[n] <= '9') n++ ;
  if (!n || n > 10) return 0 ;
  if (r->type != 'D' ? n != r->len : (n + 1 >= r->len || r->s[n] != ' ')) return 0 ;
  if (!u64_exact(r->s, n, &u) || u >= max) return 0 ;
  *idx = (size_t)u ;
  return 1 ;
}

/* F: "deliver" or "junk", then " <size of fmess>" when the filters added
 * headers. Sets *junk and *fsize (0: no fmess). */
static int journal_filter (qrec const *r, unsigned char *junk, uint64_t *fsize)
{
  size_t n = 0 ;
  while (n < r->len && r->s[n] != ' ') n++ ;
  if (n == 7 && !memcmp(r->s, "deliver", 7)) *junk = 0 ;
  else if (n == 4 && !memcmp(r->s, "junk", 4)) *junk = 1 ;
  else return 0 ;
  *fsize = 0 ;
  if (n == r->len) return 1 ;
  return u64_exact(r->s + n + 1, r->len - n - 1, fsize) && *fsize ;
}

/* The state journal: complete transactions only. A transaction that does
 * not end with E0:, or that does not make sense, and everything after
 * it, never happened: the state changes in it were not yet durable when
 * queued stopped, so nobody relied on them (docs/queue.md). Returns the
 * length of the valid prefix, or -1 on ENOMEM. */
static ssize_t parse_journal (qmsg *m, char const *s, size_t len)
{
  size_t good = 0 ;
  while (good < len)
  {
    size_t p = good ;
    size_t adds = 0 ;
    int ok = 0 ;
    char prev = 0 ;
    for (;;)
    {
      qrec r ;
      size_t idx ;
      unsigned char junk ;
      uint64_t fsize ;
      ssize_t k = qrec_parse(s + p, len - p, &r) ;
      if (k <= 0) break ;
      p += k ;
      if (r.type == 'E') { ok = !r.len ; break ; }
      switch (r.type)
      {
        case 'R' :
          if (!r.len || memchr(r.s, 0, r.len) || qmsg_nrcpt(m) + ++adds > QMSG_RCPT_MAX) goto bad ;
          break ;
        case 'P' :   /* the parent of the R just before: an older recipient */
          if (prev != 'R' || !journal_index(&r, qmsg_nrcpt(m) + adds - 1, &idx)) goto bad ;
          break ;
        case 'K' : case 'D' :
          if (!journal_index(&r, qmsg_nrcpt(m) + adds, &idx)) goto bad ;
          break ;
        case 'F' :
          if (!journal_filter(&r, &junk, &fsize)) goto bad ;
          break ;
        case 'H' :
          if (r.len != 1 || (r.s[0] != '0' && r.s[0] != '1')) goto bad ;
          break ;
        case 'W' :
          if (r.len) goto bad ;
          break ;
        default : goto bad ;
      }
      prev = r.type ;
    }
   bad:
    if (!ok) break ;
    /* Valid: apply it. */
    while (good < p)
    {
      qrec r ;
      size_t idx ;
      good += qrec_parse(s + good, p - good, &r) ;
      switch (r.type)
      {
        case 'R' :
          if (!qmsg_add_rcpt(m, r.s, r.len)) return -1 ;
          break ;
        case 'P' :
          journal_index(&r, qmsg_nrcpt(m) - 1, &idx) ;
          qmsg_rcpt(m, qmsg_nrcpt(m) - 1)->parent = idx ;
          break ;
        case 'K' : case 'D' :
        {
          qrcpt *rc ;
          journal_index(&r, qmsg_nrcpt(m), &idx) ;
          rc = qmsg_rcpt(m, idx) ;
          if (rc->state == QRCPT_PENDING) m->npending-- ;
          rc->state = r.type == 'K' ? QRCPT_DONE : QRCPT_FAILED ;
          break ;
        }
        case 'F' :
          journal_filter(&r, &m->junk, &m->fsize) ;
          m->fstate = QFILTER_DONE ;
          break ;
        case 'H' : m->held = r.s[0] == '1' ; m->holdseen = 1 ; break ;
        case 'W' : m->warned = 1 ; break ;
        default : break ;
      }
    }
  }
  return (ssize_t)good ;
}

/* Cuts a torn tail off, so later appends follow a complete transaction. */
static int truncate_journal (int dirfd, uint64_t len)
{
  int fd = openat(dirfd, "state", O_WRONLY | O_CLOEXEC) ;
  if (fd < 0) return 0 ;
  if (ftruncate(fd, (off_t)len) < 0 || fd_sync(fd) < 0)
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
    return 0 ;
  }
  fd_close(fd) ;
  return 1 ;
}

int qmsg_load (qmsg *m, char const *dir, char const *qid, uint64_t lifetime, char const **why)
{
  stralloc sa = STRALLOC_ZERO ;
  struct stat st ;
  int missing ;
  int r ;
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  *why = "" ;
  if (dirfd < 0) return QLOAD_SYSERR ;
  {
    size_t n = strlen(qid) ;
    if (n > QID_MAX) { fd_close(dirfd) ; *why = "bad queue id" ; return QLOAD_CORRUPT ; }
    memcpy(m->qid, qid, n + 1) ;
  }

  r = slurp_at(dirfd, "env", QMSG_ENV_MAX, &sa, &missing) ;
  if (!r) goto syserr ;
  if (r < 0) { *why = "envelope too large" ; r = QLOAD_CORRUPT ; goto end ; }
  if (missing) { r = QLOAD_GONE ; goto end ; }
  r = parse_env(m, sa.s, sa.len, qid, why) ;
  if (r != QLOAD_OK) goto end ;

  sa.len = 0 ;
  r = slurp_at(dirfd, "state", QMSG_JOURNAL_MAX, &sa, &missing) ;
  if (!r) goto syserr ;
  if (r < 0) { *why = "state journal too large" ; r = QLOAD_CORRUPT ; goto end ; }
  if (!missing)
  {
    ssize_t good = parse_journal(m, sa.s, sa.len) ;
    if (good < 0) goto syserr ;
    if ((size_t)good < sa.len && !truncate_journal(dirfd, (uint64_t)good)) goto syserr ;
    m->journal_len = (uint64_t)good ;
  }

  if (fstatat(dirfd, "mess", &st, AT_SYMLINK_NOFOLLOW) < 0)
  {
    if (errno != ENOENT) goto syserr ;
    /* mess goes only when the message is being removed. */
    if (!m->npending) { r = QLOAD_GONE ; goto end ; }
    *why = "message file missing" ;
    r = QLOAD_CORRUPT ;
    goto end ;
  }
  if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != m->size)
  {
    *why = "message file size differs from the envelope" ;
    r = QLOAD_CORRUPT ;
    goto end ;
  }
  /* fmess was fsynced, with its name, before the F record that names its
   * size was written: if the record is there, so is the file. */
  if (m->fsize && m->npending)
  {
    if (fstatat(dirfd, "fmess", &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno != ENOENT) goto syserr ;
      *why = "filtered message file missing" ;
      r = QLOAD_CORRUPT ;
      goto end ;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != m->fsize)
    {
      *why = "filtered message file size differs from the journal" ;
      r = QLOAD_CORRUPT ;
      goto end ;
    }
  }

  /* The lifetime counts from the arrival (wall clock); deadlines run on
   * the stopwatch, so convert once here. */
  {
    struct timespec now ;
    uint64_t end = m->arrival + lifetime ;
    tain_now_g() ;
    m->expire = STAMP ;
    if (clock_gettime(CLOCK_REALTIME, &now) == 0 && (uint64_t)now.tv_sec < end)
    {
      uint64_t left = end - (uint64_t)now.tv_sec ;
      if (left > 1U << 30) left = 1U << 30 ;
      tain_addsec(&m->expire, &STAMP, (int)left) ;
    }
  }
  qmsg_refresh(m) ;
  r = QLOAD_OK ;
  goto end ;

 syserr:
  r = QLOAD_SYSERR ;
 end:
  {
    int e = errno ;
    stralloc_free(&sa) ;
    fd_close(dirfd) ;
    errno = e ;
  }
  return r ;
}
