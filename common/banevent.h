/* ISC license. */

#ifndef POSTHASTE_BANEVENT_H
#define POSTHASTE_BANEVENT_H

/* Events for banwatch (banwatch/README.md): one datagram per event on
 * $PH_RUN_DIR/banwatch.sock, one text line in the logs' key=value form:
 *
 *   event=<name> ip=<address> service=<name> [user=<login>]
 *
 * event: auth_fail, bad_command, relay_denied, unknown_rcpt, ... (any
 * lower-case word; banwatch counts them all alike); control requests
 * from root (mailctl): event=ban ip=<addr>[/<bits>] [duration=<secs>],
 * event=unban ip=<addr>[/<bits>].
 * banwatch believes only the kernel about the sender (SO_PASSCRED): the
 * uid must be one of the protocol daemons', banwatch's own, or root. */

#include <stddef.h>

#define BANEVENT_MAX 512        /* one datagram, the line included */
#define BANEVENT_VALUE_MAX 128  /* a value, cut beyond */

/* Sends one event, never blocking and never failing: a daemon that is
 * not there, a full socket buffer, a missing PH_RUN_DIR cost nothing but
 * the event (the program's protocol is never delayed for banwatch).
 * ip must be set (no event is sent without it); service and user may be
 * 0. Values are sent as tokens: bytes that are not printable ASCII, and
 * space, '"', '\\' and '=', become '_'. */
extern void banevent_send (char const *event, char const *ip, char const *service, char const *user) ;

/* The same with an explicit socket path, returning 1 when the datagram
 * was sent, 0 with errno (mailctl wants to know). */
extern int banevent_sendto (char const *path, char const *line, size_t len) ;

/* Formats the line into s (BANEVENT_MAX bytes). Returns its length
 * (without the final '\n' it carries), 0 if event or ip is empty. */
extern size_t banevent_fmt (char *s, char const *event, char const *ip, char const *service, char const *user) ;

/* A parsed event: pointers into the caller's buffer (NUL-terminated by
 * the parser, which edits it in place). Unknown keys are ignored. */
typedef struct banevent_s banevent, *banevent_ref ;
struct banevent_s
{
  char const *event ;
  char const *ip ;
  char const *service ;   /* "" when absent */
  char const *user ;      /* "" when absent */
  char const *duration ;  /* "" when absent */
} ;

/* Parses one line s[0..len) (a trailing '\n' is allowed), editing s.
 * s must have room for len + 1 bytes. Returns 1, or 0 if it is not an
 * event: no event= or ip=, a token without '=', a key given twice, an
 * empty value, a NUL byte or a control character, len above
 * BANEVENT_MAX. */
extern int banevent_parse (char *s, size_t len, banevent *ev) ;

#endif
