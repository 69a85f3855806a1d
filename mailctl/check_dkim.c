/* ISC license. */

/* mailctl check: each DKIM key of KeyTable for the domain is published
 * at <selector>._domainkey.<domain>, and the published key is the
 * public half of the private key dkimsign signs with (RFC 6376 §3.6.1):
 * a key rotated on disk but not in the DNS makes every signature fail.
 * The private key is read here (mailctl runs as root) and only its
 * public half is kept; the buffer is wiped. */

#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/dkim.h"
#include "common/dns.h"
#include "mailctl.h"
#include "check.h"

#define KEYFILE_MAX 65536

#define dienomem() strerr_diefu1sys(111, "allocate memory")

static EVP_PKEY *read_private (char const *path, int *alg)
{
  char buf[KEYFILE_MAX] ;
  ssize_t r = openreadnclose(path, buf, sizeof(buf)) ;
  EVP_PKEY *k = r > 0 && (size_t)r < sizeof(buf) ? dkim_privkey_parse(buf, (size_t)r, alg) : 0 ;
  memset(buf, 0, sizeof(buf)) ;
  return k ;
}

/* Is one of the records at owner exactly the key's public half? */
static void compare_published (mccheck *c, char const *owner, char const *path, EVP_PKEY *priv)
{
  dns_query q = DNS_QUERY_ZERO ;
  size_t pos = 0, len ;
  char const *rd ;
  unsigned int records = 0 ;
  int same = 0 ;
  int st = check_ask(c, &q, owner, DNS_T_TXT) ;
  if (st != DNS_OK && st != DNS_NODATA && st != DNS_NXDOMAIN)
  {
    check_temporary(c, "the DKIM key", owner, st) ;
    goto end ;
  }
  while (dns_record_next(&q, &pos, &rd, &len))
  {
    stralloc txt = STRALLOC_ZERO ;
    dkim_key k ;
    char const *why ;
    if (dkim_txt_join(rd, len, &txt))
    {
      records++ ;
      if (dkim_key_parse(&k, txt.s, txt.len, &why) == 1)
      {
        if (EVP_PKEY_eq(k.pkey, priv) == 1) same = 1 ;
        dkim_key_free(&k) ;
      }
    }
    stralloc_free(&txt) ;
  }
  if (!records)
    check_say(c, "No DKIM key is published at ", owner, ": publish the record `mailctl dns` prints.") ;
  else if (!same)
    check_say(c, "The DKIM key published at ", owner, " is not the public half of the private key ", path, ": signatures will fail.") ;
 end:
  dns_query_free(&q) ;
}

/* KeyTable (docker-mailserver's opendkim/KeyTable):
 * "<name> <domain>:<selector>:<keyfile>" per line. */
void check_dkim (mccheck *c, char const *domain)
{
  stralloc kt = STRALLOC_ZERO ;
  mcfile f = MCFILE_ZERO ;
  unsigned int keys = 0 ;
  size_t dl = strlen(domain) ;
  if (!stralloc_cats(&kt, c->ctx->confdir) || !stralloc_cats(&kt, "/opendkim/KeyTable") || !stralloc_0(&kt)) dienomem() ;
  mc_file_read(&f, kt.s) ;
  for (size_t i = 0 ; i < mc_nlines(&f) ; i++)
  {
    mcline const *l = mc_line(&f, i) ;
    char const *s = mc_str(&f, l->raw) ;
    size_t len = l->rawlen, j = 0, c1, c2 ;
    stralloc v = STRALLOC_ZERO, path = STRALLOC_ZERO, owner = STRALLOC_ZERO ;
    char const *file ;
    int alg = 0 ;
    EVP_PKEY *k ;
    while (j < len && (s[j] == ' ' || s[j] == '\t')) j++ ;
    if (j == len || s[j] == '#') continue ;
    while (j < len && s[j] != ' ' && s[j] != '\t') j++ ;
    while (j < len && (s[j] == ' ' || s[j] == '\t')) j++ ;
    c1 = byte_chr(s + j, len - j, ':') ;
    if (c1 != dl || case_diffb(s + j, dl, domain)) continue ;
    c2 = c1 + 1 + byte_chr(s + j + c1 + 1, len - j - c1 - 1, ':') ;
    if (c2 >= len - j) continue ;
    if (!stralloc_catb(&v, s + j, len - j) || !stralloc_0(&v)) dienomem() ;
    v.s[c1] = 0 ;
    v.s[c2] = 0 ;
    file = v.s + c2 + 1 ;
    /* docker-mailserver's tables name /etc/opendkim/...: the file is in the config folder */
    if (!strncmp(file, "/etc/opendkim/", 14) && access(file, F_OK) < 0)
    {
      if (!stralloc_cats(&path, c->ctx->confdir) || !stralloc_cats(&path, "/opendkim/")
       || !stralloc_cats(&path, file + 14) || !stralloc_0(&path)) dienomem() ;
      file = path.s ;
    }
    if (!stralloc_cats(&owner, v.s + c1 + 1) || !stralloc_cats(&owner, "._domainkey.")
     || !stralloc_cats(&owner, domain) || !stralloc_0(&owner)) dienomem() ;
    keys++ ;
    k = read_private(file, &alg) ;
    if (!k) check_say(c, "The DKIM private key ", file, " for ", owner.s, " cannot be read.") ;
    else
    {
      compare_published(c, owner.s, file, k) ;
      EVP_PKEY_free(k) ;
    }
    stralloc_free(&v) ; stralloc_free(&path) ; stralloc_free(&owner) ;
  }
  if (!keys)
    check_say(c, "The domain ", domain, " has no DKIM key in ", kt.s, ": make one with `mailctl dkim keygen ", domain, "`.") ;
  stralloc_free(&kt) ;
  stralloc_free(&f.storage) ;
  genalloc_free(mcline, &f.lines) ;
}
