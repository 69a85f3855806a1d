/* ISC license. */

#include <string.h>

#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "authd.h"
#include "authd-internal.h"

int authd_reply_queue (authd *a, tain const *when, char const *const *parts, unsigned int n)
{
  authd_reply *r ;
  size_t len = 0 ;
  if (a->rcount >= AUTHD_REPLY_SLOTS) return 0 ;
  for (unsigned int i = 0 ; i < n ; i++) len += strlen(parts[i]) ;
  if (len + 1 > AUTHD_REPLY_MAX) return 0 ;
  r = a->reply + (a->rhead + a->rcount) % AUTHD_REPLY_SLOTS ;
  r->len = 0 ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    size_t m = strlen(parts[i]) ;
    memcpy(r->s + r->len, parts[i], m) ;
    r->len += m ;
  }
  r->s[r->len++] = '\n' ;
  r->when = *when ;
  a->rcount++ ;
  return 1 ;
}

int authd_reply_cont (authd *a, tain const *now, uint32_t id, char const *challenge, size_t len)
{
  char fmt[UINT32_FMT] ;
  char enc[64] ;
  /* The only challenges are "", "Username:" and "Password:". */
  if (len > 3 * (sizeof(enc) / 4) - 3) return 0 ;
  fmt[uint32_fmt(fmt, id)] = 0 ;
  enc[authd_b64_encode(challenge, len, enc)] = 0 ;
  {
    char const *parts[4] = { "CONT\t", fmt, "\t", enc } ;
    return authd_reply_queue(a, now, parts, 4) ;
  }
}

int authd_reply_ok (authd *a, tain const *now, uint32_t id, char const *user, char const *ticket)
{
  char fmt[UINT32_FMT] ;
  fmt[uint32_fmt(fmt, id)] = 0 ;
  /* The ticket is an extra OK parameter, which Postfix ignores as the
   * protocol says unknown parameters must be (docs/internals.md,
   * "Tickets"). */
  {
    char const *parts[6] = { "OK\t", fmt, "\tuser=", user, "\tticket=", ticket } ;
    return authd_reply_queue(a, now, parts, ticket ? 6 : 4) ;
  }
}

int authd_reply_fail (authd *a, tain const *now, uint32_t id, char const *user, char const *reason, int temp)
{
  char fmt[UINT32_FMT] ;
  char const *parts[8] ;
  unsigned int n = 0 ;
  tain when ;
  fmt[uint32_fmt(fmt, id)] = 0 ;
  parts[n++] = "FAIL\t" ;
  parts[n++] = fmt ;
  if (user) { parts[n++] = "\tuser=" ; parts[n++] = user ; }
  if (reason) { parts[n++] = "\treason=" ; parts[n++] = reason ; }
  if (temp) parts[n++] = "\ttemp" ;
  when = tain_less(&a->lastfail, now) ? *now : a->lastfail ;
  tain_add(&when, &when, &a->faildelay) ;
  if (!authd_reply_queue(a, &when, parts, n)) return 0 ;
  a->lastfail = when ;
  return 1 ;
}

size_t authd_release (authd *a, tain const *now, char *out, size_t max)
{
  size_t w = 0 ;
  while (a->rcount)
  {
    authd_reply *r = a->reply + a->rhead ;
    if (tain_less(now, &r->when) || r->len > max - w) break ;
    memcpy(out + w, r->s, r->len) ;
    w += r->len ;
    a->rhead = (a->rhead + 1) % AUTHD_REPLY_SLOTS ;
    a->rcount-- ;
  }
  return w ;
}

int authd_pending (authd const *a, tain *when)
{
  if (!a->rcount) return 0 ;
  *when = a->reply[a->rhead].when ;
  return 1 ;
}
