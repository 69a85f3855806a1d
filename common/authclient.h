/* ISC license. */

#ifndef POSTHASTE_AUTHCLIENT_H
#define POSTHASTE_AUTHCLIENT_H

/* The client side of Dovecot's authentication protocol 1.1 (the
 * "client <-> server" part, as Postfix's xsasl_dovecot_server.c speaks
 * it), talking to authd on $PH_RUN_DIR/auth.sock (docs/internals.md,
 * authd/README.md). For submitd, later imapd and pop3d.
 *
 * The protocol program does not decode SASL: it relays. Its client's
 * base64 response goes to authclient_auth() / authclient_cont()
 * unchanged, and what comes back is one of
 *   AUTHCLIENT_CONT  r->text is a base64 challenge (validated: only the
 *                    RFC 4648 alphabet and padding, possibly empty) to
 *                    send to the client ("334 <text>", "+ <text>"),
 *                    then call authclient_cont() with its answer;
 *   AUTHCLIENT_OK    r->text is the user name authd vouches for (and
 *                    r->ticket the one-time ticket, when the request
 *                    asked for one and authd gave a well-formed one);
 *   AUTHCLIENT_FAIL  credentials refused; r->temp is set when authd
 *                    said "temp" (answer 454 4.7.0, not 535 5.7.8);
 *                    r->text is authd's reason, possibly empty, control
 *                    free, cut at AUTHCLIENT_TEXT_MAX on a UTF-8
 *                    boundary;
 *   AUTHCLIENT_ERROR (0) a local error, errno says which: ETIMEDOUT,
 *                    EPIPE/ECONNRESET (authd went away), EPROTO (authd
 *                    said something malformed), ENOTCONN (not
 *                    connected), EINVAL (bad arguments: a NUL in a
 *                    value, no request in progress), EMSGSIZE (the line
 *                    would exceed authd's limit). After ETIMEDOUT, EPIPE,
 *                    ECONNRESET or EPROTO the connection is closed; the
 *                    caller may authclient_connect() again for the next
 *                    attempt (answer this one with a 454).
 *
 * One request at a time per connection. A client that cancels (SMTP
 * "*", RFC 4954 section 4) is handled with authclient_abort(): the
 * protocol has no cancel, and a request left open in authd would count
 * against its 16 in progress, so the connection goes.
 *
 * Every call that talks takes an absolute deadline on the tain_now_g()
 * clock and never blocks past it. authd delays each FAIL by
 * PH_AUTH_FAIL_DELAY (at most 9 s), so give AUTH and CONT at least 10 s.
 * The socket is non-blocking; writes never raise SIGPIPE. Server lines
 * are bounded (AUTHCLIENT_LINE_MAX) and parsed strictly: anything not
 * expected is EPROTO.
 *
 * Values sent are escaped as Dovecot's str_tabescape() does (0x01 ->
 * 0x01 '1', TAB -> 0x01 't', CR -> 0x01 'r', LF -> 0x01 'n'), so no value
 * can split a field or a line. authd does not unescape (nothing it
 * accepts may contain those bytes), so an escaped resp simply fails as
 * bad base64 there, as it would in Dovecot after unescaping. Values
 * received are unescaped the same way. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#define AUTHCLIENT_LINE_MAX 8192        /* a server line, without its LF */
#define AUTHCLIENT_TEXT_MAX 1024        /* challenge, user name, reason */
#define AUTHCLIENT_MECHS_MAX 256        /* the space-separated MECH list */
#define AUTHCLIENT_HANDSHAKE_MAX 64     /* lines before DONE */
#define AUTHCLIENT_SEND_MAX 65535       /* authd's line limit, LF excluded */

#define AUTHCLIENT_TICKET_HEX 64       /* docs/internals.md, "Tickets" */

#define AUTHCLIENT_ERROR 0
#define AUTHCLIENT_CONT 1
#define AUTHCLIENT_OK 2
#define AUTHCLIENT_FAIL 3

typedef struct authclient_reply_s authclient_reply, *authclient_reply_ref ;
struct authclient_reply_s
{
  int type ;                 /* AUTHCLIENT_CONT, _OK or _FAIL */
  unsigned int temp : 1 ;    /* FAIL with "temp" */
  size_t len ;
  char text[AUTHCLIENT_TEXT_MAX + 1] ;   /* NUL-terminated */
  char ticket[AUTHCLIENT_TICKET_HEX + 1] ;  /* OK: the ticket= parameter (64 lower-case hex), "" if none */
} ;

/* What the server is told about the attempt (authd logs it; banwatch
 * reads ip= from it). rip and lip may be 0. */
typedef struct authclient_request_s authclient_request, *authclient_request_ref ;
struct authclient_request_s
{
  char const *mech ;      /* "PLAIN", "LOGIN", as the client named it */
  char const *service ;   /* "smtp", "imap", "pop3" */
  char const *rip ;       /* the client's address */
  char const *lip ;       /* ours */
  int secured ;           /* TLS is on (or the connection is local) */
  int ticket ;            /* ask for a one-time ticket (imapd, pop3d): the OK then carries
                             reply.ticket, or authd answers FAIL (temp when it could not make one) */
} ;

typedef struct authclient_s authclient, *authclient_ref ;
struct authclient_s
{
  int fd ;                /* -1 when not connected */
  uint32_t id ;           /* the request in progress, 0 if none */
  uint32_t lastid ;
  unsigned int hs_version : 1 ;   /* handshake: VERSION seen */
  unsigned int hs_lines ;
  uint32_t spid ;         /* from the handshake (0 if not sent) */
  uint32_t cuid ;
  size_t mechlen ;
  char mechs[AUTHCLIENT_MECHS_MAX] ;   /* "PLAIN LOGIN": for EHLO's AUTH */
  char cookie[65] ;       /* hex, empty if not sent */
  stralloc send ;         /* the line being built */
  buffer in ;
  buffer out ;
  char inbuf[4096] ;
  char outbuf[4096] ;
  char line[AUTHCLIENT_LINE_MAX + 1] ;
} ;
#define AUTHCLIENT_ZERO { .fd = -1, .id = 0, .lastid = 0, .hs_version = 0, .hs_lines = 0, .mechlen = 0, .send = STRALLOC_ZERO }

/* Connects to the socket at path and runs the handshake (sends VERSION
 * 1 1 and CPID, reads the server's lines to DONE: VERSION major 1 first,
 * at least one usable MECH). Returns 1, or 0 with errno (ENOENT,
 * ECONNREFUSED: authd is not there; ETIMEDOUT; EPROTO). */
extern int authclient_connect (authclient *, char const *path, tain const *deadline) ;

/* The same over an fd already connected (a socketpair in the tests).
 * Takes the fd: it is closed on failure and by authclient_close(). */
extern int authclient_start_fd (authclient *, int fd, tain const *deadline) ;

/* Did the server offer mech (case-insensitive)? */
extern int authclient_has_mech (authclient const *, char const *mech) ;

/* Starts an attempt. resp is the client's initial response as sent
 * (base64 text, RFC 4954 SASL-IR), or 0 for none; RFC 4954's "=" (an
 * empty initial response) should be passed as resp="" with resplen 0,
 * which authd, like Dovecot, treats as none. Returns a reply type. */
extern int authclient_auth (authclient *, authclient_request const *, char const *resp, size_t resplen, authclient_reply *, tain const *deadline) ;

/* Answers the last CONT with the client's base64 response. If resp
 * cannot be sent (EINVAL: a NUL; EMSGSIZE), the request cannot go on
 * either, and the connection is closed. */
extern int authclient_cont (authclient *, char const *resp, size_t resplen, authclient_reply *, tain const *deadline) ;

/* Gives up the request in progress (the client cancelled): closes the
 * connection. */
extern void authclient_abort (authclient *) ;

extern void authclient_close (authclient *) ;

/* The reply parser, without I/O (tests/fuzz/authclient.c): parses one
 * server line (without its LF) that answers request id. Returns
 * AUTHCLIENT_CONT, _OK or _FAIL with r filled, or 0 with errno EPROTO. */
extern int authclient_reply_parse (char const *line, size_t len, uint32_t id, authclient_reply *r) ;

/* The handshake parser, without I/O: takes one server line (without
 * its LF). Returns 1 at DONE, 0 when more lines are expected, -1 with
 * errno EPROTO. ac->hs_* must be zero before the first line. */
extern int authclient_handshake_line (authclient *, char const *line, size_t len) ;

#endif
