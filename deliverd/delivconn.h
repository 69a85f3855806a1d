/* ISC license. */

#ifndef POSTHASTE_DELIVERD_DELIVCONN_H
#define POSTHASTE_DELIVERD_DELIVCONN_H

/* The connection from queued, as deliverd and deliverd-remote serve it
 * (docs/internals.md, Delivery and "Routing and remote.sock"): fds 0 and
 * 1 on one end of a Unix socket, from s6-ipcserver; requests come one at
 * a time as unixmessages (a text0 body and exactly one fd, the queue
 * file, read-only), each answered before the next is read. */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

/* Is the peer (IPCREMOTEEUID, which s6-ipcserverd takes from
 * SO_PEERCRED) root, or a uid of list (uidlist.h; 0 or a malformed
 * list lets only root in)? If not, logs
 * event=refused and returns 0. */
extern int delivconn_peer (char const *list) ;

/* Waits until fd 0 is readable or the deadline: 1, 0 at the deadline,
 * -1 on error. A program that minds other fds meanwhile gives its own. */
typedef int delivconn_wait_func (tain const *deadline, void *data) ;

/* Checks a request body s[0..len); 1, or 0 and *why set to a short
 * static reason. */
typedef int delivconn_parse_func (char const *s, size_t len, char const **why, void *data) ;

/* Serves the request just parsed, whose queue file is fd (a regular
 * file), and writes the reply body into *reply. It dies on a system
 * error. */
typedef void delivconn_handle_func (int fd, stralloc *reply, void *data) ;

typedef struct delivconn_s delivconn, *delivconn_ref ;
struct delivconn_s
{
  unsigned int idle ;             /* seconds to wait for the next request */
  uint32_t max ;                  /* the longest request body */
  delivconn_wait_func *wait ;     /* 0: wait for fd 0 alone */
  delivconn_parse_func *parse ;
  delivconn_handle_func *handle ;
  void *data ;                    /* for the three functions above */
} ;

/* Waits for the next request until the deadline and checks its length
 * and fd count in the unixmessage header before unixmessage_receive
 * allocates that much. Returns 1, 0 on EOF, or -1 (errno ETIMEDOUT,
 * EMSGSIZE, EPROTO, or a read error). */
extern int delivconn_next (delivconn const *, tain const *deadline) ;

/* Reads, checks and answers requests until queued closes the
 * connection, stays idle too long, or breaks the protocol (logged as
 * event=idle_timeout or event=protocol_error). Dies on a system error. */
extern void delivconn_serve (delivconn const *) ;

#endif
