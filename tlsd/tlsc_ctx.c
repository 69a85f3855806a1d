/* ISC license. */

#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <openssl/x509v3.h>

#include "tlsc.h"

/* The client side, for mail between MTAs. Most servers on the Internet
 * are not configured for a strict client: what matters first is that
 * the session is encrypted at all (opportunistic TLS, RFC 7435), so the
 * cipher list is OpenSSL's default (which already leaves out the
 * export, NULL and anonymous suites) minus what is broken outright;
 * TLS 1.2 is the floor, as for tlsd. TLS 1.3 keeps OpenSSL's suites. */
#define CIPHERS "DEFAULT:!aNULL:!eNULL:!EXPORT:!LOW:!MD5:!RC4:!DES:!3DES:!IDEA:!SEED:!PSK:!SRP"

SSL_CTX *tlsc_ctx_new (char const *cafile, int require)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method()) ;
  if (!ctx) goto err ;
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
   || !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) goto err ;
  /* as tlsd_ctx.c: no compression, no renegotiation; an EOF without
   * close_notify is an EOF (SMTP delimits its own data) */
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF) ;
  if (!SSL_CTX_set_cipher_list(ctx, CIPHERS)) goto err ;
  /* the relay writes what is in its buffer and compacts it between
   * retries (tlsd_relay.c) */
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS) ;
  /* one connection per process: nothing to resume later */
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF) ;

  /* The chain is always checked against the store; with VERIFY_NONE the
   * result is only recorded (SSL_get_verify_result), and the caller
   * decides what an unverified peer may get. With require, the
   * handshake itself fails, so not a byte goes to such a peer. */
  if (cafile)
  {
    if (!SSL_CTX_load_verify_locations(ctx, cafile, 0))
    {
      tlsd_log_configssl("unable to load the CA file") ;
      SSL_CTX_free(ctx) ;
      return 0 ;
    }
  }
  else if (!SSL_CTX_set_default_verify_paths(ctx)) goto err ;
  SSL_CTX_set_verify(ctx, require ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, 0) ;
  return ctx ;

 err:
  tlsd_log_configssl("unable to set up the TLS client context") ;
  if (ctx) SSL_CTX_free(ctx) ;
  return 0 ;
}

/* The name the certificate must carry (RFC 6125 checks by OpenSSL: the
 * subjectAltName DNS names, the CN only without them; a wildcard only
 * as a whole leftmost label). RFC 7672 (DANE) and RFC 8461 (MTA-STS)
 * say which name and which trust anchors apply per destination: that
 * is the caller's policy; here the name is the one we were given. */
SSL *tlsc_ssl_new (SSL_CTX *ctx, tlsc_peer const *p)
{
  SSL *ssl = SSL_new(ctx) ;
  if (!ssl) goto err ;
  if (p->isip)
  {
    if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), p->name)) goto err ;
  }
  else
  {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS) ;
    if (!SSL_set1_host(ssl, p->name)) goto err ;
    if (!SSL_set_tlsext_host_name(ssl, p->name)) goto err ;
  }
  return ssl ;

 err:
  tlsd_log_configssl("unable to set up the TLS connection") ;
  if (ssl) SSL_free(ssl) ;
  return 0 ;
}
