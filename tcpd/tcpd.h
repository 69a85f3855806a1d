/* ISC license. */

#ifndef TCPD_H
#define TCPD_H

/* tcpd's private modules. Everything lives in one process with one loop,
 * so the modules keep their state in file-scope variables. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <skalibs/iopause.h>
#include <skalibs/ip46.h>
#include <skalibs/tai.h>

#include "common/accessrules.h"

/* One accepted connection, as the handler will see it: behind a trusted
 * proxy (-p), remote and remoteport are the real client's, from the
 * PROXY header (tcpd_proxy.c), and every check applies to it. */
typedef struct tcpd_peer_s tcpd_peer, *tcpd_peer_ref ;
struct tcpd_peer_s
{
  ip46 remote ;
  ip46 local ;
  uint16_t remoteport ;
  uint16_t localport ;
  char remotefmt[IP46_FMT] ;  /* NUL-terminated text forms */
  char localfmt[IP46_FMT] ;
  char proxyfmt[IP46_FMT] ;   /* the proxy that sent the PROXY header; "" if none */
  unsigned int proxylocal : 1 ;  /* its header named no client (LOCAL, UNKNOWN): remote is the proxy */
} ;

/* tcpd_conntable.c: the live children, allocated once for maxconn. */
extern void tcpd_conntable_init (uint32_t maxconn) ;
extern uint32_t tcpd_conntable_count (void) ;
extern uint32_t tcpd_conntable_count_ip (ip46 const *) ;
extern void tcpd_conntable_add (pid_t, ip46 const *) ;
/* Returns 1 and the client's address if pid was a handler, else 0. */
extern int tcpd_conntable_remove (pid_t, ip46 *) ;
extern void tcpd_conntable_kill (int sig) ;

/* tcpd_drop.c: setgroups, setgid, setuid, then checks that the drop holds
 * and that root cannot be regained. Dies 111 on failure, 100 if asked to
 * keep uid or gid 0. tcpd_drop: supplementary groups = gid only.
 * tcpd_drop_env: s6-applyuidgid -U, from UID, GID and GIDLIST (set by
 * s6-envuidgid; GIDLIST is comma-separated, possibly empty). */
extern void tcpd_drop (uid_t, gid_t) ;
extern void tcpd_drop_env (void) ;

/* tcpd_message.c: "\r\n"-style escapes in the -m argument. Returns the
 * length written to out (at most max), or -1 on a bad escape or overflow. */
#define TCPD_MESSAGE_MAX 512
extern ssize_t tcpd_message_unescape (char *out, size_t max, char const *s) ;

/* tcpd_admit.c: bans.cdb and access.cdb, re-mapped when replaced. */
extern void tcpd_admit_init (char const *accesspath, char const *banspath) ;
/* Returns 1 (allowed, *rule filled: its env is to be added) or 0 (refused:
 * logged, and the banned message written if there is one). */
extern int tcpd_admit (int fd, tcpd_peer const *, accessrule *rule, char const *banmsg, size_t banmsglen) ;

/* tcpd_rate.c: new connections per minute per client address (-r), a
 * token bucket per address in a table allocated once. perminute 0: no
 * limit. tcpd_rate_take returns 1 (go on) or 0 (over the rate). */
extern void tcpd_rate_init (uint32_t perminute) ;
extern int tcpd_rate_take (ip46 const *) ;

/* tcpd_proxy.c: connections from trusted proxies waiting for their
 * PROXY header (common/proxyproto.h), in the parent's loop. When a
 * header is whole, ready is called with the connection and the real
 * client (then the fd is closed); a bad header, EOF or the -P timeout
 * closes it (logged event=proxy_error). */
typedef void tcpd_ready_func (int fd, tcpd_peer const *) ;
extern void tcpd_proxy_init (uint32_t maxpending, unsigned int secs) ;
extern uint32_t tcpd_proxy_count (void) ;
extern int tcpd_proxy_full (void) ;
/* Takes fd: it will be closed by the table. */
extern void tcpd_proxy_add (int fd, tcpd_peer const *) ;
/* Fills x with one entry per pending connection; returns how many. */
extern unsigned int tcpd_proxy_fds (iopause_fd *x) ;
/* Lowers *d to the earliest header deadline. */
extern void tcpd_proxy_deadline (tain *d) ;
/* After iopause: reads the ready ones, drops the late ones. */
extern void tcpd_proxy_run (iopause_fd const *x, unsigned int nx, tcpd_ready_func *ready) ;

/* tcpd_spawn.c: forks the handler with fds 0 and 1 on the socket.
 * Returns its pid, or 0 (logged) if fork failed. */
typedef struct tcpd_spawnopts_s tcpd_spawnopts, *tcpd_spawnopts_ref ;
struct tcpd_spawnopts_s
{
  char const *const *argv ;
  int unexport_uidgid ;  /* remove UID, GID, GIDLIST (-U) */
} ;
/* The signals tcpd's selfpipe traps (tcpd.c); a handler starts with
 * them unblocked and at their defaults. */
#define TCPD_NTRAPPED 5
extern int const tcpd_trapped_signals[TCPD_NTRAPPED] ;

extern pid_t tcpd_spawn (int fd, tcpd_peer const *, uint32_t connnum, accessrule const *, tcpd_spawnopts const *) ;

#endif
