/* ISC license. */

#ifndef POSTHASTE_SMTP_START_H
#define POSTHASTE_SMTP_START_H

/* The start-up of the programs on the SMTP engine (smtpd, submitd,
 * lmtpd): settings from the environment and PH_ENVFILE
 * (common/config.h), the client's fds. The client is already connected
 * and waiting for a greeting, so every failure here first answers 421
 * (RFC 5321 3.8: try later, rather than a connection left hanging),
 * then dies as usual: 100 for a bad setting, 111 for a system error. */

#include <stdint.h>
#include <skalibs/gccattributes.h>

#include "smtp_mxpolicy.h"
#include "smtp_session.h"

/* "421 4.3.5 service temporarily unavailable" to fd 1. */
extern void smtp_start_tempfail (void) ;

/* 421, then "PROG: fatal: a b", exit 100. */
extern void smtp_start_die (char const *a, char const *b) gccattr_noreturn ;
/* 421, then "invalid value for NAME in the environment or PH_ENVFILE". */
extern void smtp_start_dieconfig (char const *name) gccattr_noreturn ;
/* 421, then "PROG: fatal: unable to a b: <errno>", exit 111. */
extern void smtp_start_diesys (char const *a, char const *b) gccattr_noreturn ;

/* Reads PH_ENVFILE (config_init). */
extern void smtp_start_config (void) ;

/* Settings that must parse (and, for numbers, lie in [min, max]);
 * def when unset. */
extern unsigned int smtp_start_uint (char const *name, unsigned int def, unsigned int min, unsigned int max) ;
extern uint64_t smtp_start_size (char const *name, uint64_t def) ;
extern int smtp_start_bool (char const *name, int def) ;

/* The engine's settings, the same for smtpd and submitd: host name,
 * limits, RFC 5321 4.5.3.2 deadlines, queued's injection socket. */
extern void smtp_start_engine (smtp_engine *) ;

/* The MX recipient policy: host name, POSTMASTER_ADDRESS, the recipient
 * maps of PH_CDB_DIR. */
extern void smtp_start_mxpolicy (smtp_mxpolicy *, char const *hostname) ;
/* A rate limit from the setting name ("count/seconds"; unset: none),
 * counting in $PH_STATE/<subdir>. Dies 100 on a bad value. */
extern void smtp_start_ratelimit (ratelimit *, char const *name, char const *subdir) ;

/* Makes fds 0 and 1 non-blocking (deadlines only work on non-blocking
 * fds: skalibs timed_* read first, then wait), ignores SIGPIPE (a client
 * that goes away must give EPIPE, not a signal), starts the clock. */
extern void smtp_start_fds (void) ;

/* smtp_session_init on fds 0 and 1 for the UCSPI client (TCPREMOTEIP,
 * TCPREMOTEPORT, TCPREMOTEHOST, TCPLOCALIP, TCPLOCALPORT). */
extern void smtp_start_session (smtp_session *, smtp_engine const *) ;

#endif
