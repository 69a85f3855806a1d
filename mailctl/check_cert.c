/* ISC license. */

/* mailctl check: the certificate tlsd serves (the files of
 * tlsd/README.md, "Certificates", by SSL_TYPE) is valid now, for the
 * host name (RFC 6125 through OpenSSL's X509_check_host: DNS
 * subjectAltNames, wildcards in the leftmost label), and not within
 * PH_CHECK_CERT_DAYS (default 14) of its end. Only the certificate is
 * read, never the key. A self-signed certificate is noted, not counted:
 * the admin chose it (SSL_TYPE=self-signed), but clients will warn. */

#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "check.h"

#define dienomem() strerr_diefu1sys(111, "allocate memory")

static void cat3 (stralloc *sa, char const *a, char const *b, char const *c)
{
  sa->len = 0 ;
  if (!stralloc_cats(sa, a) || !stralloc_cats(sa, b) || !stralloc_cats(sa, c) || !stralloc_0(sa)) dienomem() ;
}

/* letsencrypt: the first of SSL_DOMAIN (without "*."), the host name
 * and the bare domain that has a live/<name>/fullchain.pem. */
static int letsencrypt_path (mccheck *c, stralloc *sa)
{
  char const *names[3] ;
  char const *sd = config_get("SSL_DOMAIN") ;
  char const *dot = strchr(c->host, '.') ;
  unsigned int n = 0 ;
  if (sd) names[n++] = strncmp(sd, "*.", 2) ? sd : sd + 2 ;
  names[n++] = c->host ;
  if (dot && dot[1]) names[n++] = dot + 1 ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    cat3(sa, "/etc/letsencrypt/live/", names[i], "/fullchain.pem") ;
    if (access(sa->s, F_OK) == 0) return 1 ;
  }
  return 0 ;
}

static void check_file (mccheck *c, char const *path)
{
  BIO *bio = BIO_new_file(path, "r") ;
  X509 *x ;
  int days = 0, secs = 0 ;
  unsigned int warn = 14 ;
  uint64_t w ;
  if (!config_get_uint("PH_CHECK_CERT_DAYS", 14, &w) || w > 3650) strerr_dief1x(100, "PH_CHECK_CERT_DAYS is not a number of days (0 to 3650)") ;
  warn = (unsigned int)w ;
  if (!bio) { check_say(c, "The certificate ", path, " cannot be opened.") ; return ; }
  x = PEM_read_bio_X509(bio, 0, 0, 0) ;
  BIO_free(bio) ;
  if (!x) { check_say(c, "The file ", path, " holds no PEM certificate.") ; return ; }
  if (X509_check_host(x, c->host, strlen(c->host), 0, 0) != 1)
    check_say(c, "The certificate ", path, " is not valid for the host name ", c->host, ".") ;
  if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0)
    check_say(c, "The certificate ", path, " is not valid yet.") ;
  if (!ASN1_TIME_diff(&days, &secs, 0, X509_get0_notAfter(x)))
    check_say(c, "The certificate ", path, " has an unreadable expiry date.") ;
  else if (days < 0 || (days == 0 && secs <= 0))
    check_say(c, "The certificate ", path, " has expired.") ;
  else if ((unsigned int)days < warn)
  {
    char fmt[UINT_FMT] ;
    fmt[uint_fmt(fmt, (unsigned int)days)] = 0 ;
    check_say(c, "The certificate ", path, " expires in ", fmt, " days: renew it.") ;
  }
  if (X509_check_issued(x, x) == X509_V_OK)
  {
    if (buffer_puts(buffer_1, "Note: the certificate ") < 0 || buffer_puts(buffer_1, path) < 0
     || buffer_puts(buffer_1, " is self-signed; mail clients will warn about it.\n") < 0)
      strerr_diefu1sys(111, "write to stdout") ;
  }
  X509_free(x) ;
}

void check_cert (mccheck *c)
{
  stralloc path = STRALLOC_ZERO ;
  char const *type = config_get("SSL_TYPE") ;
  if (!type) check_say(c, "SSL_TYPE is not set: the server offers no TLS, and clients will not send passwords.") ;
  else if (!strcmp(type, "letsencrypt"))
  {
    if (letsencrypt_path(c, &path)) check_file(c, path.s) ;
    else check_say(c, "No Let's Encrypt certificate for ", c->host, " was found under /etc/letsencrypt/live/.") ;
  }
  else if (!strcmp(type, "manual"))
  {
    char const *p = config_get("SSL_CERT_PATH") ;
    char const *alt = config_get("SSL_ALT_CERT_PATH") ;
    if (!p) check_say(c, "SSL_TYPE=manual but SSL_CERT_PATH is not set.") ;
    else check_file(c, p) ;
    if (alt) check_file(c, alt) ;
  }
  else if (!strcmp(type, "self-signed"))
  {
    char const *dir = config_get("PH_CONFIG_DIR") ;
    if (!dir) strerr_dienotset(100, "PH_CONFIG_DIR") ;
    cat3(&path, dir, "/ssl/", c->host) ;
    path.len-- ;
    if (!stralloc_cats(&path, "-cert.pem") || !stralloc_0(&path)) dienomem() ;
    check_file(c, path.s) ;
  }
  else check_say(c, "SSL_TYPE=", type, " is not one tlsd knows (letsencrypt, manual, self-signed).") ;
  stralloc_free(&path) ;
}
