/* ISC license. */

#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "tlsd_io.h"

/* The server name the client asked for, if it is a plain host name:
 * anything else is not worth reporting (and must not reach a header). */
static int servername (SSL *ssl, char *out)
{
  char const *s = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) ;
  return s && tlsd_name_valid(s, out) ;
}

size_t tlsd_report_add (char *buf, size_t max, size_t w, char const *name, char const *value)
{
  size_t n = strlen(name) ;
  size_t m = strlen(value) ;
  if (w + n + m + 2 > max) return w ;
  memcpy(buf + w, name, n) ;
  buf[w + n] = '=' ;
  memcpy(buf + w + n + 1, value, m + 1) ;
  return w + n + m + 2 ;
}

/* The block written on the control socket (and, in implicit mode, put
 * into the protocol program's environment as it is): text0 records
 * SSL_PROTOCOL=...\0SSL_CIPHER=...\0[SSL_TLS_SNI_SERVERNAME=...\0] */
size_t tlsd_report (SSL *ssl, char *buf, size_t max)
{
  char name[TLSD_NAME_MAX + 1] ;
  size_t w = 0 ;
  w = tlsd_report_add(buf, max, w, "SSL_PROTOCOL", SSL_get_version(ssl)) ;
  w = tlsd_report_add(buf, max, w, "SSL_CIPHER", SSL_get_cipher_name(ssl)) ;
  if (servername(ssl, name)) w = tlsd_report_add(buf, max, w, "SSL_TLS_SNI_SERVERNAME", name) ;
  return w ;
}

void tlsd_log_handshake (SSL *ssl)
{
  char name[TLSD_NAME_MAX + 1] ;
  logline l ;
  log_begin(&l, "tls") ;
  log_kv(&l, "ip", tlsd_ip) ;
  log_kv(&l, "proto", SSL_get_version(ssl)) ;
  log_kv(&l, "cipher", SSL_get_cipher_name(ssl)) ;
  log_kv(&l, "sni", servername(ssl, name) ? name : "") ;
  log_kv(&l, "resumed", SSL_session_reused(ssl) ? "yes" : "no") ;
  log_commit(&l) ;
}

void tlsd_log_configssl (char const *reason)
{
  tlsd_log_config_error(reason, 0, tlsd_ssl_reason()) ;
}

/* The most recent OpenSSL error as its reason text ("wrong version
 * number", "no shared cipher"), clearing the queue. */
char const *tlsd_ssl_reason (void)
{
  unsigned long e = ERR_peek_last_error() ;
  char const *s = e ? ERR_reason_error_string(e) : 0 ;
  ERR_clear_error() ;
  return s ? s : "unknown TLS error" ;
}
