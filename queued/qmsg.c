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
  memset(m, 0, sizeof(qmsg)) ;
  m->sa = stralloc_zero ;
  m->rcpts = genalloc_zero ;
  m->expire = tain_infinite ;
  m->nextdue = tain_infinite ;
  m->filter_due = tain_zero ;
  m->warn_at = tain_infinite ;
  m->envid = m->helo = m->client = m->user = m->proto = m->holdreason = QNONE ;
  return m ;
}

void qmsg_free (qmsg *m)
{
  if (!m) return ;
  for (size_t i = 0 ; i < qmsg_nrcpt(m) ; i++) free(qmsg_rcpt(m, i)->last) ;
  stralloc_free(&m->sa) ;
  genalloc_free(qrcpt, &m->rcpts) ;
  free(m) ;
}

int qmsg_add_rcpt (qmsg *m, char const *addr, size_t len)
{
  qrcpt r = { .addr = m->sa.len, .orcpt = QNONE, .parent = QNONE, .last = 0, .due = tain_zero, .delay = 0, .state = QRCPT_PENDING, .notify = 0, .route = QROUTE_UNKNOWN } ;
  if (qmsg_nrcpt(m) >= QMSG_RCPT_MAX) return (errno = ENOBUFS, 0) ;
  if (!stralloc_readyplus(&m->sa, len + 1)) return 0 ;
  if (!genalloc_append(qrcpt, &m->rcpts, &r)) return 0 ;
  stralloc_catb(&m->sa, addr, len) ;
  stralloc_0(&m->sa) ;
  m->npending++ ;
  if (tain_less(&r.due, &m->nextdue)) m->nextdue = r.due ;
  return 1 ;
}

size_t qmsg_keep (qmsg *m, char const *s, size_t len)
{
  size_t off = m->sa.len ;
  if (!stralloc_readyplus(&m->sa, len + 1)) return QNONE ;
  stralloc_catb(&m->sa, s, len) ;
  stralloc_0(&m->sa) ;
  return off ;
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

void qmsg_set_last (qmsg *m, size_t i, char const *text)
{
  qrcpt *r = qmsg_rcpt(m, i) ;
  size_t n = strlen(text) ;
  char *s ;
  if (n > 1024) n = 1024 ;   /* for listings and delay notices: enough */
  s = malloc(n + 1) ;
  if (!s) return ;
  memcpy(s, text, n) ;
  s[n] = 0 ;
  free(r->last) ;
  r->last = s ;
}

char const *qmsg_orcpt (qmsg const *m, size_t i, int *isaddr)
{
  size_t top = i ;
  /* Parents always have smaller indices (an alias adds after itself),
   * so this walk ends; the bound is for a journal that says otherwise. */
  for (size_t steps = 0 ; steps <= qmsg_nrcpt(m) ; steps++)
  {
    qrcpt const *r = genalloc_s(qrcpt const, &m->rcpts) + top ;
    if (r->orcpt != QNONE) { *isaddr = 0 ; return m->sa.s + r->orcpt ; }
    if (r->parent == QNONE || r->parent >= top) break ;
    top = r->parent ;
  }
  if (top == i) return 0 ;
  *isaddr = 1 ;
  return qmsg_addr(m, top) ;
}

unsigned char qmsg_notify (qmsg const *m, size_t i)
{
  for (size_t steps = 0 ; steps <= qmsg_nrcpt(m) ; steps++)
  {
    qrcpt const *r = genalloc_s(qrcpt const, &m->rcpts) + i ;
    if (r->notify || r->parent == QNONE || r->parent >= i) return r->notify ;
    i = r->parent ;
  }
  return 0 ;
}

void qmsg_dir (qmsg const *m, char *dir)
{
  memcpy(dir, "queue/", 6) ;
  memcpy(dir + 6, m->qid, strlen(m->qid) + 1) ;
}
