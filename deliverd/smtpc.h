/* ISC license. */

#ifndef POSTHASTE_DELIVERD_SMTPC_H
#define POSTHASTE_DELIVERD_SMTPC_H

/* The SMTP client of deliverd-remote: reply parsing, EHLO capabilities,
 * the CRLF/dot-stuffing encoder, and a connection with deadlines. */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/buffer.h>
#include <skalibs/ip46.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/dns.h"
#include "common/ucspitls.h"

/* ---- replies (RFC 5321 4.2) */

#define SMTPC_LINE_MAX 2048     /* one reply line; RFC 5321 4.5.3.1.5 says 512, servers exceed it */
#define SMTPC_REPLY_LINES 100   /* lines in one reply */
#define SMTPC_REPLY_TEXT 4096   /* text kept; the rest of a long reply is dropped */

typedef struct smtpc_reply_s smtpc_reply, *smtpc_reply_ref ;
struct smtpc_reply_s
{
  unsigned int code ;     /* 200 .. 559 */
  unsigned int lines ;
  int done ;              /* the last line has been seen */
  size_t len ;
  char text[SMTPC_REPLY_TEXT + 1] ;  /* each line's text (after "ddd-"), lines separated by '\n',
                                         control and non-ASCII bytes as '?' */
} ;

/* Starts a new reply. */
extern void smtpc_reply_init (smtpc_reply *) ;

/* Feeds one line (without its CRLF). Returns 1 when the reply is
 * complete, 0 when more lines follow, -1 (errno EPROTO) when the line is
 * not a reply line: no three-digit code 2-5/0-5/0-9, a fourth character
 * other than ' ', '-' or the end, a code different from the previous
 * lines', more than SMTPC_REPLY_LINES lines, or a line after the last. */
extern int smtpc_reply_line (smtpc_reply *, char const *line, size_t len) ;

/* The reply as one line for logs and DSNs: "550 5.1.1 text text2"
 * (each line's text joined by a space), at most max-1 bytes, NUL-ended. */
extern size_t smtpc_reply_oneline (smtpc_reply const *, char *out, size_t max) ;

/* The RFC 3463 enhanced status code at the start of the reply's text
 * ("5.1.1"), when present and of the same class as the reply code:
 * copied into esc (at least 12 bytes) and 1 returned, else 0. */
extern int smtpc_reply_esc (smtpc_reply const *, char *esc) ;

/* ---- EHLO capabilities (RFC 5321 4.1.1.1 and the extensions' RFCs) */

#define SMTPC_PIPELINING  0x0001
#define SMTPC_SIZE        0x0002
#define SMTPC_8BITMIME    0x0004
#define SMTPC_SMTPUTF8    0x0008
#define SMTPC_DSN         0x0010
#define SMTPC_CHUNKING    0x0020
#define SMTPC_STARTTLS    0x0040
#define SMTPC_AUTH        0x0080
#define SMTPC_REQUIRETLS  0x0100
#define SMTPC_ENHANCED    0x0200
#define SMTPC_BINARYMIME  0x0400

#define SMTPC_AUTH_PLAIN  0x01
#define SMTPC_AUTH_LOGIN  0x02

typedef struct smtpc_caps_s smtpc_caps, *smtpc_caps_ref ;
struct smtpc_caps_s
{
  unsigned int flags ;
  unsigned int auth ;      /* SMTPC_AUTH_* offered */
  uint64_t sizemax ;       /* SIZE's argument; 0: none given */
  char name[DNS_NAME_MAX + 1] ;  /* the server's name: the first word of the reply, lower case */
} ;

/* Reads the capabilities from a 250 reply to EHLO. Never fails: unknown
 * keywords are ignored, a malformed SIZE argument counts as no limit. */
extern void smtpc_ehlo_parse (smtpc_reply const *, smtpc_caps *) ;

/* ---- the message encoder: queue form (LF lines) to SMTP (CRLF lines) */

/* Every LF becomes CR LF; a CR right before an LF is dropped (the LF
 * makes the CR LF); any other CR, which the queue should never hold,
 * ends a line too (CR LF) rather than going out bare (RFC 5321 2.3.8).
 * A message that does not end with a line end gets one. With
 * dotstuff, a line that starts with '.' gets another '.' (RFC 5321
 * 4.5.2). So no bare CR or LF is ever written.
 *
 * No line goes out longer than SMTPC_TEXT_LINE_MAX octets before its
 * CR LF (RFC 5322 2.1.1, RFC 5321 4.5.3.1.6; a stuffed dot counts, so
 * the limit holds on the wire): a longer line is broken by inserting
 * CR LF SPACE, as Postfix's smtp_line_length_limit does (in the header
 * section the rest becomes a continuation line, RFC 5322 2.2.3). A
 * break falls before a UTF-8 sequence, not inside it (a lead byte
 * says how long its sequence is). Deleting every inserted CR LF SPACE
 * gives back the line. */
#define SMTPC_TEXT_LINE_MAX 998

typedef struct smtpc_enc_s smtpc_enc, *smtpc_enc_ref ;
struct smtpc_enc_s
{
  int bol ;             /* at the beginning of a line */
  int cr ;              /* a CR is held back */
  int dotstuff ;
  size_t col ;          /* octets written on the current wire line */
  size_t limit ;        /* SMTPC_TEXT_LINE_MAX; 0: no limit */
  int broken ;          /* the current line has been broken */
  uint64_t longlines ;  /* lines broken so far */
} ;
#define SMTPC_ENC_INIT(stuff) { .bol = 1, .cr = 0, .dotstuff = !!(stuff), .col = 0, .limit = SMTPC_TEXT_LINE_MAX, .broken = 0, .longlines = 0 }

/* Encodes s[0..len): appends the result to out unless out is 0, and
 * adds its length to *count unless count is 0. Returns 1, or 0 if out
 * could not grow (ENOMEM). */
extern int smtpc_encode (smtpc_enc *, char const *s, size_t len, stralloc *out, uint64_t *count) ;
/* Ends the message: the held CR and the final line end, if needed. */
extern int smtpc_encode_end (smtpc_enc *, stralloc *out, uint64_t *count) ;

/* ---- base64 (RFC 4648 section 4), for AUTH */
extern int smtpc_base64 (char const *s, size_t len, stralloc *out) ;

/* ---- a connection */

typedef struct smtpc_s smtpc, *smtpc_ref ;
struct smtpc_s
{
  int fd ;                            /* -1: none; the socket, or with TLS tlsc's read pipe (for polling) */
  buffer in ;
  buffer out ;
  char inbuf[8192] ;
  char outbuf[16384] ;
  char host[DNS_NAME_MAX + 1] ;       /* the name we connected to (MX host or relay) */
  ip46 ip ;
  uint16_t port ;
  char ipfmt[IP46_FMT] ;
  smtpc_caps caps ;
  int esmtp ;                         /* EHLO was accepted */
  int tls ;                           /* TLS is on: fd, in and out are tlsc's pipes */
  ucspitls_client tlsc ;              /* tlsc when tls: verified, verify_error, peer_cn */
  ucspitls_info tlsinfo ;             /* protocol and cipher when tls */
  int broken ;                        /* a read or write failed: not reusable */
  char key[DNS_NAME_MAX + 32] ;       /* the destination it serves, for reuse */
  unsigned int uses ;                 /* transactions done */
  tain born ;
} ;

/* Connects to ip:port before the deadline (the fd is non-blocking and
 * close-on-exec). Returns 1, or 0 with errno (ETIMEDOUT, ECONNREFUSED,
 * ...). host is copied for the logs. */
extern int smtpc_connect (smtpc *, char const *host, ip46 const *ip, uint16_t port, tain const *deadline) ;

/* Writes s[0..len) before the deadline. 1, or 0 with errno (marks the
 * connection broken). */
extern int smtpc_send (smtpc *, char const *s, size_t len, tain const *deadline) ;

/* Reads one whole reply before the deadline. Returns 1, or 0 with errno:
 * ETIMEDOUT, EPIPE (the server closed), EPROTO (not a reply), ERANGE (a
 * line over SMTPC_LINE_MAX); the connection is then marked broken. */
extern int smtpc_read (smtpc *, smtpc_reply *, tain const *deadline) ;

/* STARTTLS after its 220 (RFC 3207 4): hands the socket to tlsc
 * (common/ucspitls.h) with servername for SNI and the certificate
 * check, and goes on through tlsc's pipes. Any byte the server sent
 * after its 220 and before the handshake is refused (EPROTO): it would
 * otherwise be read as if it had come inside TLS. Returns 1 (c->tls set,
 * c->tlsc and c->tlsinfo filled; the EHLO capabilities are forgotten,
 * as RFC 3207 4.2 says); 0 with errno as ucspitls_client_start() sets
 * it, the connection closed either way. */
extern int smtpc_starttls (smtpc *, char const *servername, unsigned int flags, tain const *deadline) ;

/* Sends QUIT and waits for its reply until the deadline, then closes. */
extern void smtpc_quit (smtpc *, tain const *deadline) ;
/* Closes without a word (with TLS: ends tlsc, which says close_notify,
 * waiting for it at most SMTPC_TLS_END_SECS). */
#define SMTPC_TLS_END_SECS 5
extern void smtpc_close (smtpc *) ;

/* "host[ip]:port" for logs and verdicts, at most max-1 bytes. */
extern size_t smtpc_relay_fmt (smtpc const *, char *out, size_t max) ;

#endif
