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
 * and 1 and the parameters in its environment: ucspitls_env().
 *
 * Client mode (tlsc, for deliverd-remote's STARTTLS): see the end of
 * this file, ucspitls_client_start(). */

#include <stddef.h>
#include <sys/types.h>

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

/* ---- Client mode: tlsc (tlsd/README.md, "tlsc")
 *
 * An SMTP client that has connected a socket, sent STARTTLS and read
 * the 220 hands the socket to ucspitls_client_start(). It forks and
 * execs tlsc (as the same uid: tlsc holds no key, only the CA store, so
 * no privilege changes hands), which does the client handshake with SNI
 * = servername, checks the certificate against the CA store
 * (PH_TLS_CA_FILE, else the system's) and servername, reports on a
 * control socket, then relays: from then on the caller reads the
 * decrypted stream from c->rd and writes plaintext to c->wr, and never
 * touches the socket again.
 *
 * Opportunistic by default: a certificate that does not verify still
 * gives an encrypted session, with c->verified = 0 and the reason in
 * c->verify_error; the caller decides what such a peer may get (RFC
 * 8689 REQUIRETLS mail: nothing; AUTH to a smarthost: by its policy).
 * A failed handshake leaves no session at all: RFC 3207 practice is to
 * retry the host in clear, on a new connection, unless TLS is required.
 *
 * Before calling, the caller must throw away anything it buffered from
 * the server after the 220: a server (or a man in the middle) that
 * sends more before the handshake is trying to get plaintext read as if
 * it came inside TLS (the client side of CVE-2011-0411). */

#define UCSPITLS_VERIFY_ERROR_MAX 127
#define UCSPITLS_CN_MAX 255

/* flags */
#define UCSPITLS_CLIENT_VERIFY 0x01  /* fail the handshake (EPERM) unless the certificate verifies */
#define UCSPITLS_CLIENT_QUIET 0x02   /* tlsc -v 0: only fatal errors in the log */

typedef struct ucspitls_client_s ucspitls_client, *ucspitls_client_ref ;
struct ucspitls_client_s
{
  int rd ;        /* the decrypted stream: read it here (non-blocking, close-on-exec) */
  int wr ;        /* the plaintext to encrypt: write it here (non-blocking, close-on-exec) */
  pid_t pid ;     /* tlsc, or 0 */
  int verified ;  /* the chain leads to a trusted CA and names servername */
  char verify_error[UCSPITLS_VERIFY_ERROR_MAX + 1] ;  /* why not, when not ("hostname mismatch"); printable ASCII */
  char peer_cn[UCSPITLS_CN_MAX + 1] ;   /* the certificate subject's CN, printable ASCII, or "" (logs only) */
} ;
#define UCSPITLS_CLIENT_ZERO { .rd = -1, .wr = -1, .pid = 0, .verified = 0, .verify_error = "", .peer_cn = "" }

/* Starts TLS on the connected socket sockfd, which it takes over: it is
 * closed in the caller whatever happens (after STARTTLS's 220 it is of
 * no use without TLS). servername: the host name to ask for (SNI) and
 * to find in the certificate (the MX host or the relay name; a trailing
 * dot is allowed), or an IP address (no SNI; the certificate must name
 * the address). tlsc is $PH_TLSC, else "tlsc" next to the running
 * program (/proc/self/exe), else $PH_STATE/bin/tlsc. The deadline also
 * bounds tlsc's handshake.
 * Returns 1 with *c and *info filled (info->protocol, info->cipher,
 * info->sni = the servername as checked, info->discarded = 0). Returns
 * 0 with *c reset (no fds, no process) and errno:
 *   ECONNREFUSED  the handshake failed (or tlsc died): the server's side
 *   EPERM         UCSPITLS_CLIENT_VERIFY and the certificate did not
 *                 verify: c->verify_error says why
 *   ETIMEDOUT     the deadline passed, or tlsc's handshake timed out
 *   EPROTO        tlsc's report did not parse
 *   ENOENT        no tlsc to run (or it could not be executed)
 *   EINVAL        tlsc refused its arguments (servername not a host name
 *                 or an address) or its configuration (PH_TLS_CA_FILE)
 *   other         a system error (EIO: tlsc failed on one)
 * Only ECONNREFUSED, EPERM, ETIMEDOUT and EPROTO are the peer's doing;
 * the others are local, and should not count against the server. */
extern int ucspitls_client_start (int sockfd, char const *servername, unsigned int flags, ucspitls_client *c, ucspitls_info *info, tain const *deadline) ;

/* Ends the session: closes c->wr (tlsc sends what is left, then
 * close_notify) and c->rd, waits for tlsc until the deadline (a few
 * seconds: it has nothing left to do) and then kills it. Call it after
 * the last reply was read (SMTP: after QUIT's 221), or at once to drop
 * the connection. Returns tlsc's exit code (0: clean end), or -1 when
 * there was no session. *c is reset. */
extern int ucspitls_client_end (ucspitls_client *c, tain const *deadline) ;

/* Parses tlsc's report (text0: SSL_PROTOCOL, SSL_CIPHER, SSL_VERIFIED,
 * SSL_VERIFY_ERROR, SSL_PEER_CN; others ignored) into *c and *info
 * (info->sni is left alone). 1 on a success report. 0 with errno EPERM
 * when the report is only SSL_VERIFY_ERROR (c->verify_error set: tlsc
 * refused an unverified server), else EPROTO: empty, not text0, a value
 * too long or not printable, SSL_PROTOCOL, SSL_CIPHER or SSL_VERIFIED
 * missing, SSL_VERIFIED neither 0 nor 1. */
extern int ucspitls_client_parse (char const *s, size_t len, ucspitls_client *c, ucspitls_info *info) ;

#endif
