/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/qinject.h"
#include "sendmail.h"

/* Each step gets its own deadline: queued-inject gives up after 60 s
 * without progress, so waiting longer than that on one step is useless. */
#define STEP_SECS 90
#define PIECE 65536

static tain *step (tain *d)
{
  tain_now_g() ;
  tain_addsec_g(d, STEP_SECS) ;
  return d ;
}

static int code_of (char letter, char const *text)
{
  if (letter == 'K') return 0 ;
  if (letter == 'Z') return EX_TEMPFAIL ;
  if (!strncmp(text, "5.7.1", 5)) return EX_NOPERM ;
  if (!strncmp(text, "5.3.4", 5) || !strncmp(text, "5.6.", 4)) return EX_DATAERR ;
  return EX_UNAVAILABLE ;
}

static int answered (char letter, char const *reply, int verbose)
{
  int code = code_of(letter, reply + 1) ;
  if (!code)
  {
    if (verbose) strerr_warni2x("queued as ", reply + 1) ;
    return 0 ;
  }
  strerr_dief3x(code, letter == 'Z' ? "the queue deferred the message: " : "the queue refused the message: ", reply + 1, letter == 'Z' ? " (try again later)" : "") ;
}

/* A write failed: the server may have answered early and closed. */
static int failed (qinject *q, char const *what)
{
  char reply[256] ;
  int e = errno ;
  char letter = qinject_early(q, reply, sizeof(reply)) ;
  if (letter) return answered(letter, reply, 0) ;
  errno = e ;
  strerr_diefu2sys(EX_TEMPFAIL, "send the message to the queue: ", what) ;
}

static int data (qinject *q, char const *s, size_t len)
{
  tain d ;
  while (len)
  {
    size_t n = len > PIECE ? PIECE : len ;
    if (!qinject_data(q, s, n, step(&d))) return 0 ;
    s += n ;
    len -= n ;
  }
  return 1 ;
}

static int envelope (qinject *q, sm_job const *j)
{
  tain d ;
  char fmt[UINT64_FMT] ;
  size_t i ;
  if (!qinject_field(q, 'F', j->sender, strlen(j->sender), step(&d))) return 0 ;
  for (i = 0 ; i < j->mparams->len ; i += strlen(j->mparams->s + i) + 1)
    if (!qinject_field(q, 'M', j->mparams->s + i, strlen(j->mparams->s + i), step(&d))) return 0 ;
  for (i = 0 ; i < j->rcpts->list.len ; i += strlen(j->rcpts->list.s + i) + 1)
  {
    if (!qinject_field(q, 'T', j->rcpts->list.s + i, strlen(j->rcpts->list.s + i), step(&d))) return 0 ;
    if (j->notify && !qinject_field(q, 'N', j->notify, strlen(j->notify), step(&d))) return 0 ;
  }
  if (!qinject_field(q, 'P', "LOCAL", 5, step(&d))) return 0 ;
  {
    char user[256] = "user=" ;
    size_t n = strlen(j->user) ;
    if (n > sizeof(user) - 6) n = sizeof(user) - 6 ;
    memcpy(user + 5, j->user, n) ;
    if (!qinject_field(q, 'X', user, 5 + n, step(&d))) return 0 ;
  }
  {
    char uid[4 + UINT64_FMT] = "uid=" ;
    size_t n = uint64_fmt(fmt, (uint64_t)j->uid) ;
    memcpy(uid + 4, fmt, n) ;
    if (!qinject_field(q, 'X', uid, 4 + n, step(&d))) return 0 ;
  }
  return 1 ;
}

int sm_inject (sm_job const *j)
{
  static qinject q ;
  char reply[256] ;
  char letter ;
  tain d ;
  sm_msg const *m = j->m ;
  if (!qinject_connect(&q, j->path, step(&d)))
  {
    strerr_diefu3sys(EX_TEMPFAIL, "connect to the mail queue at ", j->path, " (is posthaste running?)") ;
  }
  if (!envelope(&q, j)) return failed(&q, "envelope") ;
  if (!data(&q, j->top->s, j->top->len)) return failed(&q, "headers") ;
  for (size_t i = 0 ; i < genalloc_len(sm_field, &m->fields) ; i++)
  {
    sm_field const *f = genalloc_s(sm_field, &m->fields) + i ;
    /* Bcc: must not reach the recipients (RFC 5322 3.6.3 leaves it to
     * the implementation; Postfix removes it too). */
    if (sm_field_is(m, f, "bcc") || sm_field_is(m, f, "resent-bcc")) continue ;
    if (!data(&q, m->text.s + f->start, f->len)) return failed(&q, "headers") ;
  }
  if (!data(&q, j->added->s, j->added->len)
   || !data(&q, "\n", 1)
   || !data(&q, m->text.s + m->body, m->text.len - m->body)) return failed(&q, "message") ;
  letter = qinject_finish(&q, reply, sizeof(reply), step(&d)) ;
  qinject_close(&q) ;
  if (!letter) strerr_diefu1sys(EX_TEMPFAIL, "get the queue's answer") ;
  return answered(letter, reply, j->verbose) ;
}
