/* ISC license. */

#ifndef POSTHASTE_DELIVERD_HDRSCAN_H
#define POSTHASTE_DELIVERD_HDRSCAN_H

/* Mail loop detection at final delivery (RFC 5321 6.3 suggests counting
 * trace headers; qmail and Postfix look for their own Delivered-To):
 * a message that already carries "Delivered-To: <addr>" has been here,
 * and delivering it again would go round for ever; one with too many
 * Received and Delivered-To fields is going round somewhere else. */

#include <stddef.h>

#define HDRSCAN_MAX (1024 * 1024)   /* header bytes read for the check */

/* Scans the header section at the start of s[0..len) (LF or CRLF line
 * ends, folded fields unfolded; it ends at the first empty line, at a
 * line that is not a field, or at len) for a Delivered-To field whose
 * value, without surrounding blanks and one pair of angle brackets,
 * equals addr[0..addrlen) ignoring ASCII case. Returns 1 or 0. */
extern int hdrscan_delivered_to (char const *s, size_t len, char const *addr, size_t addrlen) ;

/* Counts the Received and Delivered-To fields of the header section at
 * the start of s[0..len) (same section rules as above; names compared
 * ignoring ASCII case): the hops the message made, as qmail and Postfix
 * count them against a loop that goes through other hosts or through
 * forwarding aliases (RFC 5321 6.3). Stops counting at stop (so a
 * header of a million fields costs no more than the limit needs). */
extern unsigned int hdrscan_hops (char const *s, size_t len, unsigned int stop) ;

#endif
