/* ISC license. */

#include "common/log.h"
#include "common/preauth.h"

int preauth_auth_failed (preauth *p, char const *mech, char const *user)
{
  logline l ;
  p->authfail++ ;
  log_begin(&l, "auth_fail") ;
  log_kv(&l, "ip", p->rip) ;
  log_kv(&l, "user", user) ;
  log_kv(&l, "mech", mech) ;
  log_kv(&l, "session", p->session) ;
  log_kvu(&l, "count", p->authfail) ;
  log_commit(&l) ;
  return p->authfail >= p->maxauthfail ;
}
