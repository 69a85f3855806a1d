/* ISC license. */

#ifndef POSTHASTE_SMTP_SESSION_H
#define POSTHASTE_SMTP_SESSION_H

/* The SMTP engine: one session with one client on a pair of
 * non-blocking fds, driven by a command table. What differs between the
 * MX intake (smtpd) and a submission server lives in smtp_engine: the
 * limits, the recipient policy and the extra EHLO keywords. The session
 * state machine (RFC 5321 4.1.4, 3.3) is:
 *
 *   connected --HELO/EHLO--> greeted --MAIL--> in transaction
 *   in transaction --RCPT (accepted)--> has recipients --DATA--> greeted
 *   RSET, HELO/EHLO, and the end of DATA go back to "greeted".
 *
 * Commands out of that order get 503 5.5.1. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/gccattributes.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/addr.h"
#include "smtp_cmd.h"
#include "smtp_out.h"

#define SMTP_LINE_MAX 2048          /* command lines: RFC 5321 4.5.3.1.4 asks for >= 512 */
#define SMTP_DATALINE_MAX 65536     /* message lines: 998 in RFC 5322, but real mail has longer */
#define SMTP_INBUF_SIZE 65536

typedef struct smtp_session_s smtp_session, *smtp_session_ref ;

/* What the engine answers to one command. */
typedef struct smtp_verdict_s smtp_verdict, *smtp_verdict_ref ;
struct smtp_verdict_s
{
  unsigned int code ;
  char const *enh ;
  char const *text ;
  char const *reason ;   /* short token for the log line of a refusal */
} ;

/* Recipient policy: decides on a RCPT's mailbox. On acceptance (code
 * 2xx) it writes the address to put in the envelope into rcpt (room for
 * ADDR_PATH_MAX + 3 bytes, NUL-terminated). It logs what it wants to
 * log beyond the generic refusal line (and sets reason to 0 to suppress
 * that line). */
typedef void smtp_rcptcheck_func (smtp_session *, mailaddr const *a, char *rcpt, smtp_verdict *v) ;

typedef struct smtp_engine_s smtp_engine, *smtp_engine_ref ;
struct smtp_engine_s
{
  char const *hostname ;
  char const *injectpath ;       /* queued's injection socket */
  uint64_t maxsize ;             /* message size limit; 0: none */
  unsigned int maxrcpt ;
  unsigned int maxerrors ;
  unsigned int timeout ;         /* seconds: a command, a data block, the queue's answer */
  unsigned int sessiontimeout ;  /* seconds: the whole session */
  char const *const *ehlo_extra ; /* more EHLO keywords, 0-terminated; 0 for none */
  smtp_rcptcheck_func *rcptcheck ;
  void *policy ;                 /* the rcptcheck function's own data */
} ;

#define SMTP_HELLO_NONE 0
#define SMTP_HELLO_HELO 1
#define SMTP_HELLO_EHLO 2

struct smtp_session_s
{
  smtp_engine const *engine ;
  buffer in ;
  smtp_out out ;
  tain deadline ;          /* of the current operation */
  tain sessiondeadline ;

  /* the client, from the UCSPI environment */
  char const *ip ;         /* 0 when not run under UCSPI */
  char const *port ;
  char const *rdns ;
  int relayclient ;        /* may relay to remote domains */

  unsigned int hello ;     /* SMTP_HELLO_* */
  char helo[256] ;

  /* the transaction */
  int inmail ;
  char sender[ADDR_PATH_MAX + 3] ;  /* canonical form, "" for <> */
  smtp_mailparams mailparams ;
  stralloc rcpts ;         /* accepted recipients, each NUL-terminated */
  unsigned int nrcpt ;

  /* for the log */
  unsigned int errors ;    /* refusals since the last accepted message */
  unsigned int messages ;
  unsigned int refused ;   /* messages refused at or after DATA */
  uint64_t commands ;

  char inbuf[SMTP_INBUF_SIZE] ;
} ;

/* Sets up a session on fds infd/outfd (both already non-blocking) for a
 * client described by the UCSPI variables given (any may be 0). */
extern void smtp_session_init (smtp_session *, smtp_engine const *, int infd, int outfd, char const *ip, char const *port, char const *rdns) ;

/* Greets, runs the command loop to the end and returns the exit code
 * (0 after QUIT or the client's EOF, 1 after we closed with 421,
 * 99 on timeout, 111 on a system error). */
extern int smtp_session_run (smtp_session *) ;

/* For the command handlers. */

/* Queues a reply; a refusal (code >= 400) counts toward maxerrors. */
extern void smtp_reply (smtp_session *, unsigned int code, char const *enh, char const *text) ;
/* A refusal that is also logged: event=reject ip= cmd= code= reason=
 * and one extra key=value if key is not 0. */
extern void smtp_refuse (smtp_session *, smtp_verdict const *, char const *cmd, char const *key, char const *value) ;
extern void smtp_flush (smtp_session *) ;
/* Sets s->deadline to now + engine timeout, capped by the session's. */
extern void smtp_deadline (smtp_session *) ;
/* Logs the end of the session (event=disconnect reason=) and exits. */
extern void smtp_end (smtp_session *, char const *reason, int code) gccattr_noreturn ;
/* Answers 421 4.4.2 and ends the session: an expired deadline. */
extern void smtp_timeout (smtp_session *) gccattr_noreturn ;
/* Ends the session after an I/O or system error (errno). */
extern void smtp_fail (smtp_session *, char const *what) gccattr_noreturn ;
/* Forgets the transaction (RSET, HELO/EHLO, end of DATA). */
extern void smtp_reset (smtp_session *) ;
/* "SMTP" or "ESMTP" (RFC 3848), for the Received header and queued. */
extern char const *smtp_protocol (smtp_session const *) ;

typedef void smtp_handler_func (smtp_session *, smtp_cmd const *) ;
extern smtp_handler_func smtp_do_mail ;
extern smtp_handler_func smtp_do_rcpt ;
extern smtp_handler_func smtp_do_data ;

#endif
