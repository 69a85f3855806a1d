/* ISC license. */

#ifndef POSTHASTE_POP3D_H
#define POSTHASTE_POP3D_H

/* pop3d: POP3 in the AUTHORIZATION state (pop3d/README.md). One client,
 * one process, uid phpop3; after a good login the client goes to
 * pop3-session (common/handover.h) and this process ends. */

#include <stddef.h>

#include "common/preauth.h"
#include "pop3d/pop3_cmd.h"
#include "pop3d/pop3_io.h"

#define POP3D_USER_MAX 512

typedef struct pop3d_s pop3d, *pop3d_ref ;
struct pop3d_s
{
  preauth p ;                  /* the connection, the limits, the counters (common/preauth.h) */
  pop3_io io ;
  size_t userlen ;             /* USER given: its length, else 0 */
  char user[POP3D_USER_MAX + 1] ;
} ;

/* ---- commands (pop3d_cmd.c) ---- */
extern void pop3d_command (pop3d *, char const *line, size_t len) ;
/* Answers "-ERR <text>", logs bad_command, ends the session at the limit. */
extern void pop3d_bad (pop3d *, char const *name, char const *text) ;

/* ---- login (pop3d_auth.c) ---- */
extern void pop3d_pass (pop3d *, pop3_cmd const *) ;
extern void pop3d_auth (pop3d *, pop3_cmd const *) ;

#endif
