/* ISC license. */

#ifndef POSTHASTE_MAILCTL_BAN_H
#define POSTHASTE_MAILCTL_BAN_H

/* mailctl ban list | add IP[/bits] [DURATION] | del IP[/bits], and
 * docker-mailserver's `setup fail2ban ban IP | unban IP | status`
 * mapped onto them (banwatch/README.md). argv starts at "ban" or
 * "fail2ban". Returns the exit code. */
extern int mc_ban (int argc, char const *const *argv) ;

#endif
