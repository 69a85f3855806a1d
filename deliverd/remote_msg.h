/* ISC license. */

#ifndef POSTHASTE_DELIVERD_REMOTE_MSG_H
#define POSTHASTE_DELIVERD_REMOTE_MSG_H

/* What the SMTP client must know of a queued message before it sends
 * MAIL FROM: its size on the wire (RFC 1870 SIZE counts CR LF line ends,
 * not the dot-stuffing) and whether it holds 8-bit bytes (RFC 6152
 * 8BITMIME) in its header section (RFC 6532: SMTPUTF8). The size
 * counts the CR LF SPACE the encoder inserts into lines over 998
 * octets. */

#include <stdint.h>

#define REMOTE_BLOCK 65536   /* bytes read from the queue file at once */

typedef struct remote_msg_s remote_msg, *remote_msg_ref ;
struct remote_msg_s
{
  int fd ;
  uint64_t size ;        /* bytes in the queue file */
  uint64_t wiresize ;    /* bytes once encoded with CR LF line ends */
  int has8bit ;
  int header8bit ;
} ;

/* Reads the whole file with pread from offset 0. Returns 1, or 0 with
 * errno (EIO: the file changed size while read). */
extern int remote_msg_scan (int fd, remote_msg *m) ;

#endif
