/* ISC license. */

#ifndef POSTHASTE_BYELINE_H
#define POSTHASTE_BYELINE_H

/* The last line a line-protocol server sends before it drops a client
 * ("* BYE <text>" in IMAP, "-ERR <text>" in POP3): a courtesy, bounded
 * by 5 s, since the client may be gone or not reading. */

#include <skalibs/buffer.h>

#define BYELINE_MAX 512   /* prefix, text and CRLF; a longer text is cut */

/* Queues prefix, text and CRLF after what out holds and writes it all,
 * giving up after 5 s. No error: the caller exits next. */
extern void byeline_send (buffer *out, char const *prefix, char const *text) ;

#endif
