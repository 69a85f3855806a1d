/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <skalibs/types.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/log.h"
#include "queued/qconf.h"
#include "queued/qrec.h"
#include "queued/qdir.h"
#include "queued/qbounce.h"
#include "queued/qsched.h"

static genalloc table = GENALLOC_ZERO ;   /* qmsg * */
static stralloc idx = STRALLOC_ZERO ;     /* sorted copies of the qids, QID_MAX+1 bytes each */
static stralloc txn = STRALLOC_ZERO ;     /* journal transaction being built */
static stralloc dtext = STRALLOC_ZERO ;
static genalloc bitems = GENALLOC_ZERO ;  /* qbitem: a notification being built */
static genalloc keep = GENALLOC_ZERO ;    /* unsigned char per settled item */

#define tab() genalloc_s(qmsg *, &table)
#define DTEXT_MAX 2000

/* One recipient's verdict, as settle() takes it. */
typedef struct qsettle_s qsettle, *qsettle_ref ;
struct qsettle_s
{
  size_t i ;
  char kind ;              /* 'K' or 'D' */
  char const *text ;
  char const *last ;       /* expiry: the last temporary failure, or 0 */
  qverdict const *v ;      /* R fields and remote details, or 0 */
} ;
static genalloc items = GENALLOC_ZERO ;   /* qsettle */

size_t qsched_count (void)
{
  return genalloc_len(qmsg *, &table) ;
}

qmsg *qsched_at (size_t j)
{
  return tab()[j] ;
}

qmsg *qsched_find (char const *qid)
{
  size_t n = genalloc_len(qmsg *, &table) ;
  for (size_t j = 0 ; j < n ; j++)
    if (!strcmp(tab()[j]->qid, qid)) return tab()[j] ;
  return 0 ;
}

int qsched_add (qmsg *m)
{
  m->slot = genalloc_len(qmsg *, &table) ;
  /* The delay notice falls delay_warning after the arrival: count back
   * from the expiry, which qmsg_load put on the stopwatch. */
  if (conf.delay_warning && conf.delay_warning < conf.lifetime && !m->warned)
    tain_addsec(&m->warn_at, &m->expire, -(int)(conf.lifetime - conf.delay_warning)) ;
  return genalloc_append(qmsg *, &table, &m) ;
}

static void unload (qmsg *m)
{
  size_t n = genalloc_len(qmsg *, &table) - 1 ;
  if (m->slot != n)
  {
    tab()[m->slot] = tab()[n] ;
    tab()[m->slot]->slot = m->slot ;
  }
  genalloc_setlen(qmsg *, &table, n) ;
  qmsg_free(m) ;
}

static int qidcmp (void const *a, void const *b)
{
  return strcmp((char const *)a, (char const *)b) ;
}

int qsched_index_build (void)
{
  size_t n = genalloc_len(qmsg *, &table) ;
  if (!stralloc_ready(&idx, n * (QID_MAX + 1))) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
    memcpy(idx.s + i * (QID_MAX + 1), tab()[i]->qid, QID_MAX + 1) ;
  idx.len = n * (QID_MAX + 1) ;
  qsort(idx.s, n, QID_MAX + 1, &qidcmp) ;
  return 1 ;
}

int qsched_index_has (char const *qid)
{
  char key[QID_MAX + 1] ;
  size_t n = strlen(qid) ;
  if (n > QID_MAX) return 0 ;
  memset(key, 0, sizeof(key)) ;
  memcpy(key, qid, n) ;
  return !!bsearch(key, idx.s, idx.len / (QID_MAX + 1), QID_MAX + 1, &qidcmp) ;
}

void qsched_dispatched (qmsg *m, size_t i)
{
  qmsg_rcpt(m, i)->state = QRCPT_INFLIGHT ;
  m->ninflight++ ;
}

static void log_rcpt (char const *event, qmsg const *m, size_t i, char const *k, char const *v)
{
  logline l ;
  log_begin(&l, event) ;
  log_kv(&l, "qid", m->qid) ;
  log_kv(&l, "rcpt", qmsg_addr(m, i)) ;
  if (k) log_kv(&l, k, v) ;
  log_commit(&l) ;
}

static void back_to_pending (qmsg *m, size_t i)
{
  qrcpt *r = qmsg_rcpt(m, i) ;
  if (r->state == QRCPT_INFLIGHT) m->ninflight-- ;
  r->state = QRCPT_PENDING ;
}

static void defer (qmsg *m, size_t i, char const *text)
{
  qrcpt *r = qmsg_rcpt(m, i) ;
  uint64_t d = r->delay ? (uint64_t)r->delay * 2 : conf.retry_min ;
  if (d > conf.retry_max) d = conf.retry_max ;
  if (d < conf.retry_min) d = conf.retry_min ;
  back_to_pending(m, i) ;
  r->delay = (uint32_t)d ;
  r->route = QROUTE_UNKNOWN ;   /* the maps may change before the retry */
  qmsg_set_last(m, i, text) ;
  tain_now_g() ;
  tain_addsec_g(&r->due, (int)d) ;
  /* The last attempt happens no later than the expiry, which then fails
   * the recipient; once expired (the failure could not be recorded),
   * the normal delay applies, so nothing spins. */
  if (tain_less(&STAMP, &m->expire) && tain_less(&m->expire, &r->due)) r->due = m->expire ;
  {
    logline l ;
    log_begin(&l, "deferred") ;
    log_kv(&l, "qid", m->qid) ;
    log_kv(&l, "rcpt", qmsg_addr(m, i)) ;
    log_kvu(&l, "delay", d) ;
    log_kv(&l, "reply", text) ;
    log_commit(&l) ;
  }
}

static int added_before (char const *a, size_t alen, size_t upto)
{
  /* Is a among the R records already in txn[0..upto)? */
  size_t pos = 0 ;
  while (pos < upto)
  {
    qrec r ;
    ssize_t k = qrec_parse(txn.s + pos, upto - pos, &r) ;
    if (k <= 0) return 0 ;
    if (r.type == 'R' && r.len == alen && !strncasecmp(r.s, a, alen)) return 1 ;
    pos += k ;
  }
  return 0 ;
}

static void log_bounce (qmsg const *m, size_t i, char const *dsn, char const *to, char const *why)
{
  logline l ;
  log_begin(&l, "bounce") ;
  log_kv(&l, "qid", m->qid) ;
  log_kv(&l, "rcpt", qmsg_addr(m, i)) ;
  log_kv(&l, "from", qmsg_sender(m)) ;
  log_kv(&l, "dsn", dsn) ;
  if (to) log_kv(&l, "to", to) ;
  if (why) log_kv(&l, "reason", why) ;
  log_commit(&l) ;
}

/* Queues one notification about the items of kind 'kind' (K or D) that
 * want the given action; marks their keep[] entry 2 when it was queued,
 * 3 when nobody is to be told. On failure (the notification could not be
 * written), failures are deferred (keep 0): they will fail again and
 * notify then; successes are only logged. */
static void notify (qmsg *m, unsigned int n, char kind, int action, char *newqid)
{
  qsettle const *it = genalloc_s(qsettle, &items) ;
  unsigned char *kp = genalloc_s(unsigned char, &keep) ;
  unsigned char dkind ;
  char const *why ;
  char const *to = qbounce_target(m, action, &dkind, &why) ;
  genalloc_setlen(qbitem, &bitems, 0) ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    qbitem b ;
    if (it[k].kind != kind || !kp[k]) continue ;
    if (action == QBOUNCE_DELIVERED && qmsg_rcpt(m, it[k].i)->route != QROUTE_LOCAL) continue ;
    if (action == QBOUNCE_RELAYED && (qmsg_rcpt(m, it[k].i)->route != QROUTE_REMOTE
     || !it[k].v || !it[k].v->action || strcmp(it[k].v->action, "relayed"))) continue ;
    if (!to || !qbounce_wanted(m, it[k].i, action))
    {
      if (action == QBOUNCE_FAILED) kp[k] = 3 ;
      continue ;
    }
    b.i = it[k].i ;
    b.text = it[k].text ;
    b.remotemta = it[k].v ? it[k].v->remotemta : 0 ;
    b.diag = it[k].v ? it[k].v->diag : 0 ;
    b.last = it[k].last ;
    if (!genalloc_append(qbitem, &bitems, &b)) goto err ;
    kp[k] = 2 ;
  }
  if (!genalloc_len(qbitem, &bitems)) return ;
  if (qbounce_queue(m, action, genalloc_s(qbitem, &bitems), genalloc_len(qbitem, &bitems), to, dkind, newqid)) return ;
 err:
  log_event3("bounce_error", "qid", m->qid, "action", action == QBOUNCE_FAILED ? "failed" : action == QBOUNCE_RELAYED ? "relayed" : "delivered", "error", strerror(errno)) ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    if (it[k].kind != kind || kp[k] != 2) continue ;
    if (kind == 'D')
    {
      kp[k] = 0 ;
      defer(m, it[k].i, "4.3.0 cannot queue the delivery status notification") ;
    }
    else kp[k] = 1 ;
  }
}

/* The recipients in items[0..n) are settled (K delivered, D failed).
 * First the notifications they call for are queued; then one journal
 * transaction records the new recipients and the verdicts together, so
 * after a crash either all happened or none did (and a notification may
 * be sent twice, never lost). */
static void settle (qmsg *m, unsigned int n)
{
  qsettle const *it ;
  unsigned char *kp ;
  char dir[7 + QID_MAX] ;
  char fqid[QID_MAX + 1] = "" ;
  char sqid[QID_MAX + 1] = "" ;
  char rqid[QID_MAX + 1] = "" ;
  size_t nadd = 0 ;
  unsigned int live = 0 ;
  unsigned char bkind ;
  char const *bwhy ;
  char const *btarget ;

  if (!genalloc_ready(unsigned char, &keep, n))
  {
    it = genalloc_s(qsettle, &items) ;
    for (unsigned int k = 0 ; k < n ; k++) defer(m, it[k].i, "4.3.0 out of memory") ;
    return ;
  }
  genalloc_setlen(unsigned char, &keep, n) ;
  kp = genalloc_s(unsigned char, &keep) ;
  for (unsigned int k = 0 ; k < n ; k++) kp[k] = 1 ;
  it = genalloc_s(qsettle, &items) ;

  notify(m, n, 'D', QBOUNCE_FAILED, fqid) ;
  btarget = qbounce_target(m, QBOUNCE_FAILED, &bkind, &bwhy) ;
  if (qmsg_sender(m)[0])
  {
    notify(m, n, 'K', QBOUNCE_DELIVERED, sqid) ;
    notify(m, n, 'K', QBOUNCE_RELAYED, rqid) ;
  }

  txn.len = 0 ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    char fmt[SIZE_FMT] ;
    size_t fl ;
    if (!kp[k]) continue ;
    live++ ;
    fl = size_fmt(fmt, it[k].i) ;
    if (it[k].v)
    {
      size_t pos = 0, alen ;
      char const *a ;
      while ((a = qreply_next_add(it[k].v, &pos, &alen)))
      {
        if (qmsg_find_rcpt(m, a, alen) >= 0 || added_before(a, alen, txn.len)) continue ;
        if (qmsg_nrcpt(m) + nadd >= QMSG_RCPT_MAX)
        {
          logline l ;
          log_begin(&l, "rcpt_limit") ;
          log_kv(&l, "qid", m->qid) ;
          log_kvn(&l, "rcpt", a, alen) ;
          log_commit(&l) ;
          continue ;
        }
        if (!qrec_append(&txn, 'R', a, alen) || !qrec_append(&txn, 'P', fmt, fl)) goto nomem ;
        nadd++ ;
      }
    }
    if (it[k].kind == 'K')
    {
      if (!qrec_append(&txn, 'K', fmt, fl)) goto nomem ;
    }
    else
    {
      size_t tl = strlen(it[k].text) ;
      if (tl > DTEXT_MAX) tl = DTEXT_MAX ;   /* a record holds at most 8192 bytes */
      dtext.len = 0 ;
      if (!stralloc_catb(&dtext, fmt, fl) || !stralloc_catb(&dtext, " ", 1)
       || !stralloc_catb(&dtext, it[k].text, tl)) goto nomem ;
      if (!qrec_append(&txn, 'D', dtext.s, dtext.len)) goto nomem ;
    }
  }
  if (!live) return ;
  if (!qrec_append(&txn, 'E', "", 0)) goto nomem ;

  /* The message's last transaction (every recipient still pending is
   * settled here, none is added) is not journaled: the removal that
   * follows at once in qsched_check has its own commit point, the
   * unlink of env (docs/queue.md, commit points 3 and 7). A crash
   * before that point finds the message with these recipients unsettled
   * and delivers them again (at least once; deliverd drops local
   * repeats), exactly as a crash before this journal write would. This
   * spares the fsyncs queued made per message in its single loop, where
   * they set the pace of the whole pipeline. */
  qmsg_dir(m, dir) ;
  if (!(nadd == 0 && live == m->npending) && !qmsg_journal(m, dir, txn.s, txn.len))
  {
    log_event2("journal_error", "qid", m->qid, "error", strerror(errno)) ;
    for (unsigned int k = 0 ; k < n ; k++)
      if (kp[k]) defer(m, it[k].i, "4.3.0 cannot record the delivery state") ;
    return ;
  }

  /* Durable: now the same changes in memory, in journal order. */
  {
    size_t pos = 0 ;
    while (pos < txn.len)
    {
      qrec r ;
      pos += qrec_parse(txn.s + pos, txn.len - pos, &r) ;
      if (r.type == 'P' && !m->broken)
      {
        uint64_t p = 0 ;
        size_t last = qmsg_nrcpt(m) - 1 ;
        uint64_scan(r.s, &p) ;
        qmsg_rcpt(m, last)->parent = (size_t)p ;
        log_rcpt("added", m, last, "parent", qmsg_addr(m, (size_t)p)) ;
      }
      if (r.type != 'R' || m->broken) continue ;
      if (!qmsg_add_rcpt(m, r.s, r.len))
      {
        /* Recorded but not in memory: reload the message from disk. */
        m->broken = 1 ;
      }
    }
  }
  for (unsigned int k = 0 ; k < n ; k++)
  {
    size_t i = it[k].i ;
    if (!kp[k]) continue ;
    back_to_pending(m, i) ;
    qmsg_rcpt(m, i)->state = it[k].kind == 'K' ? QRCPT_DONE : QRCPT_FAILED ;
    m->npending-- ;
    log_rcpt(it[k].kind == 'K' ? "delivered" : "failed", m, i, "reply", it[k].text) ;
    if (kp[k] == 2 && it[k].kind == 'K') log_rcpt("success_notice", m, i, "dsn", qmsg_rcpt(m, i)->route == QROUTE_LOCAL ? sqid : rqid) ;
    if (it[k].kind != 'D') continue ;
    if (kp[k] == 2) log_bounce(m, i, fqid, btarget, 0) ;
    else log_bounce(m, i, "none", 0, btarget ? "NOTIFY does not ask for failures" : bwhy) ;
  }
  return ;

 nomem:
  it = genalloc_s(qsettle, &items) ;
  kp = genalloc_s(unsigned char, &keep) ;
  for (unsigned int k = 0 ; k < n ; k++)
    if (kp[k]) defer(m, it[k].i, "4.3.0 out of memory") ;
}

void qsched_check (qmsg *m)
{
  if (m->fstate == QFILTER_RUNNING) return ;   /* the filter job points to it */
  if (m->deleted)
  {
    if (m->ninflight) return ;
    if (!qdir_remove("queue", m->qid, 1)) log_event2("remove_error", "qid", m->qid, "error", strerror(errno)) ;
    unload(m) ;
    return ;
  }
  if (!m->npending && !m->ninflight)
  {
    if (qdir_remove("queue", m->qid, 0)) log_event1("removed", "qid", m->qid) ;
    else log_event2("remove_error", "qid", m->qid, "error", strerror(errno)) ;
    /* On failure the directory stays; the next scan loads it again,
     * finds nothing to do, and retries the removal. */
    unload(m) ;
    return ;
  }
  if (m->broken && !m->ninflight)
  {
    log_event1("unloaded", "qid", m->qid) ;
    unload(m) ;
    return ;
  }
  qmsg_refresh(m) ;
}

void qsched_reply (qmsg *m, size_t const *rcpts, unsigned int n, qverdict const *v)
{
  unsigned int ns = 0 ;
  if (m->deleted)
  {
    for (unsigned int k = 0 ; k < n ; k++) back_to_pending(m, rcpts[k]) ;
    qsched_check(m) ;
    return ;
  }
  genalloc_setlen(qsettle, &items, 0) ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    qsettle s = { .i = rcpts[k], .kind = v[k].kind, .text = v[k].text, .last = 0, .v = v + k } ;
    if (v[k].kind == 'Z')
    {
      defer(m, rcpts[k], v[k].text) ;
      continue ;
    }
    if (!genalloc_append(qsettle, &items, &s))
    {
      defer(m, rcpts[k], "4.3.0 out of memory") ;
      continue ;
    }
    ns++ ;
  }
  if (ns) settle(m, ns) ;
  qsched_check(m) ;
}

void qsched_defer (qmsg *m, size_t i, char const *text)
{
  if (m->deleted) back_to_pending(m, i) ;
  else defer(m, i, text) ;
  qsched_check(m) ;
}

/* Fails the waiting recipients of one expired message, together. */
static void expire_one (qmsg *m)
{
  size_t nr = qmsg_nrcpt(m) ;
  unsigned int ns = 0 ;
  genalloc_setlen(qsettle, &items, 0) ;
  for (size_t i = 0 ; i < nr ; i++)
  {
    qrcpt const *r = qmsg_rcpt(m, i) ;
    qsettle s = { .i = i, .kind = 'D', .text = "4.4.7 delivery time expired", .last = r->last, .v = 0 } ;
    if (r->state != QRCPT_PENDING) continue ;
    if (!genalloc_append(qsettle, &items, &s))
    {
      defer(m, i, "4.3.0 out of memory") ;
      continue ;
    }
    ns++ ;
  }
  if (ns) settle(m, ns) ;
}

void qsched_expire (tain const *now)
{
  size_t j = genalloc_len(qmsg *, &table) ;
  while (j--)
  {
    qmsg *m = tab()[j] ;
    m->expiring = 0 ;
    /* Held mail waits for the admin, whatever its age (Postfix's hold
     * queue does the same); it expires once released. */
    if (m->broken || m->held || m->deleted || m->fstate == QFILTER_RUNNING || tain_less(now, &m->expire)) continue ;
    if (m->npending <= m->ninflight) continue ;
    expire_one(m) ;
    qsched_check(m) ;
  }
}

void qsched_warn (tain const *now, tain *wake)
{
  size_t n = genalloc_len(qmsg *, &table) ;
  if (!conf.delay_warning) return ;
  for (size_t j = 0 ; j < n ; j++)
  {
    qmsg *m = tab()[j] ;
    unsigned char dkind ;
    char const *why ;
    char const *to ;
    char newqid[QID_MAX + 1] ;
    if (m->warned || m->held || m->broken || m->deleted || !m->npending) continue ;
    if (tain_less(now, &m->warn_at))
    {
      if (tain_less(&m->warn_at, wake)) *wake = m->warn_at ;
      continue ;
    }
    to = qbounce_target(m, QBOUNCE_DELAYED, &dkind, &why) ;
    genalloc_setlen(qbitem, &bitems, 0) ;
    for (size_t i = 0 ; to && i < qmsg_nrcpt(m) ; i++)
    {
      qrcpt const *r = qmsg_rcpt(m, i) ;
      qbitem b = { .i = i, .text = r->last ? r->last : "4.4.0 not yet delivered", .remotemta = 0, .diag = 0, .last = 0 } ;
      if (r->state != QRCPT_PENDING && r->state != QRCPT_INFLIGHT) continue ;
      if (!qbounce_wanted(m, i, QBOUNCE_DELAYED)) continue ;
      if (!genalloc_append(qbitem, &bitems, &b)) break ;
    }
    if (!genalloc_len(qbitem, &bitems))
    {
      m->warned = 1 ;   /* nobody to tell: for this run only */
      continue ;
    }
    if (!qbounce_queue(m, QBOUNCE_DELAYED, genalloc_s(qbitem, &bitems), genalloc_len(qbitem, &bitems), to, dkind, newqid))
    {
      log_event3("bounce_error", "qid", m->qid, "action", "delayed", "error", strerror(errno)) ;
      tain_addsec(&m->warn_at, now, (int)conf.retry_min) ;
      if (tain_less(&m->warn_at, wake)) *wake = m->warn_at ;
      continue ;
    }
    {
      char dir[7 + QID_MAX] ;
      qmsg_dir(m, dir) ;
      m->warned = 1 ;
      /* If this is not recorded, a restart sends the notice again. */
      if (!qmsg_journal(m, dir, "W0:,E0:,", 8))
        log_event2("journal_error", "qid", m->qid, "error", strerror(errno)) ;
    }
    {
      logline l ;
      log_begin(&l, "delay_notice") ;
      log_kv(&l, "qid", m->qid) ;
      log_kv(&l, "dsn", newqid) ;
      log_kv(&l, "to", to) ;
      log_kvu(&l, "rcpts", genalloc_len(qbitem, &bitems)) ;
      log_commit(&l) ;
    }
  }
}

void qsched_discard (qmsg *m, char const *why)
{
  size_t nr = qmsg_nrcpt(m) ;
  /* No notification: a filter discards spam and viruses, whose senders
   * are forged (no backscatter). */
  for (size_t i = 0 ; i < nr ; i++)
  {
    qrcpt *r = qmsg_rcpt(m, i) ;
    if (r->state == QRCPT_PENDING) { r->state = QRCPT_DONE ; m->npending-- ; }
  }
  log_event2("discarded", "qid", m->qid, "reason", why) ;
  qsched_check(m) ;
}

int qsched_hold (qmsg *m, int hold, char const **why)
{
  char dir[7 + QID_MAX] ;
  if (m->deleted) { *why = "the message is being deleted" ; return 0 ; }
  if (!m->held == !hold) { *why = hold ? "already held" : "not held" ; return 0 ; }
  qmsg_dir(m, dir) ;
  if (!qmsg_journal(m, dir, hold ? "H1:1,E0:," : "H1:0,E0:,", 9))
  {
    log_event2("journal_error", "qid", m->qid, "error", strerror(errno)) ;
    *why = "cannot record the hold in the journal" ;
    return 0 ;
  }
  m->held = !!hold ;
  log_event2(hold ? "held" : "released", "qid", m->qid, "by", "mailctl") ;
  if (!hold) qsched_retry_now(m) ;
  return 1 ;
}

void qsched_hold_arrival (qmsg *m)
{
  char dir[7 + QID_MAX] ;
  if (m->holdreason == QNONE || m->holdseen || m->held || !m->npending) return ;
  /* Held in memory whatever happens: if the record cannot be written,
   * the next load finds no H record and holds the message again, so it
   * is never delivered before the admin releases it (Postfix's HOLD). */
  m->held = 1 ;
  qmsg_dir(m, dir) ;
  if (qmsg_journal(m, dir, "H1:1,E0:,", 9)) m->holdseen = 1 ;
  else log_event2("journal_error", "qid", m->qid, "error", strerror(errno)) ;
  log_event2("hold", "qid", m->qid, "reason", qmsg_str(m, m->holdreason)) ;
}

int qsched_delete (qmsg *m, char const **why)
{
  char env[13 + QID_MAX] ;
  size_t n = strlen(m->qid) ;
  if (m->deleted) { *why = "already being deleted" ; return 0 ; }
  /* The commit point of a removal (docs/queue.md): env goes, durably.
   * What is in flight finishes; its answers are ignored. */
  memcpy(env, "queue/", 6) ;
  memcpy(env + 6, m->qid, n) ;
  memcpy(env + 6 + n, "/env", 5) ;
  if (unlink(env) < 0 && errno != ENOENT) { *why = strerror(errno) ; return 0 ; }
  env[6 + n] = 0 ;
  {
    int fd = open(env, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
    if (fd >= 0) { fd_sync(fd) ; fd_close(fd) ; }
  }
  m->deleted = 1 ;
  {
    logline l ;
    log_begin(&l, "deleted") ;
    log_kv(&l, "qid", m->qid) ;
    log_kv(&l, "from", qmsg_sender(m)) ;
    log_kvu(&l, "pending", m->npending) ;
    log_kv(&l, "by", "mailctl") ;
    log_commit(&l) ;
  }
  qsched_check(m) ;
  return 1 ;
}

void qsched_retry_now (qmsg *m)
{
  size_t nr = qmsg_nrcpt(m) ;
  tain_now_g() ;
  for (size_t i = 0 ; i < nr ; i++)
  {
    qrcpt *r = qmsg_rcpt(m, i) ;
    if (r->state == QRCPT_PENDING) r->due = STAMP ;
  }
  if (m->fstate == QFILTER_PENDING) m->filter_due = STAMP ;
  qmsg_refresh(m) ;
}
