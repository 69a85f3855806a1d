/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/tai.h>

#include "queued/qconf.h"
#include "queued/qmsg.h"
#include "queued/qroute.h"
#include "queued/qpool.h"
#include "queued/qsched.h"
#include "queued/qdispatch.h"

static size_t *batch = 0 ;
static size_t cursor = 0 ;
static stralloc why = STRALLOC_ZERO ;

int qdispatch_init (unsigned int rcptmax)
{
  batch = malloc(rcptmax * sizeof(size_t)) ;
  return !!batch ;
}

static void lower (tain *wake, tain const *t)
{
  if (tain_less(t, wake)) *wake = *t ;
}

/* The file deliverd reads: with the filters' headers when they added any. */
static int open_mess (qmsg const *m)
{
  size_t n = strlen(m->qid) ;
  char path[13 + QID_MAX + 1] ;
  memcpy(path, "queue/", 6) ;
  memcpy(path + 6, m->qid, n) ;
  memcpy(path + 6 + n, m->fsize ? "/fmess" : "/mess", m->fsize ? 7 : 6) ;
  return open(path, O_RDONLY | O_CLOEXEC) ;
}

static void send (qpool *p, qconn *c, qmsg *m, size_t const *rcpts, unsigned int n)
{
  int fd = open_mess(m) ;
  if (fd < 0)
  {
    for (unsigned int k = 0 ; k < n ; k++) qsched_defer(m, rcpts[k], "4.3.0 cannot open the queue file") ;
    return ;
  }
  for (unsigned int k = 0 ; k < n ; k++) qsched_dispatched(m, rcpts[k]) ;
  tain_addsec_g(&c->deadline, (int)(p->local ? conf.timeout : conf.remote_timeout)) ;
  if (!qconn_send(c, m, rcpts, n, p->local, fd)) qpool_lost(p, c, "4.4.2 cannot send to the delivery agent") ;
}

/* The route of recipient i, looked up when unknown; -1 after deferring
 * it (a lookup error). */
static int route (qmsg *m, size_t i)
{
  qrcpt *r = qmsg_rcpt(m, i) ;
  int rt ;
  if (r->route != QROUTE_UNKNOWN) return r->route ;
  rt = qroute_classify(qmsg_addr(m, i)) ;
  if (rt < 0)
  {
    why.len = 0 ;
    if (!stralloc_cats(&why, "4.3.0 recipient lookup failed: ") || !stralloc_cats(&why, strerror(errno)) || !stralloc_0(&why))
      qsched_defer(m, i, "4.3.0 recipient lookup failed") ;
    else qsched_defer(m, i, why.s) ;
    return -1 ;
  }
  qmsg_rcpt(m, i)->route = (unsigned char)rt ;
  return rt ;
}

/* Recipient i and the other due remote recipients of its domain. */
static unsigned int gather (qmsg *m, size_t i, char const *dom)
{
  size_t nr = qmsg_nrcpt(m) ;
  unsigned int n = 0 ;
  batch[n++] = i ;
  for (size_t k = i + 1 ; k < nr && n < pools[QPOOL_REMOTE].rcptmax ; k++)
  {
    qrcpt const *r = qmsg_rcpt(m, k) ;
    char d[QROUTE_DOMAIN_MAX + 1] ;
    if (r->state != QRCPT_PENDING || tain_less(&STAMP, &r->due)) continue ;
    if (route(m, k) != QROUTE_REMOTE) continue ;
    qroute_domain(qmsg_addr(m, k), d) ;
    if (!strcmp(d, dom)) batch[n++] = k ;
  }
  return n ;
}

typedef struct passstate_s passstate ;
struct passstate_s
{
  tain *wake ;
  int local_full ;    /* no deliverd connection to be had in this pass */
  int remote_full ;   /* every remote connection is busy */
} ;

static void dispatch_msg (qmsg *m, passstate *ps)
{
  qpool *lp = pools + QPOOL_LOCAL ;
  qpool *rp = pools + QPOOL_REMOTE ;
  size_t nr = qmsg_nrcpt(m) ;
  for (size_t t = 0 ; t < nr ; t++)
  {
    size_t i = (m->rcursor + t) % nr ;
    qrcpt *r = qmsg_rcpt(m, i) ;
    qconn *c ;
    int rt ;
    if (r->state != QRCPT_PENDING) continue ;
    if (tain_less(&STAMP, &r->due)) { lower(ps->wake, &r->due) ; continue ; }
    rt = route(m, i) ;
    if (rt < 0) { lower(ps->wake, &qmsg_rcpt(m, i)->due) ; continue ; }
    if (rt == QROUTE_LOCAL)
    {
      if (ps->local_full) continue ;
      c = qpool_get(lp) ;
      if (!c)
      {
        /* Busy: a reply wakes us. Unreachable: the recipients wait for
         * the reconnection, not for a retry (deliverd is ours). */
        ps->local_full = 1 ;
        if (qpool_down(lp)) lower(ps->wake, &lp->next_connect) ;
        continue ;
      }
      send(lp, c, m, &i, 1) ;
    }
    else
    {
      char dom[QROUTE_DOMAIN_MAX + 1] ;
      unsigned int n ;
      if (ps->remote_full) continue ;
      qroute_domain(qmsg_addr(m, i), dom) ;
      if (qdomain_count(dom) >= conf.domain_concurrency) continue ;   /* a reply wakes us */
      c = qpool_down(rp) ? 0 : qpool_get(rp) ;
      if (!c)
      {
        if (!qpool_down(rp)) { ps->remote_full = 1 ; continue ; }
        /* remote.sock cannot be reached: like any unreachable
         * transport, the recipient is deferred with the retry backoff. */
        qsched_defer(m, i, "4.4.1 remote delivery unavailable") ;
        lower(ps->wake, &qmsg_rcpt(m, i)->due) ;
        continue ;
      }
      n = gather(m, i, dom) ;
      c->dslot = qdomain_acquire(dom) ;
      send(rp, c, m, batch, n) ;
    }
    m->rcursor = i + 1 ;
  }
}

/* Whether m has recipients to hand out now; an expired one sets
 * *expired, for qsched_expire to settle. */
static int dispatchable (qmsg const *m, int *expired, tain *wake)
{
  if (m->broken || m->held || m->deleted) return 0 ;
  if (m->fstate == QFILTER_PENDING || m->fstate == QFILTER_RUNNING) return 0 ;
  if (m->npending <= m->ninflight) return 0 ;
  if (!tain_less(&STAMP, &m->expire)) { *expired = 1 ; return 0 ; }
  if (tain_less(&STAMP, &m->nextdue)) { lower(wake, &m->nextdue) ; return 0 ; }
  return 1 ;
}

void qdispatch_one (qmsg *m)
{
  /* The main loop's next pass computes its wake-up time again and
   * settles an expiry: neither is wanted from here. */
  tain wake = TAIN_INFINITE ;
  int expired = 0 ;
  passstate ps = { .wake = &wake, .local_full = 0, .remote_full = 0 } ;
  if (!dispatchable(m, &expired, &wake)) return ;
  dispatch_msg(m, &ps) ;
  qmsg_refresh(m) ;
}

void qdispatch (tain *wake)
{
  size_t n = qsched_count() ;
  int expired = 0 ;
  passstate ps = { .wake = wake, .local_full = 0, .remote_full = 0 } ;
  if (!n) return ;
  if (cursor >= n) cursor = 0 ;
  for (size_t t = 0 ; t < n ; t++)
  {
    qmsg *m = qsched_at((cursor + t) % n) ;
    if (!dispatchable(m, &expired, wake)) continue ;
    dispatch_msg(m, &ps) ;
    qmsg_refresh(m) ;
    if (ps.local_full && ps.remote_full) break ;   /* a reply wakes us */
  }
  cursor++ ;   /* next pass, the next message first */
  if (expired) qsched_expire(&STAMP) ;
}
