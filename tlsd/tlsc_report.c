/* ISC license. */

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "tlsc.h"

/* What tlsc tells its caller, and the log, about the server it talks
 * to. Everything taken from the certificate is the peer's to choose, so
 * it is cut to printable ASCII before it goes anywhere. */

int tlsc_verified (SSL *ssl, char const **why)
{
  X509 *cert = SSL_get0_peer_certificate(ssl) ;
  long r ;
  if (!cert)
  {
    *why = "no peer certificate" ;
    return 0 ;
  }
  r = SSL_get_verify_result(ssl) ;
  if (r == X509_V_OK)
  {
    *why = "" ;
    return 1 ;
  }
  *why = X509_verify_cert_error_string(r) ;
  if (!*why) *why = "unknown verification error" ;
  return 0 ;
}

/* Printable ASCII, spaces included; anything else becomes '?'. */
static void printable (char *out, size_t max, char const *s, size_t n)
{
  size_t i = 0 ;
  if (n > max) n = max ;
  for (; i < n ; i++)
    out[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?' ;
  out[n] = 0 ;
}

/* The subject's first commonName, for the logs only (the name check is
 * OpenSSL's, on the subjectAltName first). "" when there is none. */
static void peer_cn (SSL *ssl, char *out)
{
  X509 *cert = SSL_get0_peer_certificate(ssl) ;
  X509_NAME *subject ;
  X509_NAME_ENTRY *e ;
  unsigned char *utf8 = 0 ;
  int i, n ;
  out[0] = 0 ;
  if (!cert) return ;
  subject = X509_get_subject_name(cert) ;
  if (!subject) return ;
  i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1) ;
  if (i < 0) return ;
  e = X509_NAME_get_entry(subject, i) ;
  if (!e) return ;
  n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e)) ;
  if (n < 0) return ;
  printable(out, TLSC_CN_MAX, (char const *)utf8, (size_t)n) ;
  OPENSSL_free(utf8) ;
}

size_t tlsc_report (SSL *ssl, char *buf, size_t max)
{
  char cn[TLSC_CN_MAX + 1] ;
  char why[TLSC_VERIFY_ERROR_MAX + 1] ;
  char const *w ;
  int ok = tlsc_verified(ssl, &w) ;
  size_t len = 0 ;
  len = tlsd_report_add(buf, max, len, "SSL_PROTOCOL", SSL_get_version(ssl)) ;
  len = tlsd_report_add(buf, max, len, "SSL_CIPHER", SSL_get_cipher_name(ssl)) ;
  len = tlsd_report_add(buf, max, len, "SSL_VERIFIED", ok ? "1" : "0") ;
  if (!ok)
  {
    printable(why, TLSC_VERIFY_ERROR_MAX, w, strlen(w)) ;
    len = tlsd_report_add(buf, max, len, "SSL_VERIFY_ERROR", why) ;
  }
  peer_cn(ssl, cn) ;
  if (cn[0]) len = tlsd_report_add(buf, max, len, "SSL_PEER_CN", cn) ;
  return len ;
}

size_t tlsc_report_refused (SSL *ssl, char *buf, size_t max)
{
  char why[TLSC_VERIFY_ERROR_MAX + 1] ;
  long r = SSL_get_verify_result(ssl) ;
  char const *w ;
  if (r == X509_V_OK) return 0 ;
  w = X509_verify_cert_error_string(r) ;
  if (!w) w = "unknown verification error" ;
  printable(why, TLSC_VERIFY_ERROR_MAX, w, strlen(w)) ;
  return tlsd_report_add(buf, max, 0, "SSL_VERIFY_ERROR", why) ;
}

void tlsc_log_handshake (SSL *ssl, tlsc_peer const *p)
{
  char cn[TLSC_CN_MAX + 1] ;
  char const *why ;
  int ok = tlsc_verified(ssl, &why) ;
  logline l ;
  peer_cn(ssl, cn) ;
  log_begin(&l, "tls") ;
  log_kv(&l, "ip", tlsd_ip) ;
  log_kv(&l, "host", p->name) ;
  log_kv(&l, "proto", SSL_get_version(ssl)) ;
  log_kv(&l, "cipher", SSL_get_cipher_name(ssl)) ;
  log_kv(&l, "verified", ok ? "yes" : "no") ;
  if (!ok) log_kv(&l, "verify_error", why) ;
  log_kv(&l, "cn", cn) ;
  log_commit(&l) ;
}
