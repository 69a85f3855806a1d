/* ISC license. */

#ifndef TCPD_H
#define TCPD_H

/* tcpd's private modules. Everything lives in one process with one loop,
 * so the modules keep their state in file-scope variables. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <skalibs/ip46.h>

#include "common/accessrules.h"

/* One accepted connection, as the handler will see it. This is the place
 * for the PROXY protocol (haproxy's proxy-protocol.txt, v1 and v2): a step
 * in the child, bounded by a deadline, reads the header, overwrites remote
 * and remoteport, and runs tcpd_admit again on the real client. */
typedef struct tcpd_peer_s tcpd_peer, *tcpd_peer_ref ;
struct tcpd_peer_s
{
  ip46 remote ;
  ip46 local ;
  uint16_t remoteport ;
  uint16_t localport ;
  char remotefmt[IP46_FMT] ;  /* NUL-terminated text forms */
  char localfmt[IP46_FMT] ;
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

/* tcpd_spawn.c: forks the handler with fds 0 and 1 on the socket.
 * Returns its pid, or 0 (logged) if fork failed. */
typedef struct tcpd_spawnopts_s tcpd_spawnopts, *tcpd_spawnopts_ref ;
struct tcpd_spawnopts_s
{
  char const *const *argv ;
  int unexport_uidgid ;  /* remove UID, GID, GIDLIST (-U) */
} ;
extern pid_t tcpd_spawn (int fd, tcpd_peer const *, uint32_t connnum, accessrule const *, tcpd_spawnopts const *) ;

#endif
