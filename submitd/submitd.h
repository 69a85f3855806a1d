/* ISC license. */

#ifndef POSTHASTE_SUBMITD_H
#define POSTHASTE_SUBMITD_H

/* submitd: RFC 6409 message submission on the shared SMTP engine
 * (smtpd/smtp_session.h). What the engine does not know lives here:
 * AUTH through authd (sub_auth.c), the submission policy: TLS first,
 * AUTH before MAIL, sender ownership, the rate limit (sub_policy.c),
 * and the message fix-ups (sub_fixup.c). One process per connection,
 * so this state is the session's. */

#include "common/authclient.h"
#include "common/cdbmap.h"
#include "common/ratelimit.h"
#include "smtpd/smtp_mxpolicy.h"
#include "smtpd/smtp_session.h"
#include "sub_header.h"

#define SUB_AUTH_SECS 30           /* one AUTH exchange with authd: its failure delay is at most 9 s */
#define SUB_AUTHLINE_MAX 4096      /* a client's SASL response line (PLAIN with a long password fits) */
#define SUB_AUTH_ROUNDS 8          /* challenges in one AUTH (LOGIN needs 2) */

typedef struct sub_state_s sub_state, *sub_state_ref ;
struct sub_state_s
{
  smtp_mxpolicy policy ;     /* the recipient rules (and the maps, aliases.cdb for ownership) */
  authclient ac ;
  char const *authpath ;     /* $PH_RUN_DIR/auth.sock */
  int plainok ;              /* AUTH and MAIL without TLS: a loopback client with PH_SUBMISSION_PLAINTEXT_LOOPBACK=1 */
  unsigned int maxauthfail ;
  unsigned int authfails ;
  char mech[24] ;            /* of the successful AUTH */
  char login[AUTHCLIENT_TEXT_MAX + 1] ;   /* authd's word for who logged in */
  int spoof ;                /* SPOOF_PROTECTION */
  char const *delims ;       /* PH_RECIPIENT_DELIMITER */
  ratelimit rate ;
  sub_header hdr ;
  char adddate[64] ;
  char addmsgid[384] ;
} ;

/* sub_auth.c: the AUTH command (smtp_hooks.auth). */
extern void sub_do_auth (smtp_session *, smtp_cmd const *) ;

/* sub_policy.c: the hooks that decide (EHLO keywords, MAIL gate and
 * sender check, end of transaction). */
extern char const *const *sub_ehlo (smtp_session const *) ;
extern void sub_mailgate (smtp_session *, smtp_verdict *) ;
extern void sub_mailcheck (smtp_session *, smtp_path const *, smtp_mailparams const *, smtp_verdict *) ;
extern void sub_txend (smtp_session *, int committed) ;
/* May this session use AUTH now (TLS on, or the plaintext exemption)? */
extern int sub_auth_allowed (smtp_session const *) ;

/* sub_fixup.c: the hooks on the message content. */
extern void sub_msgstart (smtp_session *) ;
extern void sub_msgput (smtp_session *, char const *, size_t) ;
extern void sub_msgend (smtp_session *, smtp_verdict *) ;

#endif
