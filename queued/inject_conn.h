/* ISC license. */

#ifndef POSTHASTE_QUEUED_INJECT_CONN_H
#define POSTHASTE_QUEUED_INJECT_CONN_H

/* One injection connection, server side (docs/internals.md "Injection"):
 * the peer check, the read loop, the answers. It re-reads the settings
 * (PH_ENVFILE) at every connection, so an edit takes effect at the next
 * one, as when every connection had its own process. Everything the
 * connection touched is released before it returns: the message being
 * built is removed unless committed, the parser and the per-message
 * flags start clean at the next call. */

/* Serves the connection read on rfd and answered on wfd (both made
 * non-blocking) for the peer whose uid the kernel gave as the decimal
 * string peer ("" when unknown: refused). resident: the caller serves
 * many connections in one process, so tmp/<pid>/ is prepared before the
 * client's data and a preparation left unused is kept for the next.
 * Returns what a process serving only this connection exits with: 0
 * (the client closed, or was idle between messages past the limit), 1
 * (refused: D), 99 (timeout inside a message), 100 (configuration), 111
 * (system error). It never exits. */
extern int injconn_serve (int rfd, int wfd, char const *peer, int resident) ;

/* Removes a preparation kept by a resident server, before it exits. */
extern void injconn_release (void) ;
/* The same from a signal handler, between connections only. */
extern void injconn_release_signalsafe (void) ;

#endif
