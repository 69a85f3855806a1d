/* ISC license. */

#ifndef POSTHASTE_BADCOMMAND_H
#define POSTHASTE_BADCOMMAND_H

/* The refused-command limit of the mail-access programs (imapd, pop3d,
 * pop3-session): every refusal is logged, the last one ends the
 * session and is reported to banwatch once (a client probing a few
 * commands it should not is no attacker; banwatch/README.md). */

/* Counts one refused command (cmd: its name, may be "" or 0) in *count
 * and logs bad_command ip= session= [cmd=] count=. At max, logs
 * too_many_bad_commands, sends banwatch a bad_command event for
 * service (common/banevent.h; not for an unknown rip, "" or 0) and
 * returns 1: the caller says goodbye. Else 0. */
extern int badcommand_count (unsigned int *count, unsigned int max, char const *service, char const *rip, char const *session, char const *cmd) ;

#endif
