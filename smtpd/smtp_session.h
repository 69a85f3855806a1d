/* ISC license. */

#ifndef POSTHASTE_SMTP_SESSION_H
#define POSTHASTE_SMTP_SESSION_H

/* The SMTP engine: one session with one client on a pair of
 * non-blocking fds, driven by a command table. What differs between the
 * MX intake (smtpd) and a submission server lives in smtp_engine: the
 * limits, the recipient policy, the extra EHLO keywords and the hooks
 * (AUTH, the submission policy, message fix-ups). The session
 * state machine (RFC 5321 4.1.4, 3.3) is:
 *
 *   connected --HELO/EHLO--> greeted --MAIL--> in transaction
 *   in transaction --RCPT (accepted)--> has recipients --DATA--> greeted
 *   has recipients --BDAT--> chunking --BDAT ... LAST--> greeted
 *   RSET, HELO/EHLO, and the end of DATA go back to "greeted";
 *   STARTTLS goes back to "connected" (RFC 3207 4.2).
 *
 * Commands out of that order get 503 5.5.1. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/gccattributes.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/addr.h"
#include "common/policyclient.h"
#include "common/qinject.h"
#include "smtp_cmd.h"
#include "smtp_data.h"
#include "smtp_out.h"

#define SMTP_LINE_MAX 4096          /* command lines: RFC 5321 4.5.3.1.4 asks for >= 512 */
#define SMTP_LINE_DEFAULT 2048
#define SMTP_DATALINE_DEFAULT 65536 /* message lines: 998 in RFC 5322, but real mail has longer */
#define SMTP_INBUF_SIZE 65536
#define SMTP_ID_LEN 16
#define SMTP_PREPEND_MAX 8192       /* headers the policy service may add to one message */

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

/* Deadlines, in seconds (RFC 5321 4.5.3.2: what a client waits for us,
 * so what we allow ourselves, and what we wait for the client). */
typedef struct smtp_timeouts_s smtp_timeouts, *smtp_timeouts_ref ;
struct smtp_timeouts_s
{
  unsigned int command ;     /* 4.5.3.2.7: waiting for the next command, 5 min */
  unsigned int mail ;        /* 4.5.3.2.2: answering MAIL, 5 min */
  unsigned int rcpt ;        /* 4.5.3.2.3: answering RCPT (policy service included), 5 min */
  unsigned int datainit ;    /* 4.5.3.2.4: answering DATA with 354 (queue connection), 2 min */
  unsigned int datablock ;   /* 4.5.3.2.5: waiting for each block of DATA or BDAT, 3 min */
  unsigned int dataterm ;    /* 4.5.3.2.6: answering the end of data (queued's commit), 10 min */
  unsigned int session ;     /* the whole session */
} ;

/* What a submission server (submitd) adds to the engine; smtpd has
 * none. Each hook may be 0. A verdict left with code 0 means "go on". */
typedef struct smtp_hooks_s smtp_hooks, *smtp_hooks_ref ;
struct smtp_hooks_s
{
  /* More EHLO keywords, 0-terminated, for the session as it is now
   * (submitd offers AUTH only once TLS is on). */
  char const *const *(*ehlo) (smtp_session const *) ;
  /* The AUTH command (RFC 4954). Without it: 502 5.5.1, and the MAIL
   * parameter AUTH= is refused as unsupported (555 5.5.4). */
  void (*auth) (smtp_session *, smtp_cmd const *) ;
  /* May this session open a transaction at all? Asked at MAIL after the
   * sequence checks, before its argument is parsed (RFC 3207 4 and RFC
   * 4954 6: 530 until TLS, until AUTH). */
  void (*mailgate) (smtp_session *, smtp_verdict *) ;
  /* The sender, once every check of the engine passed (RFC 6409 sender
   * ownership, rate limits). It may keep a resource for the
   * transaction, given back by txend. */
  void (*mailcheck) (smtp_session *, smtp_path const *, smtp_mailparams const *, smtp_verdict *) ;
  /* The message content between the DATA/BDAT reader and the queue:
   * msgstart when the queue has the envelope, msgput for each block
   * (in the queue's form; it passes what is to be queued on with
   * smtp_message_write), msgend when the content is whole and clean,
   * before the commit: last bytes out, and a verdict that may refuse
   * the message (it is then dropped, never committed). */
  void (*msgstart) (smtp_session *) ;
  void (*msgput) (smtp_session *, char const *, size_t) ;
  void (*msgend) (smtp_session *, smtp_verdict *) ;
  /* The transaction opened by an accepted MAIL ends: committed is 1
   * when the message was taken (queued or discarded), 0 when it was
   * refused, reset, or the session ended. Called once per MAIL. */
  void (*txend) (smtp_session *, int committed) ;
} ;

typedef struct smtp_engine_s smtp_engine, *smtp_engine_ref ;
struct smtp_engine_s
{
  char const *hostname ;
  char const *injectpath ;       /* queued's injection socket */
  uint64_t maxsize ;             /* message size limit; 0: none */
  unsigned int maxrcpt ;
  unsigned int maxerrors ;
  size_t linemax ;               /* command line, without CRLF */
  size_t datalinemax ;           /* message line, without CRLF */
  smtp_timeouts timeouts ;
  char const *const *ehlo_extra ; /* more EHLO keywords, 0-terminated; 0 for none */
  smtp_rcptcheck_func *rcptcheck ;
  void *policy ;                 /* the rcptcheck function's own data */
  policyclient *pclient ;        /* the policy delegation service, 0 if none */
  int pfailclosed ;              /* policy service failure: 451 rather than accept */
  unsigned int ptimeout ;        /* seconds for one policy request */
  smtp_hooks const *hooks ;      /* 0 for the MX intake */
} ;

#define SMTP_HELLO_NONE 0
#define SMTP_HELLO_HELO 1
#define SMTP_HELLO_EHLO 2

#define SMTP_BDAT_NONE 0         /* no BDAT in this transaction */
#define SMTP_BDAT_ACTIVE 1       /* chunks are being taken */

/* One message on its way to queued (smtp_message.c), for DATA and for
 * the chunks of BDAT, which may span several commands. */
typedef struct smtp_message_s smtp_message, *smtp_message_ref ;
struct smtp_message_s
{
  qinject q ;
  int injecting ;        /* the queue connection is up and still taking data */
  char answer ;          /* queued's early Z or D, 0 if none yet */
  int localerr ;         /* the injection failed on our side */
  int starterrno ;       /* why the queue could not be reached */
  char reply[512] ;      /* queued's answer line */
} ;

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
  char const *localip ;
  char const *localport ;
  int relayclient ;        /* may relay to remote domains */

  /* TLS, once it is on (STARTTLS, or implicit TLS) */
  int tls ;
  char tlsproto[32] ;      /* "TLSv1.3" */
  char tlscipher[64] ;     /* "TLS_AES_256_GCM_SHA384" */
  unsigned int tlsbits ;   /* cipher bits in use, 0 if unknown */
  unsigned int tlsalgbits ;
  char const *authuser ;   /* 0: not authenticated (always so on the MX port) */

  unsigned int hello ;     /* SMTP_HELLO_* */
  char helo[256] ;

  /* the transaction */
  int inmail ;
  char sender[ADDR_PATH_MAX + 3] ;  /* canonical form, "" for <> */
  smtp_mailparams mailparams ;
  stralloc rcpts ;         /* accepted recipients: "T<addr>\0", each followed by its "N<param>\0" */
  unsigned int nrcpt ;
  char id[SMTP_ID_LEN + 1] ;  /* the transaction's id: policy "instance", Received id, smtpid= */
  stralloc prepend ;       /* header lines the policy service asked for (LF-ended) */
  stralloc xfields ;       /* "X<key>=<value>\0" envelope fields (policy HOLD) */
  int discard ;            /* the policy service said DISCARD: accept, queue nothing */
  unsigned int bdat ;      /* SMTP_BDAT_* */
  smtp_message msg ;
  smtp_data chunkreader ;  /* BDAT content state, across chunks */
  int committed ;          /* the message was taken: for hooks->txend */
  void *hookdata ;         /* the hooks' own session state */

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
/* The same, from its parts. */
extern void smtp_refuse4 (smtp_session *, char const *cmd, unsigned int code, char const *enh, char const *text, char const *reason) ;
extern void smtp_flush (smtp_session *) ;
/* Sets s->deadline to now + secs, capped by the session's deadline. */
extern void smtp_deadline (smtp_session *, unsigned int secs) ;
/* Logs the end of the session (event=disconnect reason=) and exits. */
extern void smtp_end (smtp_session *, char const *reason, int code) gccattr_noreturn ;
/* Answers 421 4.4.2 and ends the session: an expired deadline. */
extern void smtp_timeout (smtp_session *) gccattr_noreturn ;
/* Ends the session after an I/O or system error (errno). */
extern void smtp_fail (smtp_session *, char const *what) gccattr_noreturn ;
/* Answers with a last reply "code enh host text" and ends the session
 * (exit code exitcode, logged reason). */
extern void smtp_closing (smtp_session *, unsigned int code, char const *enh, char const *text, char const *reason, int exitcode) gccattr_noreturn ;
/* The client went away: flush what it may still read, and end. */
extern void smtp_client_eof (smtp_session *, char const *reason) gccattr_noreturn ;
/* Forgets the transaction (RSET, HELO/EHLO, end of DATA), dropping a
 * message half sent to queued. */
extern void smtp_reset (smtp_session *) ;
/* The protocol name for the Received header and queued (RFC 3848,
 * RFC 6531 3.7.3): SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, UTF8SMTP,
 * UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA. */
extern char const *smtp_protocol (smtp_session const *) ;

/* Reads more of the client's input into s->in, waiting at most the
 * data block timeout; on timeout, EOF (logged as eofreason) or error it
 * drops the message on its way and ends the session. */
extern void smtp_fill (smtp_session *, char const *eofreason) ;

typedef void smtp_handler_func (smtp_session *, smtp_cmd const *) ;
extern smtp_handler_func smtp_do_mail ;
extern smtp_handler_func smtp_do_rcpt ;
extern smtp_handler_func smtp_do_data ;
extern smtp_handler_func smtp_do_bdat ;

/* smtp_tls.c: STARTTLS (RFC 3207) through tlsd. */
extern smtp_handler_func smtp_do_starttls ;
/* Is STARTTLS to be offered (tlsd is there, TLS not on yet)? */
extern int smtp_tls_offer (smtp_session const *) ;
/* Implicit TLS (tlsd -i in front): takes the parameters it passed. */
extern void smtp_tls_implicit (smtp_session *) ;
extern unsigned int smtp_tls_bits (char const *cipher) ;

/* smtp_message.c: the message's way to queued. */

/* Connects to the queue and sends the envelope, the policy's headers
 * and the Received header (with the transaction's id), then flushes so
 * that queued has them before the client is told to go on. Returns 1;
 * or 0 when the message cannot go on: m->answer is queued's early
 * refusal, else the queue could not be reached (m->starterrno). Nothing
 * is said to the client. With s->discard, nothing is sent and 1 is
 * returned. */
extern int smtp_message_start (smtp_session *) ;
/* Answers the client after smtp_message_start failed. */
extern void smtp_message_refuse_start (smtp_session *, char const *cmd) ;
/* Passes message bytes (queue form) on and flushes them, through
 * hooks->msgput when there is one. */
extern void smtp_message_put (smtp_session *, char const *s, size_t len) ;
/* The same, straight to the queue: for hooks->msgput. */
extern void smtp_message_write (smtp_session *, char const *s, size_t len) ;
/* The content is refused whatever queued says: drop the connection
 * mid-message, so that queued-inject discards it. */
extern void smtp_message_drop (smtp_session *) ;
/* Drops a message on its way (RSET, QUIT and the like). */
extern void smtp_message_abort (smtp_session *) ;
/* The end of the message: waits for queued's answer (when nothing went
 * wrong before), answers the client, and resets the transaction.
 * errors are the reader's SMTP_DATA_* flags, size its count. */
extern void smtp_message_end (smtp_session *, unsigned int errors, uint64_t size, char const *cmd) ;

/* smtp_policy.c: asks the policy delegation service about a recipient
 * already accepted by the recipient policy; may change *v and the
 * transaction (prepend, xfields, discard). */
extern void smtp_policy_rcpt (smtp_session *, char const *rcpt, smtp_verdict *v) ;

#endif
