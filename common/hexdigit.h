/* ISC license. */

#ifndef POSTHASTE_HEXDIGIT_H
#define POSTHASTE_HEXDIGIT_H

/* Hexadecimal digits as the escapes of mail and the web spell them
 * (quoted-printable =XX, RFC 2231 and URL %XX, xtext +XX, \xXX, RFC 6533
 * \x{...}): either case, as RFC 5234 2.3 reads HEXDIG. */

/* The digit's value, or -1. */
extern int hex_digit (char c) ;

/* The byte the two digits at s spell, or -1; s[1] is read only when
 * s[0] is a digit, so a pair cut by a terminating NUL is safe. */
extern int hex_pair (char const *s) ;

#endif
