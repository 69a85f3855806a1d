/* ISC license. */

#ifndef POSTHASTE_PREAUTH_H
#define POSTHASTE_PREAUTH_H

/* The machinery imapd and pop3d share before login (docs/internals.md,
 * "Mail access"): one client, one process, no mailbox. Credentials go
 * to authd (common/authclient.h) with ticket=1; on OK the client's fds
 * and the ticket go to <service>-session (common/handover.h). What
 * differs, the protocol's words, stays in imapd/ and pop3d/: these
 * functions log and count, and tell the caller what happened; the
 * caller answers the client.
 *
 * Log events (key=value, common/log.h), each with ip= and session=:
 * connect, tls, tls_fail, bad_command, too_many_bad_commands,
 * auth_unavailable, auth_fail, auth_ok, login, handover_fail. */

#include <stddef.h>
#include <skalibs/buffer.h>
#include <skalibs/cbuffer.h>

#include "common/authclient.h"
#include "common/ucspitls.h"

#define PREAUTH_HOST_MAX 255
#define PREAUTH_AUTH_SECS 30          /* authd: above its 9 s failure delay */
#define PREAUTH_STARTTLS_SECS 90      /* above tlsd's 60 s handshake */

#define PREAUTH_PLAIN_NO 0            /* PH_<P>_PLAINTEXT_AUTH=no */
#define PREAUTH_PLAIN_YES 1           /* yes */
#define PREAUTH_PLAIN_LOOPBACK 2      /* loopback (the default) */

typedef struct preauth_s preauth, *preauth_ref ;
struct preauth_s
{
  char const *service ;        /* "imap", "pop3": authd's service=, the handover's, banwatch's */
  int tls ;                    /* implicit TLS, or after STARTTLS/STLS */
  ucspitls_info tlsinfo ;
  int plain ;                  /* PREAUTH_PLAIN_* */
  int loopback ;               /* the client is on a loopback address */
  unsigned int idlesecs ;      /* PH_<P>_PREAUTH_TIMEOUT */
  unsigned int bad ;           /* refused commands so far */
  unsigned int maxbad ;        /* PH_<P>_MAX_BAD */
  unsigned int authfail ;      /* failed logins so far */
  unsigned int maxauthfail ;   /* PH_<P>_MAX_AUTH_FAIL */
  char const *rip ;            /* never 0 ("" when tcpd named none) */
  char const *rport ;
  char const *lip ;
  char const *lport ;
  char const *authpath ;       /* $PH_RUN_DIR/auth.sock */
  char const *sessionpath ;    /* $PH_RUN_DIR/<service>-session.sock */
  char host[PREAUTH_HOST_MAX + 1] ;
  char session[17] ;           /* the session id, 16 hex */
} ;

/* Makes the process not dumpable (nodump(): it is about to hold
 * passwords, and every client's pre-auth process has the same uid),
 * loads the configuration (config_load) and reads the settings named
 * with prefix ("PH_IMAP", "PH_POP3"): _PLAINTEXT_AUTH (loopback|yes|no),
 * _PREAUTH_TIMEOUT (60 s), _MAX_BAD (20), _MAX_AUTH_FAIL (3); and
 * PH_RUN_DIR, the host name, tcpd's TCP* variables, tlsd's (implicit
 * TLS). Makes fds 0/1 non-blocking, ignores SIGPIPE, starts the clock
 * (tain_now_set_stopwatch_g) and logs connect. Dies 100 on a bad
 * setting, 111 on a system error. */
extern void preauth_init (preauth *p, char const *service, char const *prefix) ;

/* May credentials be sent now (TLS, or the plaintext policy allows it)? */
extern int preauth_plain_ok (preauth const *p) ;

/* Counts a refused command against PH_<P>_MAX_BAD: common/badcommand.h.
 * Returns 1 at the limit: the caller says goodbye. */
extern int preauth_bad (preauth *p, char const *cmd) ;

/* Counts a failed login and logs auth_fail (user: what the client
 * claimed, may be ""). Returns 1 at PH_<P>_MAX_AUTH_FAIL: the caller
 * says goodbye. Else 0. */
extern int preauth_auth_failed (preauth *p, char const *mech, char const *user) ;

/* Starts TLS once the positive reply is queued in out (not flushed):
 * common/ucspitls.h. On success p->tls is set and tls is logged; on
 * failure tls_fail is logged and the process exits (99 on a timeout,
 * else 1): the stream is no longer usable. */
extern void preauth_starttls (preauth *p, buffer *in, buffer *out) ;

/* Wipes the input buffer's free part: the bytes of commands already
 * handled (a password) stay there until overwritten. */
extern void preauth_wipe_consumed (cbuffer *c) ;

/* PLAIN's initial response (RFC 4616: NUL authcid NUL passwd, empty
 * authzid), base64 (RFC 4648 §4), appended to enc. The clear copy is
 * wiped. Returns 1, or 0 (ENOMEM). */
extern int preauth_plain_encode (stralloc *enc, char const *user, size_t userlen, char const *pass, size_t passlen) ;

/* One SASL exchange with authd (mech PLAIN or LOGIN; resp the initial
 * response in base64, or 0 for none). Challenges go to the client and
 * its lines come back through io. Returns:
 *   PREAUTH_SASL_OK           r->text (the user) and r->ticket filled;
 *                             auth_ok logged: hand the client over
 *   PREAUTH_SASL_FAILED       refused credentials: not counted yet
 *                             (preauth_auth_failed, with the caller's
 *                             idea of the user)
 *   PREAUTH_SASL_UNAVAILABLE  authd could not be asked, or answered a
 *                             temporary failure (logged)
 *   PREAUTH_SASL_NOMECH       authd does not offer mech
 *   PREAUTH_SASL_BADLINE      a client line unusable (io said 0)
 *   PREAUTH_SASL_CANCELLED    the client sent "*"
 * The client leaving mid-exchange ends the process (exit 0). */
#define PREAUTH_SASL_OK 1
#define PREAUTH_SASL_FAILED 2
#define PREAUTH_SASL_UNAVAILABLE 3
#define PREAUTH_SASL_NOMECH 4
#define PREAUTH_SASL_BADLINE 5
#define PREAUTH_SASL_CANCELLED 6

typedef struct preauth_sasl_io_s preauth_sasl_io, *preauth_sasl_io_ref ;
struct preauth_sasl_io_s
{
  void *ctx ;
  /* sends "+ <challenge>\r\n" and flushes; restarts the idle deadline */
  void (*challenge) (void *ctx, char const *s, size_t len) ;
  /* reads a line into buf (max bytes, CRLF removed, NUL-terminated):
   * 1 a line, 0 an unusable one (too long, bad bytes), -1 EOF */
  int (*getline) (void *ctx, char *buf, size_t max, size_t *len) ;
  char *line ;                 /* the caller's line buffer, wiped after use */
  size_t linemax ;
} ;

extern int preauth_sasl (preauth *p, preauth_sasl_io const *io, char const *mech, char const *resp, size_t resplen, authclient_reply *r) ;

/* Hands the client (fds 0 and 1) over to p->sessionpath with ticket,
 * the connection's fields (user and tag for the logs; tag 0 for none)
 * and the bytes still unread in in (pipelined after the login). On K,
 * logs login and exits 0: the session owns the client. Else logs
 * handover_fail and returns: 'D' the session refused the ticket, 'Z'
 * it could not serve now (or was unreachable), -1 an internal error
 * before anything was sent. The caller answers the client. */
extern int preauth_handover (preauth *p, buffer *in, char const *user, char const *tag, char const *ticket) ;

#endif
