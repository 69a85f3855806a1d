/* ISC license. */

#ifndef POSTHASTE_UCSPITLS_H
#define POSTHASTE_UCSPITLS_H

/* The protocol program's side of UCSPI-TLS (tlsd/README.md, and
 * docs/internals.md "TLS"). smtpd, submitd, imapd and pop3d never link
 * libssl: TLS is done by tlsd, in its own process and uid.
 *
 * STARTTLS mode (tlsd without -i): the program runs with the client on
 * fds 0/1 and SSLCTLFD, SSLREADFD, SSLWRITEFD in its environment. At
 * STARTTLS it queues its "ready" reply and calls ucspitls_start(), which
 * sends the reply, throws away any plaintext the client sent after the
 * command, has tlsd do the handshake, and puts the decrypted stream on
 * fds 0 and 1.
 *
 * Implicit mode (tlsd -i): the program sees a plaintext stream on fds 0
 * and 1 and the parameters in its environment: ucspitls_env(). */

#include <stddef.h>

#include <skalibs/buffer.h>
#include <skalibs/tai.h>

#define UCSPITLS_PROTOCOL_MAX 15
#define UCSPITLS_CIPHER_MAX 63
#define UCSPITLS_SNI_MAX 253
#define UCSPITLS_REPORT_MAX 1024

typedef struct ucspitls_info_s ucspitls_info, *ucspitls_info_ref ;
struct ucspitls_info_s
{
  char protocol[UCSPITLS_PROTOCOL_MAX + 1] ;  /* "TLSv1.3" */
  char cipher[UCSPITLS_CIPHER_MAX + 1] ;      /* "TLS_AES_256_GCM_SHA384" */
  char sni[UCSPITLS_SNI_MAX + 1] ;            /* the server name asked for, lower case, or "" */
  size_t discarded ;  /* plaintext bytes thrown away at STARTTLS (log them: an injection attempt) */
} ;

/* 1 if STARTTLS can be offered: the three variables name open fds, and
 * tlsd's engine is still waiting on the control socket (an engine that
 * found no usable certificate has already closed it). 0 otherwise, and
 * always 0 after a ucspitls_start() that succeeded. */
extern int ucspitls_available (void) ;

/* Starts TLS. Call it right after queueing the positive reply to
 * STARTTLS (SMTP "220 2.0.0 Ready to start TLS", IMAP "a OK Begin TLS",
 * POP3 "+OK") in out, and without reading from in again. It:
 *   1. flushes out (the reply goes to the client in clear);
 *   2. discards everything buffered in in (RFC 3207 section 4.2: any
 *      command pipelined after STARTTLS is dropped, never run inside
 *      TLS; CVE-2011-0411), counting it in info->discarded;
 *   3. writes 'Y' on the control fd and reads tlsd's report until EOF;
 *   4. moves SSLREADFD/SSLWRITEFD to fds 0 and 1 (non-blocking), points
 *      in and out at them (empty), and unsets SSLCTLFD, SSLREADFD and
 *      SSLWRITEFD.
 * Returns 1 with *info filled. Returns 0 on failure, errno:
 *   ECONNREFUSED  tlsd refused (no certificate) or the handshake failed
 *   ETIMEDOUT     the deadline passed (cover tlsd's 60 s handshake)
 *   EPROTO        tlsd's report did not parse
 *   other         a system error
 * After a failure the client may be in the middle of a handshake: end
 * the session (a 454 / NO / -ERR reply does no harm, but the client will
 * most likely not read it). in and out may be 0 when there is nothing
 * to flush or discard. */
extern int ucspitls_start (buffer *in, buffer *out, ucspitls_info *info, tain const *deadline) ;

/* Implicit TLS: 1 and *info filled (discarded = 0) if tlsd -i runs in
 * front of us (SSL_PROTOCOL and SSL_CIPHER in the environment, and no
 * SSLCTLFD), else 0. */
extern int ucspitls_env (ucspitls_info *info) ;

/* Parses a report (text0 NAME=value records: SSL_PROTOCOL, SSL_CIPHER,
 * SSL_TLS_SNI_SERVERNAME; others ignored) into *info. 1, or 0 with
 * errno EPROTO: empty, not text0, a value too long or not printable,
 * SSL_PROTOCOL or SSL_CIPHER missing. */
extern int ucspitls_parse (char const *s, size_t len, ucspitls_info *info) ;

#endif
