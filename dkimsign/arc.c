/* ISC license. */

/* An ARC set (RFC 8617 §5.1) for a message one of our aliases forwards
 * to another host: the sealer is the alias's domain, whose keys only
 * dkimsign may read (docs/internals.md, "DKIM signing"). */

#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include <skalibs/stralloc.h>

#include "common/arc.h"
#include "common/config.h"
#include "common/dkim.h"
#include "common/log.h"
#include "dkimsign.h"

static void say (stralloc *sa, char const *s)
{
  if (sa->len < 400) stralloc_cats(sa, s) ;
}

int ds_arc_seal (stralloc *fields, stralloc *sum, char const *msg, size_t len, char const *eol, char const *alias, char const *qid)
{
  static dskeys keys ;
  stralloc authres = STRALLOC_ZERO ;
  char const *confdir = config_get("PH_CONFIG_DIR") ;
  char const *authserv = config_hostname() ;
  char const *at = strrchr(alias, '@') ;
  char const *domain ;
  char const *why = 0 ;
  int cv, tried = 0 ;
  if (!confdir) { say(sum, "PH_CONFIG_DIR is not set") ; return -1 ; }
  if (!at || !at[1]) { say(sum, "not an address: ") ; say(sum, alias) ; return 0 ; }
  domain = at + 1 ;
  keys.n = 0 ;
  if (!ds_keys_opendkim(&keys, confdir, alias)) { say(sum, "unable to read the OpenDKIM tables") ; return -1 ; }
  ds_keys_rspamd(&keys, confdir, domain) ;

  /* §4.1.3 ARC-Seal and §4.1.2 ARC-Message-Signature name rsa-sha256
   * only: the first RSA key whose d= is the alias's own domain (a
   * SigningTable pattern may name another domain's key for it). */
  for (unsigned int i = 0 ; i < keys.n ; i++)
  {
    dskey const *k = keys.key + i ;
    int alg = 0, r ;
    EVP_PKEY *pkey ;
    if (strcasecmp(k->domain, domain)) continue ;
    tried++ ;
    pkey = ds_key_load(k->path, &alg, qid) ;
    if (!pkey)
    {
      log_event3("dkim_key_error", "qid", qid, "path", k->path, "reason", "unable to read or parse the key") ;
      continue ;
    }
    if (alg != DKIM_ALG_RSA_SHA256) { EVP_PKEY_free(pkey) ; tried-- ; continue ; }
    {
      dkim_signkey key = { .pkey = pkey, .alg = alg, .domain = k->domain, .selector = k->selector } ;
      authres.len = 0 ;
      cv = authserv ? arc_cv_from_authres(msg, len, authserv, &authres) : ARC_NONE ;
      /* RFC 8601 §2.2: a hop that checked nothing says so */
      if (!authres.len && (!stralloc_cats(&authres, authserv ? authserv : domain) || !stralloc_cats(&authres, "; none")))
      { EVP_PKEY_free(pkey) ; stralloc_free(&authres) ; say(sum, "out of memory") ; return -1 ; }
      if (!stralloc_0(&authres)) { EVP_PKEY_free(pkey) ; stralloc_free(&authres) ; say(sum, "out of memory") ; return -1 ; }
      r = arc_seal(fields, msg, len, &key, cv, authres.s, (uint64_t)time(0), eol, &why) ;
    }
    EVP_PKEY_free(pkey) ;
    stralloc_free(&authres) ;
    if (!r)
    {
      log_event3("arc_seal_error", "qid", qid, "d", k->domain, "reason", why) ;
      say(sum, "not sealed: ") ; say(sum, why ? why : "error") ;
      return 0 ;
    }
    {
      logline l ;
      log_begin(&l, "arc_sealed") ;
      log_kv(&l, "qid", qid) ;
      log_kv(&l, "d", k->domain) ;
      log_kv(&l, "s", k->selector) ;
      log_kv(&l, "cv", arc_result_str(cv)) ;
      log_kv(&l, "alias", alias) ;
      log_commit(&l) ;
    }
    say(sum, "d=") ; say(sum, k->domain) ; say(sum, " s=") ; say(sum, k->selector) ;
    say(sum, " cv=") ; say(sum, arc_result_str(cv)) ;
    return 1 ;
  }
  if (tried) { say(sum, "no key could be used for ") ; say(sum, domain) ; return -1 ; }
  say(sum, "no RSA key for ") ; say(sum, domain) ;
  return 0 ;
}
