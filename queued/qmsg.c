/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/bytestr.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "queued/qmsg.h"

qmsg *qmsg_new (void)
{
  qmsg *m = malloc(sizeof(qmsg)) ;
  if (!m) return 0 ;
  memset(m->qid, 0, sizeof(m->qid)) ;
  m->sa = stralloc_zero ;
  m->rcpts = genalloc_zero ;
  m->arrival = 0 ;
  m->size = 0 ;
  m->expire = tain_infinite ;
  m->nextdue = tain_infinite ;
  m->journal_len = 0 ;
  m->slot = 0 ;
  m->rcursor = 0 ;
  m->npending = 0 ;
  m->ninflight = 0 ;
  m->broken = 0 ;
  return m ;
}

void qmsg_free (qmsg *m)
{
  if (!m) return ;
  stralloc_free(&m->sa) ;
  genalloc_free(qrcpt, &m->rcpts) ;
  free(m) ;
}

int qmsg_add_rcpt (qmsg *m, char const *addr, size_t len)
{
  qrcpt r = { .addr = m->sa.len, .due = tain_zero, .delay = 0, .state = QRCPT_PENDING } ;
  if (qmsg_nrcpt(m) >= QMSG_RCPT_MAX) return (errno = ENOBUFS, 0) ;
  if (!stralloc_readyplus(&m->sa, len + 1)) return 0 ;
  if (!genalloc_append(qrcpt, &m->rcpts, &r)) return 0 ;
  stralloc_catb(&m->sa, addr, len) ;
  stralloc_0(&m->sa) ;
  m->npending++ ;
  if (tain_less(&r.due, &m->nextdue)) m->nextdue = r.due ;
  return 1 ;
}

ssize_t qmsg_find_rcpt (qmsg const *m, char const *addr, size_t len)
{
  size_t n = genalloc_len(qrcpt, &m->rcpts) ;
  qrcpt const *r = genalloc_s(qrcpt const, &m->rcpts) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char const *a = m->sa.s + r[i].addr ;
    if (strlen(a) == len && !case_diffb(a, len, addr)) return (ssize_t)i ;
  }
  return -1 ;
}

void qmsg_refresh (qmsg *m)
{
  size_t n = qmsg_nrcpt(m) ;
  qrcpt const *r = genalloc_s(qrcpt const, &m->rcpts) ;
  m->nextdue = tain_infinite ;
  for (size_t i = 0 ; i < n ; i++)
    if (r[i].state == QRCPT_PENDING && tain_less(&r[i].due, &m->nextdue))
      m->nextdue = r[i].due ;
}
