/* ISC license. */

#ifndef POSTHASTE_TLSC_H
#define POSTHASTE_TLSC_H

/* tlsc, the client side of TLS for deliverd-remote (tlsd/README.md,
 * "tlsc"). It shares tlsd's handshake loop, relay, error texts and name
 * check (tlsd.h); what is its own is here. */

#include <stddef.h>

#include <openssl/ssl.h>

#include "tlsd_io.h"

/* The fds tlsc is started with. fds 0 and 1 are the app's plaintext
 * (pipes), 2 the log; the others are fixed numbers the parent moves
 * them to (common/ucspitls_client_start.c). The network socket is on 6,
 * where UCSPI clients (ucspi-tcp's tcpclient) put it. */
#define TLSC_FD_CTL 3
#define TLSC_FD_NET 6

#define TLSC_VERIFY_ERROR_MAX 127   /* the text of a verification failure in the report */
#define TLSC_CN_MAX 255             /* the peer certificate's common name in the report */

/* What to connect to: a host name (SNI, and the name the certificate
 * must match) or an address literal (no SNI; the certificate must name
 * the address). */
typedef struct tlsc_peer_s tlsc_peer, *tlsc_peer_ref ;
struct tlsc_peer_s
{
  char name[TLSD_NAME_MAX + 1] ;    /* lower case, no trailing dot */
  int isip ;
} ;

/* tlsc_peer.c: reads the -k argument into *p: a host name (one final
 * dot allowed) or an IPv4/IPv6 address. 1, or 0 if it is neither. */
extern int tlsc_peer_scan (char const *s, tlsc_peer *p) ;

/* tlsc_ctx.c: the client context: TLS 1.2 and 1.3, OpenSSL's default
 * ciphers minus the weak ones, the CA store (cafile, or the system's
 * when 0), no compression, no renegotiation. require: abort the
 * handshake when the certificate does not verify. 0 on failure
 * (logged). */
extern SSL_CTX *tlsc_ctx_new (char const *cafile, int require) ;

/* tlsc_ctx.c: the connection object: SNI and the name (or address) the
 * certificate is checked against. 0 on failure (logged). */
extern SSL *tlsc_ssl_new (SSL_CTX *, tlsc_peer const *) ;

/* tlsc_report.c: did the certificate verify (chain to a trusted CA,
 * and the name)? When not, *why is OpenSSL's text for it. */
extern int tlsc_verified (SSL *, char const **why) ;

/* tlsc_report.c: the text0 block for the control socket after a
 * handshake: SSL_PROTOCOL, SSL_CIPHER, SSL_VERIFIED=1|0, then
 * SSL_VERIFY_ERROR (unverified only) and SSL_PEER_CN (when the
 * certificate has one). */
extern size_t tlsc_report (SSL *, char *buf, size_t max) ;

/* tlsc_report.c: after a handshake that failed because verification was
 * required and failed: SSL_VERIFY_ERROR alone, which the caller reads
 * as "refused: not verified" (no SSL_PROTOCOL: never a success). 0 if
 * the failure was something else. */
extern size_t tlsc_report_refused (SSL *, char *buf, size_t max) ;

/* tlsc_report.c: event=tls ip= host= proto= cipher= verified= ... */
extern void tlsc_log_handshake (SSL *, tlsc_peer const *) ;

#endif
