/* ISC license. */

#ifndef POSTHASTE_ADDR_INTERNAL_H
#define POSTHASTE_ADDR_INTERNAL_H

#include <stddef.h>

#include "common/addr.h"

/* Scanners shared by the addr_* functions. Each reads from the start of
 * s[0..len), stops before the first octet that cannot continue what it
 * scans, and returns the number of octets it took, or 0 with errno
 * (EINVAL syntax, ENAMETOOLONG too long, EILSEQ bad or forbidden UTF-8). */

/* RFC 3629 UTF8-non-ascii at s: its length (2 to 4), or 0 if s does not
 * start a well-formed sequence (overlong forms, surrogates and code
 * points above U+10FFFF are malformed). */
extern size_t addr_utf8_seq (char const *s, size_t len) ;

/* RFC 5321 4.1.2 atext (RFC 5322 3.2.3) for one ASCII octet. */
extern int addr_is_atext (unsigned char c) ;

/* A non-ASCII octet where RFC 6531 allows UTF8-non-ascii: the length of
 * the sequence, or 0 with EILSEQ if utf8 is not allowed or malformed. */
extern size_t addr_utf8_at (char const *s, size_t len, unsigned int flags) ;

/* Domain = sub-domain *("." sub-domain), U-labels with ADDR_UTF8_OK. */
extern size_t addr_scan_domain (char const *s, size_t len, unsigned int flags) ;

/* address-literal = "[" ( IPv4 / IPv6 / General-address-literal ) "]" */
extern size_t addr_scan_literal (char const *s, size_t len, unsigned int flags) ;

/* RFC 5321 4.1.3 IPv4-address-literal / IPv6-addr, the whole of s. */
extern int addr_ip4_valid (char const *s, size_t len) ;
extern int addr_ip6_valid (char const *s, size_t len) ;

/* Mailbox = Local-part "@" ( Domain / address-literal ), written to a
 * in canonical form. */
extern size_t addr_scan_mailbox (char const *s, size_t len, mailaddr *a, unsigned int flags) ;

#endif
