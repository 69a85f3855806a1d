/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "common/addr.h"
#include "common/cdbmap.h"
#include "common/config.h"
#include "common/log.h"
#include "common/pwhash.h"
#include "authd.h"
#include "authd-internal.h"

/* docker-mailserver's master users (dovecot-masters.cf, compiled by
 * mailctl into $PH_CDB_DIR/masters.cdb: name -> {SCHEME}hash NUL), as
 * Dovecot's master passdb serves them: a master logs in to a user's
 * account with the master's own password, either as "user*master"
 * (master_user_separator, '*' in docker-mailserver's dovecot.conf) or,
 * with PLAIN, as authcid "master" with authzid "user" (RFC 4616). The
 * separator counts only after the address's '@' (a domain never holds a
 * '*', a local part may), so no account name is ambiguous. The user must
 * exist in passwd.cdb (Dovecot's pass=yes: the userdb must know it). */

static char const dummy[] = "{SHA512-CRYPT}$6$0dd3cf30bb035565$8wBrGceCnyyBzoeF2SUExhvSJDPMW8THm/IsjXyjx.wVao.a2PTkHvdrnrS.LgYEJUh5ORyGH1Sw05GpqUCqg0" ;

static cdbmap masters = CDBMAP_ZERO ;
static stralloc masterspath = STRALLOC_ZERO ;

/* 1 found (hash copied), 0 not, -1 error */
static int master_hash (char const *name, size_t len, char *hash)
{
  char key[256] ;
  cdb_data d ;
  char const *nul ;
  int r ;
  if (!len || len >= sizeof(key)) return 0 ;
  for (size_t i = 0 ; i < len ; i++) key[i] = name[i] >= 'A' && name[i] <= 'Z' ? name[i] + ('a' - 'A') : name[i] ;
  if (!masterspath.len)
  {
    char const *dir = config_get("PH_CDB_DIR") ;
    if (!dir) return (errno = EINVAL, -1) ;
    if (!stralloc_cats(&masterspath, dir) || !stralloc_cats(&masterspath, "/masters.cdb") || !stralloc_0(&masterspath)) return -1 ;
    if (!cdbmap_open(&masters, masterspath.s)) return -1 ;
  }
  r = cdbmap_find(&masters, key, len, &d) ;
  if (r <= 0) return r ;
  nul = memchr(d.s, 0, d.len) ;
  if (!nul || (size_t)(nul - d.s) >= AUTHD_HASH_MAX) return (errno = EPROTO, -1) ;
  memcpy(hash, d.s, nul - d.s) ;
  hash[nul - d.s] = 0 ;
  return 1 ;
}

static size_t key_of (char const *s, size_t len, char *key)
{
  mailaddr addr ;
  if (!addr_parse_mailbox(s, len, &addr, ADDR_UTF8_OK) || addr.at >= addr.len) return 0 ;
  return addr_key(&addr, key) ;
}

int authd_masteruser (authd *a, authd_req const *r, char const *authzid, size_t authzlen, char const *name, size_t namelen, char const *password, size_t pwlen, char *key, size_t *keylen, char const **why)
{
  char hash[AUTHD_HASH_MAX] ;
  char const *user, *master ;
  size_t userlen, masterlen ;
  int found, ok ;
  {
    size_t at = namelen, star = namelen ;
    for (size_t i = 0 ; i < namelen ; i++) if (name[i] == '@') at = i ;
    for (size_t i = at < namelen ? at : 0 ; i < namelen ; i++) if (name[i] == '*') { star = i ; break ; }
    if (at < namelen && star < namelen)
    {
      user = name ; userlen = star ;
      master = name + star + 1 ; masterlen = namelen - star - 1 ;
      if (authzlen) { *why = "authzid_with_master_separator" ; return 2 ; }
    }
    else if (authzlen && !memchr(name, '@', namelen))
    {
      /* PLAIN: authcid is the master, authzid the user */
      user = authzid ; userlen = authzlen ;
      master = name ; masterlen = namelen ;
    }
    else return 0 ;
  }
  found = master_hash(master, masterlen, hash) ;
  if (found < 0) return -1 ;
  if (!found)
  {
    if (master == name) return 0 ;  /* no such master: an ordinary PLAIN request */
    pwhash_verify(dummy, sizeof(dummy) - 1, password, pwlen, 0) ;
    *why = "unknown_master" ;
    return 2 ;
  }
  ok = pwhash_verify(hash, strlen(hash), password, pwlen, 0) ;
  explicit_bzero(hash, sizeof(hash)) ;
  if (ok <= 0) { *why = ok < 0 ? "unusable_master_hash" : "bad_master_password" ; return 2 ; }
  *keylen = key_of(user, userlen, key) ;
  if (!*keylen) { *why = "unknown_user" ; return 2 ; }
  found = a->lookup(a->lookupctx, key, *keylen, hash) ;
  explicit_bzero(hash, sizeof(hash)) ;
  if (found < 0) return -1 ;
  if (!found) { *why = "unknown_user" ; return 2 ; }
  {
    logline l ;
    log_begin(&l, "master_login") ;
    log_kvn(&l, "user", key, *keylen) ;
    log_kvn(&l, "master", master, masterlen) ;
    log_kv(&l, "ip", r->rip) ;
    log_kv(&l, "service", r->service) ;
    log_commit(&l) ;
  }
  return 1 ;
}
