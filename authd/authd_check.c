/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/tai.h>

#include "common/addr.h"
#include "common/banevent.h"
#include "common/log.h"
#include "common/pwhash.h"
#include "authd.h"
#include "authd-internal.h"

/* An unknown user costs the same crypt work as a known one (a
 * SHA512-CRYPT hash of a random password at the default 5000 rounds, the
 * scheme mailctl writes), so the answer time does not say which names
 * exist. The failure delay then dominates anyway. */
static char const dummy[] = "{SHA512-CRYPT}$6$0dd3cf30bb035565$8wBrGceCnyyBzoeF2SUExhvSJDPMW8THm/IsjXyjx.wVao.a2PTkHvdrnrS.LgYEJUh5ORyGH1Sw05GpqUCqg0" ;

static char const *mech_name (int mech)
{
  return mech == AUTHD_MECH_LOGIN ? "LOGIN" : mech == AUTHD_MECH_PLAIN ? "PLAIN" : "unsupported" ;
}

static void log_event (authd const *a, authd_req *r, char const *event, char const *user, size_t userlen, char const *reason)
{
  logline l ;
  log_begin(&l, event) ;
  log_kvn(&l, "user", user, userlen) ;
  log_kv(&l, "ip", r->rip) ;
  log_kv(&l, "mech", mech_name(r->mech)) ;
  log_kv(&l, "service", r->service) ;
  if (r->secured) log_kv(&l, "secured", "yes") ;
  if (reason) log_kv(&l, "reason", reason) ;
  /* a local peer: counted per uid here (authd_local.c), not by banwatch */
  if (a->peer) log_kv(&l, "uid", a->peer) ;
  if (r->claimed[0]) log_kv(&l, "claimed_rip", r->claimed) ;
  log_commit(&l) ;
  if (!strcmp(event, "auth_fail")) r->denied = 1 ;
  /* banwatch counts failures per client: only the services that name
   * one (rip=) can be counted (banwatch/README.md) */
  if (r->rip[0] && !strcmp(event, "auth_fail"))
  {
    char name[BANEVENT_VALUE_MAX + 1] ;
    size_t n = userlen < BANEVENT_VALUE_MAX ? userlen : BANEVENT_VALUE_MAX ;
    memcpy(name, user, n) ;
    name[n] = 0 ;
    banevent_send("auth_fail", r->rip, r->service, name) ;
  }
}

int authd_req_fail (authd *a, authd_req *r, tain const *now, char const *user, size_t userlen, char const *logreason, char const *answer)
{
  log_event(a, r, "auth_fail", user ? user : "", userlen, logreason) ;
  r->inuse = 0 ;
  return authd_reply_fail(a, now, r->id, 0, answer, 0) ;
}

static size_t key_of (char const *s, size_t len, char *key)
{
  mailaddr addr ;
  if (!addr_parse_mailbox(s, len, &addr, ADDR_UTF8_OK) || addr.at >= addr.len) return 0 ;
  return addr_key(&addr, key) ;
}

static void log_error (authd const *a, authd_req const *r, char const *key, size_t keylen, char const *error)
{
  logline l ;
  log_begin(&l, "auth_error") ;
  log_kvn(&l, "user", key, keylen) ;
  log_kv(&l, "ip", r->rip) ;
  log_kv(&l, "service", r->service) ;
  if (a->peer) log_kv(&l, "uid", a->peer) ;
  log_kv(&l, "error", error) ;
  log_commit(&l) ;
}

/* A good password with "ticket" asked: the login counts only if the
 * ticket could be made (docs/internals.md, "Tickets"); tickets exist for
 * the mail access services alone, whose spawner checks service=. A
 * ticket that cannot be written is a temporary failure: the password was
 * right, so it is no auth_fail for banwatch. */
static int issue (authd *a, authd_req *r, tain const *now, char const *key, size_t keylen)
{
  char hex[AUTHD_TICKET_HEX + 1] ;
  if (strcmp(r->service, "imap") && strcmp(r->service, "pop3"))
  {
    log_error(a, r, key, keylen, "ticket asked for a service other than imap or pop3") ;
    return authd_reply_fail(a, now, r->id, key, "Tickets are for imap and pop3 only", 0) ;
  }
  if (!a->ticket)
  {
    log_error(a, r, key, keylen, "tickets not configured (PH_STATE unset)") ;
    return authd_reply_fail(a, now, r->id, key, "Temporary authentication failure", 1) ;
  }
  if (!(*a->ticket)(a->ticketctx, key, r->service, r->rip, hex))
  {
    log_error(a, r, key, keylen, strerror(errno)) ;
    return authd_reply_fail(a, now, r->id, key, "Temporary authentication failure", 1) ;
  }
  log_event(a, r, "auth_ok", key, keylen, 0) ;
  {
    int ok = authd_reply_ok(a, now, r->id, key, hex) ;
    explicit_bzero(hex, sizeof(hex)) ;
    return ok ;
  }
}

static int check (authd *a, authd_req *r, tain const *now, char const *authzid, size_t authzlen, char const *name, size_t namelen, char const *password, size_t pwlen)
{
  char key[ADDR_PATH_MAX + 3] ;
  char hash[AUTHD_HASH_MAX] ;
  char const *why = 0 ;
  size_t keylen = 0 ;
  int found = 0, scheme = -1, match = 0 ;
  r->inuse = 0 ;
  switch (authd_masteruser(a, r, authzid, authzlen, name, namelen, password, pwlen, key, &keylen, &why))
  {
    case 0 : break ;
    case 1 : goto accepted ;
    case 2 :
      log_event(a, r, "auth_fail", name, namelen, why) ;
      return authd_reply_fail(a, now, r->id, 0, 0, 0) ;
    default :
      log_error(a, r, name, namelen, strerror(errno)) ;
      return authd_reply_fail(a, now, r->id, 0, "Temporary authentication failure", 1) ;
  }
  keylen = key_of(name, namelen, key) ;
  if (keylen)
  {
    found = a->lookup(a->lookupctx, key, keylen, hash) ;
    if (found < 0)
    {
      log_error(a, r, key, keylen, strerror(errno)) ;
      return authd_reply_fail(a, now, r->id, key, "Temporary authentication failure", 1) ;
    }
  }
  if (found)
  {
    int v = pwhash_verify(hash, strlen(hash), password, pwlen, &scheme) ;
    if (v < 0) why = "unusable_hash" ;
    else if (!v) why = "bad_password" ;
    else match = 1 ;
  }
  else
  {
    pwhash_verify(dummy, sizeof(dummy) - 1, password, pwlen, 0) ;
    why = "unknown_user" ;
  }
  explicit_bzero(hash, sizeof(hash)) ;

  /* RFC 4616 section 2: an authorization identity, when given, must be
   * one the authenticated user may act as; here only itself. */
  if (match && authzid && authzlen)
  {
    char zkey[ADDR_PATH_MAX + 3] ;
    size_t zlen = key_of(authzid, authzlen, zkey) ;
    if (zlen != keylen || memcmp(zkey, key, keylen))
    {
      match = 0 ;
      why = "authzid_mismatch" ;
    }
  }

  if (!match)
  {
    if (keylen) log_event(a, r, "auth_fail", key, keylen, why) ;
    else log_event(a, r, "auth_fail", name, namelen, why) ;
    return authd_reply_fail(a, now, r->id, keylen ? key : 0, 0, 0) ;
  }
  if (scheme == PWHASH_SCHEME_PLAIN)
    log_event(a, r, "auth_plain_scheme", key, keylen, "password stored in clear: rehash it with mailctl email update") ;
 accepted:
  if (r->ticket) return issue(a, r, now, key, keylen) ;
  log_event(a, r, "auth_ok", key, keylen, 0) ;
  return authd_reply_ok(a, now, r->id, key, 0) ;
}

/* A local peer's checks are serialized and spaced per uid across all its
 * connections (authd_local.c): the answer, OK or FAIL, leaves no earlier
 * than the slot it is given, so guessing on parallel connections learns
 * nothing faster than guessing on one. */
int authd_check (authd *a, authd_req *r, tain const *now, char const *authzid, size_t authzlen, char const *name, size_t namelen, char const *password, size_t pwlen)
{
  tain slot ;
  int ok ;
  if (!a->localbegin) return check(a, r, now, authzid, authzlen, name, namelen, password, pwlen) ;
  if (!(*a->localbegin)(a->localctx, now, &slot))
  {
    r->inuse = 0 ;
    log_error(a, r, name, namelen, strerror(errno)) ;
    return authd_reply_fail(a, now, r->id, 0, "Temporary authentication failure", 1) ;
  }
  r->denied = 0 ;
  ok = check(a, r, &slot, authzid, authzlen, name, namelen, password, pwlen) ;
  (*a->localend)(a->localctx, r->denied) ;
  return ok ;
}
