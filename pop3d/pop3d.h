/* ISC license. */

#ifndef POSTHASTE_POP3D_H
#define POSTHASTE_POP3D_H

/* pop3d: POP3 in the AUTHORIZATION state (pop3d/README.md). One client,
 * one process, uid phpop3; after a good login the client goes to
 * pop3-session (common/handover.h) and this process ends. */

#include <stddef.h>

#include "common/ucspitls.h"
#include "pop3d/pop3_cmd.h"
#include "pop3d/pop3_io.h"

#define POP3D_AUTH_SECS 30          /* authd: above its 9 s failure delay */
#define POP3D_STARTTLS_SECS 90      /* above tlsd's 60 s handshake */
#define POP3D_HOST_MAX 255
#define POP3D_USER_MAX 512

#define POP3D_PLAIN_NO 0            /* PH_POP3_PLAINTEXT_AUTH=no */
#define POP3D_PLAIN_YES 1           /* yes */
#define POP3D_PLAIN_LOOPBACK 2      /* loopback (default) */

typedef struct pop3d_s pop3d, *pop3d_ref ;
struct pop3d_s
{
  pop3_io io ;
  int tls ;
  ucspitls_info tlsinfo ;
  int plain ;                  /* POP3D_PLAIN_* */
  int loopback ;               /* the client is on a loopback address */
  unsigned int bad ;           /* refused commands so far */
  unsigned int maxbad ;        /* PH_POP3_MAX_BAD */
  unsigned int authfail ;      /* failed logins so far */
  unsigned int maxauthfail ;   /* PH_POP3_MAX_AUTH_FAIL */
  char const *rip ;
  char const *rport ;
  char const *lip ;
  char const *lport ;
  char const *authpath ;       /* $PH_RUN_DIR/auth.sock */
  char const *sessionpath ;    /* $PH_RUN_DIR/pop3-session.sock */
  size_t userlen ;             /* USER given: its length, else 0 */
  char user[POP3D_USER_MAX + 1] ;
  char host[POP3D_HOST_MAX + 1] ;
  char session[17] ;           /* the session id, 16 hex */
} ;

/* ---- commands (pop3d_cmd.c) ---- */
extern void pop3d_command (pop3d *, char const *line, size_t len) ;
/* Answers "-ERR <text>", logs bad_command, ends the session at the limit. */
extern void pop3d_bad (pop3d *, char const *name, char const *text) ;
/* May credentials be sent now (TLS, or the plaintext policy allows it)? */
extern int pop3d_plain_ok (pop3d const *) ;

/* ---- login (pop3d_auth.c) ---- */
extern void pop3d_pass (pop3d *, pop3_cmd const *) ;
extern void pop3d_auth (pop3d *, pop3_cmd const *) ;

/* ---- handover (pop3d_handover.c): after authd's OK with a ticket.
 * Returns only on failure, after answering the client. ---- */
extern void pop3d_handover (pop3d *, char const *user, char const *ticket) ;

#endif
