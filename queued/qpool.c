/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/tai.h>
#include <skalibs/unixmessage.h>

#include "common/log.h"
#include "queued/qroute.h"
#include "queued/qreply.h"
#include "queued/qsched.h"
#include "queued/qpool.h"

qpool pools[2] ;

typedef struct dslot_s dslot, *dslot_ref ;
struct dslot_s
{
  unsigned int count ;
  char name[QROUTE_DOMAIN_MAX + 1] ;
} ;

static dslot *dslots = 0 ;
static unsigned int ndslots = 0 ;
static qverdict *verdicts = 0 ;   /* room for the largest request */

int qpool_init (qpool *p, char const *event, char const *path, unsigned int n, unsigned int rcptmax, int local)
{
  static unsigned int vmax = 0 ;
  p->event = event ;
  p->path = path ;
  p->n = n ;
  p->rcptmax = rcptmax ;
  p->local = local ;
  p->backoff = 0 ;
  p->next_connect = tain_zero ;
  p->conns = calloc(n, sizeof(qconn)) ;
  if (!p->conns) return 0 ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    p->conns[k].fd = -1 ;
    p->conns[k].m = 0 ;
    p->conns[k].dslot = -1 ;
    p->conns[k].rcpts = malloc(rcptmax * sizeof(size_t)) ;
    if (!p->conns[k].rcpts) return 0 ;
  }
  if (rcptmax > vmax)
  {
    qverdict *v = realloc(verdicts, rcptmax * sizeof(qverdict)) ;
    if (!v) return 0 ;
    verdicts = v ;
    vmax = rcptmax ;
  }
  return 1 ;
}

static void connect_failed (qpool *p, char const *what)
{
  tain_now_g() ;
  /* One outage, counted once: when the agent dies, every connection
   * open to it fails within the same instant, and each of those is not
   * a further failed attempt. Only a failure once the wait has run out
   * (a connect, or a connection made since) doubles the wait. */
  if (qpool_down(p)) return ;
  p->backoff = p->backoff ? p->backoff * 2 : QPOOL_BACKOFF_MIN ;
  if (p->backoff > QPOOL_BACKOFF_MAX) p->backoff = QPOOL_BACKOFF_MAX ;
  tain_addsec_g(&p->next_connect, (int)p->backoff) ;
  {
    logline l ;
    log_begin(&l, p->event) ;
    log_kv(&l, "error", what) ;
    log_kvu(&l, "retry", p->backoff) ;
    log_commit(&l) ;
  }
}

qconn *qpool_get (qpool *p)
{
  for (unsigned int k = 0 ; k < p->n ; k++)
    if (p->conns[k].fd >= 0 && !p->conns[k].m) return p->conns + k ;
  if (qpool_down(p)) return 0 ;
  for (unsigned int k = 0 ; k < p->n ; k++)
  {
    if (p->conns[k].fd >= 0) continue ;
    if (!qconn_open(p->conns + k, p->path))
    {
      connect_failed(p, strerror(errno)) ;
      return 0 ;
    }
    p->conns[k].dslot = -1 ;
    return p->conns + k ;
  }
  return 0 ;
}

unsigned int qpool_busy (qpool const *p)
{
  unsigned int n = 0 ;
  for (unsigned int k = 0 ; k < p->n ; k++)
    if (p->conns[k].fd >= 0 && p->conns[k].m) n++ ;
  return n ;
}

static void done_with (qconn *c)
{
  qdomain_release(c->dslot) ;
  c->dslot = -1 ;
  c->m = 0 ;
}

void qpool_lost (qpool *p, qconn *c, char const *text)
{
  qmsg *m = c->m ;
  unsigned int n = c->nrcpt ;
  done_with(c) ;
  qconn_close(c) ;
  if (!m) return ;
  connect_failed(p, text) ;
  /* m stays in memory until the last of these: its recipients are in
   * flight until deferred, and only a message with none in flight can
   * be removed or unloaded. */
  for (unsigned int k = 0 ; k < n ; k++) qsched_defer(m, c->rcpts[k], text) ;
}

void qpool_read (qpool *p, qconn *c)
{
  for (;;)
  {
    unixmessage msg ;
    qmsg *m ;
    int r = unixmessage_receive(&c->io.in, &msg) ;
    if (!r) return ;
    if (r < 0)
    {
      qpool_lost(p, c, errno == EPIPE ? "4.4.2 delivery agent closed the connection" : "4.4.2 cannot read from the delivery agent") ;
      return ;
    }
    if (!c->m)
    {
      log_event1("protocol_error", "reason", "reply without a request") ;
      qconn_close(c) ;
      return ;
    }
    if (!qreply_parse(msg.s, msg.len, c->nrcpt, verdicts))
    {
      log_event2("protocol_error", "qid", c->m->qid, "reason", "malformed reply from the delivery agent") ;
      qpool_lost(p, c, "4.3.0 malformed reply from the delivery agent") ;
      return ;
    }
    m = c->m ;
    done_with(c) ;
    tain_now_g() ;
    tain_addsec_g(&c->deadline, QPOOL_IDLE_CLOSE) ;
    p->backoff = 0 ;   /* the agent works */
    qsched_reply(m, c->rcpts, c->nrcpt, verdicts) ;
  }
}

void qpool_reset_backoff (qpool *p)
{
  p->backoff = 0 ;
  p->next_connect = tain_zero ;
}

int qdomain_init (unsigned int max)
{
  dslots = calloc(max, sizeof(dslot)) ;
  if (!dslots) return 0 ;
  ndslots = max ;
  return 1 ;
}

unsigned int qdomain_count (char const *dom)
{
  for (unsigned int k = 0 ; k < ndslots ; k++)
    if (dslots[k].count && !strcmp(dslots[k].name, dom)) return dslots[k].count ;
  return 0 ;
}

int qdomain_acquire (char const *dom)
{
  int fresh = -1 ;
  for (unsigned int k = 0 ; k < ndslots ; k++)
  {
    if (!dslots[k].count) { if (fresh < 0) fresh = (int)k ; continue ; }
    if (!strcmp(dslots[k].name, dom)) { dslots[k].count++ ; return (int)k ; }
  }
  if (fresh < 0) return -1 ;
  strncpy(dslots[fresh].name, dom, QROUTE_DOMAIN_MAX) ;
  dslots[fresh].name[QROUTE_DOMAIN_MAX] = 0 ;
  dslots[fresh].count = 1 ;
  return fresh ;
}

void qdomain_release (int slot)
{
  if (slot >= 0 && (unsigned int)slot < ndslots && dslots[slot].count) dslots[slot].count-- ;
}
