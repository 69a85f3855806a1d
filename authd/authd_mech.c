/* ISC license. */

#include <string.h>

#include <skalibs/tai.h>

#include "authd.h"
#include "authd-internal.h"

/* SASL PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login), the two
 * mechanisms docker-mailserver's Dovecot offers to Postfix. As in
 * Dovecot, an empty initial response counts as none: the server then
 * asks with an empty challenge (PLAIN) or "Username:" (LOGIN). */

/* message = [authzid] NUL authcid NUL passwd, with authcid and passwd
 * non-empty and no NUL in passwd (RFC 4616 section 2). */
static int plain (authd *a, authd_req *r, tain const *now, char const *s, size_t len)
{
  char const *nul1 = memchr(s, 0, len) ;
  char const *nul2 = nul1 ? memchr(nul1 + 1, 0, len - (nul1 + 1 - s)) : 0 ;
  char const *pw ;
  size_t authzlen, namelen, pwlen ;
  if (!nul2 || memchr(nul2 + 1, 0, len - (nul2 + 1 - s)))
    return authd_req_fail(a, r, now, 0, 0, "malformed_plain", "Invalid PLAIN response") ;
  authzlen = nul1 - s ;
  namelen = nul2 - nul1 - 1 ;
  pw = nul2 + 1 ;
  pwlen = len - (pw - s) ;
  if (!namelen || !pwlen)
    return authd_req_fail(a, r, now, 0, 0, "malformed_plain", "Invalid PLAIN response") ;
  return authd_check(a, r, now, s, authzlen, nul1 + 1, namelen, pw, pwlen) ;
}

static int login_name (authd *a, authd_req *r, tain const *now, char const *s, size_t len)
{
  if (!len || len > AUTHD_NAME_MAX)
    return authd_req_fail(a, r, now, 0, 0, "bad_login_name", "Invalid user name") ;
  memcpy(r->name, s, len) ;
  r->namelen = len ;
  r->step = 1 ;
  return authd_reply_cont(a, now, r->id, "Password:", 9) ;
}

int authd_mech_start (authd *a, authd_req *r, tain const *now, char *data, size_t len, int hasdata)
{
  if (!hasdata || !len)
    return r->mech == AUTHD_MECH_LOGIN
      ? authd_reply_cont(a, now, r->id, "Username:", 9)
      : authd_reply_cont(a, now, r->id, "", 0) ;
  return r->mech == AUTHD_MECH_LOGIN ? login_name(a, r, now, data, len) : plain(a, r, now, data, len) ;
}

int authd_mech_continue (authd *a, authd_req *r, tain const *now, char *data, size_t len)
{
  if (r->mech == AUTHD_MECH_PLAIN) return plain(a, r, now, data, len) ;
  if (!r->step) return login_name(a, r, now, data, len) ;
  if (!len) return authd_req_fail(a, r, now, r->name, r->namelen, "empty_password", 0) ;
  return authd_check(a, r, now, 0, 0, r->name, r->namelen, data, len) ;
}
