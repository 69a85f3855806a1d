/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <skalibs/types.h>
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
static size_t cursor = 0 ;
static stralloc idx = STRALLOC_ZERO ;     /* sorted copies of the qids, QID_MAX+1 bytes each */
static stralloc txn = STRALLOC_ZERO ;     /* journal transaction being built */
static stralloc dtext = STRALLOC_ZERO ;

#define tab() genalloc_s(qmsg *, &table)

size_t qsched_count (void)
{
  return genalloc_len(qmsg *, &table) ;
}

int qsched_add (qmsg *m)
{
  m->slot = genalloc_len(qmsg *, &table) ;
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
  if (cursor >= n) cursor = 0 ;
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

qmsg *qsched_next_due (tain const *now, size_t *rcpt)
{
  size_t n = genalloc_len(qmsg *, &table) ;
  for (size_t k = 0 ; k < n ; k++)
  {
    size_t j = (cursor + k) % n ;
    qmsg *m = tab()[j] ;
    size_t nr = qmsg_nrcpt(m) ;
    if (m->broken || tain_less(now, &m->nextdue)) continue ;
    for (size_t t = 0 ; t < nr ; t++)
    {
      size_t i = (m->rcursor + t) % nr ;
      qrcpt const *r = qmsg_rcpt(m, i) ;
      if (r->state == QRCPT_PENDING && !tain_less(now, &r->due))
      {
        m->rcursor = i + 1 ;
        cursor = j + 1 ;   /* next time, the next message first */
        *rcpt = i ;
        return m ;
      }
    }
    qmsg_refresh(m) ;   /* nextdue was stale (recipients now in flight) */
  }
  return 0 ;
}

void qsched_earliest (tain *deadline)
{
  size_t n = genalloc_len(qmsg *, &table) ;
  for (size_t j = 0 ; j < n ; j++)
  {
    qmsg const *m = tab()[j] ;
    if (!m->broken && tain_less(&m->nextdue, deadline)) *deadline = m->nextdue ;
  }
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

/* The recipient is settled (K delivered, D failed): one journal
 * transaction records the new recipients and the verdict together, so
 * after a crash either both happened or neither did. */
static void settle (qmsg *m, size_t i, char kind, char const *text, qreply const *rep)
{
  char dir[7 + QID_MAX] ;
  char fmt[SIZE_FMT] ;
  size_t fl = size_fmt(fmt, i) ;
  size_t nadd = 0 ;
  txn.len = 0 ;
  dtext.len = 0 ;
  if (rep)
  {
    size_t pos = 0, alen ;
    char const *a ;
    while ((a = qreply_next_add(rep, &pos, &alen)))
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
      if (!qrec_append(&txn, 'R', a, alen)) goto nomem ;
      nadd++ ;
    }
  }
  if (kind == 'K')
  {
    if (!qrec_append(&txn, 'K', fmt, fl)) goto nomem ;
  }
  else
  {
    if (!stralloc_catb(&dtext, fmt, fl) || !stralloc_catb(&dtext, " ", 1) || !stralloc_cats(&dtext, text)) goto nomem ;
    if (!qrec_append(&txn, 'D', dtext.s, dtext.len)) goto nomem ;
  }
  if (!qrec_append(&txn, 'E', "", 0)) goto nomem ;

  memcpy(dir, "queue/", 6) ;
  memcpy(dir + 6, m->qid, strlen(m->qid) + 1) ;
  if (!qmsg_journal(m, dir, txn.s, txn.len))
  {
    logline l ;
    log_begin(&l, "journal_error") ;
    log_kv(&l, "qid", m->qid) ;
    log_kv(&l, "error", strerror(errno)) ;
    log_commit(&l) ;
    defer(m, i, "4.3.0 cannot record the delivery state") ;
    return ;
  }

  /* Durable: now the same changes in memory, in journal order. */
  back_to_pending(m, i) ;
  {
    size_t pos = 0 ;
    while (pos < txn.len)
    {
      qrec r ;
      pos += qrec_parse(txn.s + pos, txn.len - pos, &r) ;
      if (r.type != 'R') continue ;
      if (!qmsg_add_rcpt(m, r.s, r.len))
      {
        /* Recorded but not in memory: reload the message from disk. */
        m->broken = 1 ;
        break ;
      }
      log_rcpt("added", m, qmsg_nrcpt(m) - 1, "parent", qmsg_addr(m, i)) ;
    }
  }
  qmsg_rcpt(m, i)->state = kind == 'K' ? QRCPT_DONE : QRCPT_FAILED ;
  m->npending-- ;
  log_rcpt(kind == 'K' ? "delivered" : "failed", m, i, "reply", text) ;
  if (kind == 'D') qbounce_rcpt(m, (unsigned int)i, text) ;
  return ;

 nomem:
  defer(m, i, "4.3.0 out of memory") ;
}

void qsched_check (qmsg *m)
{
  if (!m->npending && !m->ninflight)
  {
    if (qdir_remove("queue", m->qid)) log_event1("removed", "qid", m->qid) ;
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

void qsched_result (qmsg *m, size_t i, qreply const *rep)
{
  if (rep->kind == 'Z') defer(m, i, rep->text) ;
  else settle(m, i, rep->kind, rep->text, rep) ;
  qsched_check(m) ;
}

void qsched_fail_expired (qmsg *m, size_t i)
{
  settle(m, i, 'D', "4.4.7 delivery time expired", 0) ;
  qsched_check(m) ;
}

void qsched_defer (qmsg *m, size_t i, char const *text)
{
  defer(m, i, text) ;
  qsched_check(m) ;
}

void qsched_expire (tain const *now)
{
  size_t j = genalloc_len(qmsg *, &table) ;
  while (j--)
  {
    qmsg *m = tab()[j] ;
    size_t nr = qmsg_nrcpt(m) ;
    int changed = 0 ;
    if (m->broken || tain_less(now, &m->expire)) continue ;
    for (size_t i = 0 ; i < nr ; i++)
    {
      if (qmsg_rcpt(m, i)->state != QRCPT_PENDING) continue ;
      settle(m, i, 'D', "4.4.7 delivery time expired", 0) ;
      changed = 1 ;
      if (m->broken) break ;
    }
    if (changed) qsched_check(m) ;
  }
}
