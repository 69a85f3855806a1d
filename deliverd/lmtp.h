/* ISC license. */

#ifndef POSTHASTE_DELIVERD_LMTP_H
#define POSTHASTE_DELIVERD_LMTP_H

/* lmtpd's session: RFC 2033 LMTP with one MTA client on a pair of
 * non-blocking fds. The command-line parser, the DATA reader, the reply
 * writer and the Received header are smtpd's pure modules; delivery is
 * deliverd's deliver_request, once per recipient. States (RFC 2033 4.1,
 * RFC 5321 4.1.4):
 *
 *   connected --LHLO--> greeted --MAIL--> in transaction
 *   in transaction --RCPT (accepted)--> has recipients
 *   has recipients --DATA--> one reply per accepted RCPT, in order --> greeted
 *   RSET, LHLO go back to "greeted".
 *
 * Commands out of that order get 503 5.5.1. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/buffer.h>
#include <skalibs/genalloc.h>
#include <skalibs/gccattributes.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/addr.h"
#include "smtpd/smtp_cmd.h"
#include "smtpd/smtp_out.h"
#include "deliver.h"

#define LMTP_LINE_MAX 2048       /* command lines, without CRLF: RFC 5321 4.5.3.1.4 asks for 512 */
#define LMTP_DATALINE_MAX 65536  /* message lines, as smtpd: 998 in RFC 5322, real mail is longer */
#define LMTP_INBUF_SIZE 65536
#define LMTP_ID_LEN 16
#define LMTP_HELO_MAX 255

typedef struct lmtp_conf_s lmtp_conf, *lmtp_conf_ref ;
struct lmtp_conf_s
{
  char const *hostname ;
  uint64_t maxsize ;          /* message size limit; 0: none */
  unsigned int maxrcpt ;      /* recipients per transaction */
  unsigned int maxerrors ;    /* protocol errors before 421 */
  unsigned int tcommand ;     /* RFC 5321 4.5.3.2.7: waiting for a command */
  unsigned int tdatablock ;   /* 4.5.3.2.5: waiting for each block of data */
  unsigned int tdataterm ;    /* 4.5.3.2.6: answering the end of data */
  unsigned int tsession ;     /* the whole session */
} ;

/* One accepted RCPT, in the order given: its lookup key (lower-cased
 * canonical address) at key in lmtp_session.rcpts, and the index of an
 * earlier recipient with the same key (or itself): RFC 2033 wants one
 * reply per accepted RCPT, the mailbox wants one copy. */
typedef struct lmtp_rcpt_s lmtp_rcpt, *lmtp_rcpt_ref ;
struct lmtp_rcpt_s
{
  size_t key ;
  unsigned int first ;
} ;

typedef struct lmtp_session_s lmtp_session, *lmtp_session_ref ;
struct lmtp_session_s
{
  lmtp_conf const *conf ;
  deliverctx *dctx ;          /* maps, mail root, host name, work space */
  buffer in ;
  smtp_out out ;
  tain deadline ;             /* of the current operation */
  tain sessiondeadline ;

  char const *ip ;            /* TCPREMOTEIP under tcpd; 0 on the Unix socket */
  char const *rdns ;          /* TCPREMOTEHOST if any */
  char const *peer ;          /* for the logs: the ip, or "uid:<n>" on the Unix socket */

  int greeted ;
  char lhlo[LMTP_HELO_MAX + 1] ;

  int inmail ;
  char sender[ADDR_PATH_MAX + 3] ;  /* canonical form, "" for <> */
  int smtputf8 ;
  genalloc rcptlist ;         /* lmtp_rcpt */
  stralloc rcpts ;            /* the keys, NUL-terminated */
  char id[LMTP_ID_LEN + 1] ;  /* the transaction's id: qid= in the logs, Received id, replies */

  genalloc dests ;            /* rcpt_expand work space for RCPT */
  stralloc storage ;

  unsigned int errors ;       /* protocol errors since the last message */
  unsigned int messages ;
  uint64_t commands ;

  char inbuf[LMTP_INBUF_SIZE] ;
} ;

/* lmtp_session.c */
extern void lmtp_session_init (lmtp_session *, lmtp_conf const *, deliverctx *, int infd, int outfd) ;
/* Greets, runs the command loop to the end; never returns. */
extern void lmtp_session_run (lmtp_session *) gccattr_noreturn ;

/* Queues a reply. A protocol error (class 5.5.x) counts toward maxerrors. */
extern void lmtp_reply (lmtp_session *, unsigned int code, char const *enh, char const *text) ;
/* A refusal that is also logged: event=reject peer= cmd= code= reason= [rcpt=]. */
extern void lmtp_refuse (lmtp_session *, char const *cmd, unsigned int code, char const *enh, char const *text, char const *reason, char const *rcpt) ;
extern void lmtp_flush (lmtp_session *) ;
extern void lmtp_deadline (lmtp_session *, unsigned int secs) ;
/* Forgets the transaction (RSET, LHLO, end of DATA). */
extern void lmtp_reset (lmtp_session *) ;
/* Reads more input (data block deadline); ends the session on EOF,
 * timeout or error. */
extern void lmtp_fill (lmtp_session *) ;
extern void lmtp_end (lmtp_session *, char const *reason, int code) gccattr_noreturn ;
extern void lmtp_fail (lmtp_session *, char const *what) gccattr_noreturn ;
extern void lmtp_timeout (lmtp_session *) gccattr_noreturn ;
extern void lmtp_closing (lmtp_session *, unsigned int code, char const *enh, char const *text, char const *reason, int exitcode) gccattr_noreturn ;

/* lmtp_envelope.c */
extern void lmtp_do_mail (lmtp_session *, smtp_cmd const *) ;
extern void lmtp_do_rcpt (lmtp_session *, smtp_cmd const *) ;

/* lmtp_data.c */
extern void lmtp_do_data (lmtp_session *, smtp_cmd const *) ;

/* lmtp_verdict.c: deliver_request's reply (text0: R lines, then one
 * K, Z or D record) turned into the LMTP reply for one recipient (RFC
 * 2033 4.2). Pure; fuzzed by tests/fuzz/lmtp_verdict.c. The text goes
 * into text (room for LMTP_VERDICT_TEXT_MAX bytes, NUL-terminated) and
 * the enhanced code into enh (room for 16 bytes). Returns the reply code:
 * 250 for K; 452 for a Z whose code is 4.2.2 (mailbox full) or 4.3.1
 * (disk full), 451 for another Z; 550 for D; 451 4.3.0 for a reply that
 * has none of them or is malformed. */
#define LMTP_VERDICT_TEXT_MAX 400
extern unsigned int lmtp_verdict (char const *reply, size_t len, char const *rcpt, char const *id, char *enh, char *text) ;

#endif
