/* ISC license. */

#ifndef POSTHASTE_NODUMP_H
#define POSTHASTE_NODUMP_H

/* Makes the calling process non-dumpable: no core file, and no other
 * process of the same uid may ptrace it or read /proc/PID/mem. Programs
 * that hold another connection's secrets under a uid shared by many
 * processes (the TLS engines as phtls, submitd holding passwords) call
 * it first: exec() resets the flag a setuid() had set. Dies 111 on
 * failure. */
extern void nodump (void) ;

#endif
