/* ISC license. */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include "tlsd_io.h"

/* docker-mailserver's TLS_LEVEL, as its target/scripts/helpers/ssl.sh
 * (_setup_ssl, the TLS_LEVEL case; v12.0 onwards, PR #2945) sets it for
 * Postfix (tls_high_cipherlist, smtpd_tls_protocols) and Dovecot
 * (ssl_cipher_list, ssl_min_protocol): both levels are TLS 1.2 and 1.3
 * only, and TLS 1.3 keeps OpenSSL's suites (neither sets them).
 * modern: TLS 1.2 with ECDHE and AEAD ciphers only (AES-GCM,
 * ChaCha20-Poly1305). docker-mailserver's modern list also has
 * DHE-RSA-AES128/256-GCM; posthaste's modern leaves finite-field DH out
 * (costly handshakes; a client that needs DHE is served by intermediate).
 * intermediate: docker-mailserver's list exactly, in its order: the
 * AEAD suites, DHE-RSA with AES-GCM, then CBC with HMAC-SHA256/384
 * (ECDHE and DHE), for TLS 1.2 clients that have no AEAD cipher. No
 * CBC with HMAC-SHA1: docker-mailserver dropped those with TLS 1.0/1.1.
 * The server's order wins (Postfix's tls_preempt_cipherlist = yes). */
#define CIPHERS_MODERN \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define CIPHERS_INTERMEDIATE \
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
  "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:" \
  "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:" \
  "ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA384:" \
  "DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256"

/* tlsd -O, the MX port (opportunistic STARTTLS, RFC 7435: any encryption
 * beats none). docker-mailserver applies TLS_LEVEL only to its mandatory
 * TLS services; Postfix's smtpd on port 25 runs at
 * smtpd_tls_security_level = may, where smtpd_tls_ciphers applies, and
 * docker-mailserver leaves that at Postfix's default grade, medium
 * (tls_medium_cipherlist, "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH";
 * PR #1802's notes say so), minus smtpd_tls_exclude_ciphers =
 * aNULL, SEED, CAMELLIA, RSA+AES, SHA1, which Postfix appends as
 * ":!item" (target/postfix/main.cf; target/postfix/master.cf's smtp
 * line overrides nothing). Its protocols, smtpd_tls_protocols =
 * !SSLv2,!SSLv3,!TLSv1,!TLSv1.1, are rewritten by ssl.sh's
 * _apply_tls_level to the same value at both levels: TLS 1.2 minimum,
 * whatever TLS_LEVEL says. With OpenSSL 3.0 (Debian's, as in
 * docker-mailserver's image) this takes in TLS 1.2, strongest first:
 * ECDHE and DHE-RSA with AES-GCM, ChaCha20-Poly1305, AES-CCM(8),
 * ARIA-GCM and CBC with HMAC-SHA256/384, and RSA key exchange with
 * ARIA-GCM; not CBC with HMAC-SHA1, not RSA key exchange with AES.
 * MEDIUM and RC4 add nothing there (SEED is excluded, RC4 and IDEA
 * are in the legacy provider); PSK and SRP suites are listed but
 * never chosen without a PSK or SRP callback. */
#define CIPHERS_OPPORTUNISTIC \
  "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:" \
  "!aNULL:!SEED:!CAMELLIA:!RSA+AES:!SHA1"
/* Mozilla's three first, then X448 and P-521 for clients that offer
 * only those: Postfix's default list (tls_eecdh_auto_curves) and
 * OpenSSL's, which Dovecot keeps, both accept them, so a docker-mailserver
 * user's peers and clients all still find a group. */
#define GROUPS "X25519:P-256:P-384:X448:P-521"
#define SESSION_CONTEXT "posthaste-tlsd"

/* SNI (RFC 6066 section 3): a name with its own directory gets that
 * directory's chain; any other name, or none, keeps the default. */
static int on_servername (SSL *ssl, int *alert, void *arg)
{
  tlsd_conf *conf = arg ;
  char name[TLSD_NAME_MAX + 1] ;
  char const *s = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) ;
  unsigned int i = 0 ;
  if (!s || !conf->nsni || !tlsd_name_valid(s, name)) return SSL_TLSEXT_ERR_OK ;
  for (; i < conf->nsni ; i++)
  {
    if (strcmp(conf->sni[i].name, name)) continue ;
    if (tlsd_cert_install(ssl, &conf->sni[i].files, 1, 1)) return SSL_TLSEXT_ERR_OK ;
    *alert = SSL_AD_INTERNAL_ERROR ;
    return SSL_TLSEXT_ERR_ALERT_FATAL ;
  }
  return SSL_TLSEXT_ERR_OK ;
}

SSL_CTX *tlsd_ctx_new (tlsd_conf *conf)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method()) ;
  if (!ctx) goto err ;
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
   || !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) goto err ;
  /* No compression (CRIME), no renegotiation of any kind (a client
   * could otherwise make the engine redo expensive handshakes at will);
   * an EOF without close_notify is just an EOF: SMTP, IMAP and POP3
   * delimit their own data, so truncation cannot go unnoticed. */
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
    | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF) ;
  if (!SSL_CTX_set_cipher_list(ctx, conf->opportunistic ? CIPHERS_OPPORTUNISTIC
      : conf->intermediate ? CIPHERS_INTERMEDIATE : CIPHERS_MODERN)) goto err ;
  if (!SSL_CTX_set1_groups_list(ctx, GROUPS)) goto err ;
  /* DHE-RSA (intermediate, opportunistic) with an RFC 7919 group sized
   * to the certificate's key */
  if ((conf->intermediate || conf->opportunistic) && !SSL_CTX_set_dh_auto(ctx, 1)) goto err ;
  /* The relay writes whatever is in its buffer and may compact it
   * between retries (tlsd_relay.c). */
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS) ;

  /* Each connection is a new process: a server-side session cache would
   * die with it. Resumption works through tickets (RFC 5077, RFC 8446
   * section 4.6.1) sealed with the key shared by every engine. Without
   * a key, no tickets at all: tickets no other process could open would
   * only make clients send them in vain. */
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF) ;
  if (!SSL_CTX_set_session_id_context(ctx, (unsigned char const *)SESSION_CONTEXT, sizeof(SESSION_CONTEXT) - 1)) goto err ;
  if (conf->hasticketkey)
  {
    int r = SSL_CTX_set_tlsext_ticket_keys(ctx, conf->ticketkey, TLSD_TICKETKEY_LEN) ;
    OPENSSL_cleanse(conf->ticketkey, TLSD_TICKETKEY_LEN) ;
    if (r != 1) goto err ;
    if (!SSL_CTX_set_num_tickets(ctx, 1)) goto err ;
  }
  else
  {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET) ;
    if (!SSL_CTX_set_num_tickets(ctx, 0)) goto err ;
  }

  SSL_CTX_set_tlsext_servername_callback(ctx, &on_servername) ;
  SSL_CTX_set_tlsext_servername_arg(ctx, conf) ;
  return ctx ;

 err:
  tlsd_log_configssl("unable to set up the TLS context") ;
  if (ctx) SSL_CTX_free(ctx) ;
  return 0 ;
}
