/* ISC license. */

#ifndef POSTHASTE_TLSD_IO_H
#define POSTHASTE_TLSD_IO_H

/* The OpenSSL side, shared by tlsd-io (the server engine) and tlsc. */

#include <stddef.h>

#include <openssl/ssl.h>

#include <skalibs/tai.h>

#include "tlsd.h"

/* tlsd_ctx.c: the SSL_CTX for this connection (protocols, ciphers,
 * groups, options, tickets, SNI callback); 0 on failure (logged). */
extern SSL_CTX *tlsd_ctx_new (tlsd_conf *) ;

/* tlsd_cert.c: parses a chain and key from their fds and installs them
 * on ssl (clear = drop the ones already there first). 1 or 0 (logged). */
extern int tlsd_cert_install (SSL *, tlsd_keyfiles const *, unsigned int n, int clear) ;

/* tlsd_handshake.c: SSL_accept (server method) or SSL_connect (client
 * method: tlsc) on the non-blocking fd before the deadline. 1 ok, 0
 * failed (errno ETIMEDOUT or EPROTO; logged). */
extern int tlsd_handshake (SSL *, int fd, tain const *deadline) ;

/* tlsd_report.c: the text0 parameter block and the event=tls line. */
extern size_t tlsd_report (SSL *, char *buf, size_t max) ;
/* Appends the record name=value\0 at buf + w if it fits in max; returns
 * the new length (w unchanged when it does not fit). */
extern size_t tlsd_report_add (char *buf, size_t max, size_t w, char const *name, char const *value) ;
extern void tlsd_log_handshake (SSL *) ;
extern void tlsd_log_configssl (char const *reason) ;  /* adds the OpenSSL error */
extern char const *tlsd_ssl_reason (void) ;

/* tlsd_relay.c: network <-> SSL <-> pipes until one side is done.
 * Returns the exit code. */
extern int tlsd_relay (SSL *, int net, int fromapp, int toapp, unsigned int idlesecs) ;

#endif
