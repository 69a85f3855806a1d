/* ISC license. */

#ifndef POSTHASTE_COMMON_DSN_UTF8_H
#define POSTHASTE_COMMON_DSN_UTF8_H

/* The "utf-8" address type of RFC 6533 section 3, for the
 * Final-Recipient and Original-Recipient fields of an internationalized
 * notification (message/global-delivery-status). Two encodings of one
 * address:
 *   utf-8-addr-unitext  QUCHAR / EmbeddedUnicodeChar: UTF-8 as is;
 *   utf-8-addr-xtext    QCHAR / EmbeddedUnicodeChar: pure ASCII.
 * QCHAR is printable ASCII but '+', '=', '\'; everything else is written
 * "\x{HEX}" with the HEXPOINT digits of the ABNF: the shortest form,
 * upper case, no leading zero; of ASCII only 01-09, 10-19, 20 (space),
 * 2B ('+'), 3D ('='), 5C ('\') and 7F can be written so. The other
 * control characters (NUL, 0A-0F, 1A-1F) cannot, and no address (RFC
 * 6531 Mailbox) holds them.
 * The input comes from SMTP clients and envelopes (untrusted): both functions check every
 * byte (strict UTF-8, RFC 3629: no overlong form, no surrogate, nothing
 * above U+10FFFF), are linear in len, and leave out as it was when they
 * fail (tests/fuzz/dsn_utf8.c, tests/unit/test_dsn_utf8.c). */

#include <stddef.h>
#include <skalibs/stralloc.h>

/* Appends the utf-8-addr-unitext form (xtext = 0) or utf-8-addr-xtext
 * form (xtext = 1) of the UTF-8 address s[0..len). 1 on success; 0 with
 * EINVAL if s is empty, not UTF-8 or holds a character no HEXPOINT
 * writes, with ENOMEM if out cannot grow. */
extern int dsn_utf8addr_encode (stralloc *out, char const *s, size_t len, int xtext) ;

/* Appends the address that the utf-8-addr-unitext or utf-8-addr-xtext
 * s[0..len) encodes, in UTF-8. 0 with EINVAL if s is not exactly that
 * grammar (an EmbeddedUnicodeChar for a QCHAR, a non-shortest or
 * surrogate HEXPOINT, a raw '+' or space...), ENOMEM. */
extern int dsn_utf8addr_decode (stralloc *out, char const *s, size_t len) ;

/* 1 if dsn_utf8addr_decode would take s[0..len), else 0 with EINVAL;
 * allocates nothing. An ORCPT=utf-8;<value> of an RCPT command (RFC
 * 6533 3: unitext under SMTPUTF8, xtext without) is checked with it. */
extern int dsn_utf8addr_valid (char const *s, size_t len) ;

#endif
