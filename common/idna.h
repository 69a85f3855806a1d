/* ISC license. */

#ifndef POSTHASTE_IDNA_H
#define POSTHASTE_IDNA_H

/* A whole domain name to its A-label form (RFC 5890 2.3.2.1, RFC 5891
 * 4.4): every label holding a non-ASCII byte (a U-label) becomes
 * "xn--" and its punycode (common/psl.h's psl_punycode, RFC 3492);
 * ASCII labels are copied as they are (only a control byte in one is
 * refused: the caller checks host-name syntax). This is what DNS lookups and
 * SMTP without SMTPUTF8 need (RFC 6531 3.2).
 *
 * The checks a mail transfer agent can make without Unicode tables
 * (RFC 5891 4.2.3.1 and 5.4): well-formed UTF-8 (no overlong form, no
 * surrogate, nothing over U+10FFFF), no C0 or C1 control, ASCII in a
 * U-label only letters, digits and hyphens (letters lower-cased, the
 * ASCII part of the RFC 5895 mapping), no hyphen first or last, no
 * "--" in the third and fourth positions, an A-label of at most 63
 * octets, a name of at most IDNA_NAME_MAX. NFC and the code point
 * categories of RFC 5892 are left to the registries and the DNS: a name
 * they would refuse simply does not resolve. */

#include <stddef.h>

#define IDNA_NAME_MAX 253
#define IDNA_LABEL_MAX 63

/* Converts s[0..len) into out (room for max bytes, NUL included).
 * Returns the length written, or 0 with *why set to a short static
 * reason ("invalid UTF-8 in a label", ...). */
extern size_t idna_domain_to_ascii (char const *s, size_t len, char *out, size_t max, char const **why) ;

/* 1 if s[0..len) has a byte over 127. */
extern int idna_has_nonascii (char const *s, size_t len) ;

#endif
