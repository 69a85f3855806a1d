/* ISC license. */

#ifndef POSTHASTE_UCSPITLS_INTERNAL_H
#define POSTHASTE_UCSPITLS_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include <skalibs/tai.h>

/* Reads SSLCTLFD, SSLREADFD and SSLWRITEFD: 1 if all three are set,
 * distinct, above 2 and open; 0 otherwise. */
extern int ucspitls_fds (int *ctl, int *rd, int *wr) ;

/* Copies value into out (max bytes plus the NUL) if it is printable
 * ASCII and fits. 1 or 0. */
extern int ucspitls_copy (char *out, size_t max, char const *value) ;

/* Reads fd (made non-blocking) until EOF, at most max-1 bytes, before
 * the deadline: a TLS engine's report. Returns the length, or -1 with
 * errno: ETIMEDOUT, EPROTO (max bytes or more), other system errors. */
extern ssize_t ucspitls_readall (int fd, char *buf, size_t max, tain const *deadline) ;

/* Client mode: tlsc's path (PH_TLSC, else next to the running program,
 * else $PH_STATE/bin/tlsc), executable. 1, or 0 with errno ENOENT or
 * ENAMETOOLONG. */
extern int ucspitls_client_path (char *buf, size_t max) ;

/* Client mode: waits for tlsc to exit, at most until the deadline, then
 * kills it (SIGKILL) and waits. Returns its exit code (128 + the signal
 * when killed by one), or -1 if it cannot be waited for. */
extern int ucspitls_client_reap (pid_t pid, tain const *deadline) ;

#endif
