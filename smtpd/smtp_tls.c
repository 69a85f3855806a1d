/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/tai.h>

#include "common/log.h"
#include "common/ucspitls.h"
#include "smtp_session.h"

/* TLS through tlsd (tlsd/README.md, common/ucspitls.h): smtpd never
 * sees a key nor links libssl; it asks tlsd for the handshake and then
 * reads and writes plaintext on pipes to tlsd. */

/* The handshake is tlsd's (60 s at most by default); this covers it. */
#define STARTTLS_SECS 90

/* The symmetric key size of a cipher suite, from its name, for the
 * Received comment (Postfix prints the OpenSSL figure). Only the AEADs
 * tlsd allows are there to find; 0: unknown, no figure printed. */
unsigned int smtp_tls_bits (char const *cipher)
{
  if (strstr(cipher, "AES256") || strstr(cipher, "AES_256") || strstr(cipher, "CHACHA20")) return 256 ;
  if (strstr(cipher, "AES128") || strstr(cipher, "AES_128")) return 128 ;
  return 0 ;
}

static void copy (char *dst, size_t max, char const *src)
{
  size_t n = strlen(src) ;
  if (n >= max) n = max - 1 ;
  memcpy(dst, src, n) ;
  dst[n] = 0 ;
}

static void tls_on (smtp_session *s, ucspitls_info const *info)
{
  s->tls = 1 ;
  copy(s->tlsproto, sizeof(s->tlsproto), info->protocol) ;
  copy(s->tlscipher, sizeof(s->tlscipher), info->cipher) ;
  s->tlsbits = s->tlsalgbits = smtp_tls_bits(s->tlscipher) ;
}

void smtp_tls_implicit (smtp_session *s)
{
  ucspitls_info info ;
  if (ucspitls_env(&info)) tls_on(s, &info) ;
}

int smtp_tls_offer (smtp_session const *s)
{
  return !s->tls && ucspitls_available() ;
}

void smtp_do_starttls (smtp_session *s, smtp_cmd const *c)
{
  ucspitls_info info ;
  smtp_deadline(s, STARTTLS_SECS) ;
  if (c->arglen) { smtp_refuse4(s, "STARTTLS", 501, "5.5.4", "syntax: STARTTLS", "syntax") ; return ; }
  if (s->tls) { smtp_refuse4(s, "STARTTLS", 503, "5.5.1", "TLS already active", "sequence") ; return ; }
  /* RFC 3207 4.2 would have the login forgotten with everything else
   * said in clear; refusing is simpler than undoing it (submitd's
   * loopback exemption is the only way to be here) */
  if (s->authuser) { smtp_refuse4(s, "STARTTLS", 503, "5.5.1", "STARTTLS not permitted after AUTH", "sequence") ; return ; }
  /* tlsd is not in front of us, or found no certificate */
  if (!ucspitls_available()) { smtp_refuse4(s, "STARTTLS", 454, "4.7.0", "TLS not available", "tls_unavailable") ; return ; }
  if (!smtp_out_reply(&s->out, 220, "2.0.0", "Ready to start TLS")) smtp_fail(s, "write") ;
  /* ucspitls_start sends the 220, then throws away whatever the client
   * sent after STARTTLS before the handshake: a command pipelined in
   * plaintext is never run inside TLS (RFC 3207 4.2, CVE-2011-0411). */
  if (!ucspitls_start(&s->in, &s->out.b, &info, &s->deadline))
  {
    logline l ;
    log_begin(&l, "tls_fail") ;
    log_kv(&l, "ip", s->ip) ;
    log_kv(&l, "errno", strerror(errno)) ;
    log_commit(&l) ;
    /* the client is in its handshake, or gone: nothing more to say */
    smtp_end(s, "tls_failed", errno == ETIMEDOUT ? 99 : 1) ;
  }
  tls_on(s, &info) ;
  {
    logline l ;
    log_begin(&l, "starttls") ;
    log_kv(&l, "ip", s->ip) ;
    log_kv(&l, "proto", s->tlsproto) ;
    log_kv(&l, "cipher", s->tlscipher) ;
    if (info.sni[0]) log_kv(&l, "sni", info.sni) ;
    if (info.discarded) log_kvu(&l, "discarded", info.discarded) ;
    log_commit(&l) ;
  }
  /* RFC 3207 4.2: forget what the client said before; EHLO again */
  smtp_reset(s) ;
  s->hello = SMTP_HELLO_NONE ;
  s->helo[0] = 0 ;
}
