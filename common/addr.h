/* ISC license. */

#ifndef POSTHASTE_ADDR_H
#define POSTHASTE_ADDR_H

/* RFC 5321 section 4.1.2 paths and mailboxes, with RFC 6531 (SMTPUTF8)
 * extensions: quoted local parts, address literals ([1.2.3.4],
 * [IPv6:...]), the obsolete source route (accepted and discarded,
 * section C / 4.1.2), and UTF-8 in local part and domain when allowed. */

#include <stddef.h>

#define ADDR_LOCAL_MAX 64     /* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255   /* 4.5.3.1.2 */
#define ADDR_PATH_MAX 256     /* 4.5.3.1.3, without the angle brackets */

#define ADDR_EMPTY_OK 0x01    /* "<>" is valid (reverse-path) */
#define ADDR_UTF8_OK 0x02     /* SMTPUTF8 was negotiated */
#define ADDR_POSTMASTER_OK 0x04 /* bare "<Postmaster>" is valid (forward-path) */
#define ADDR_LIMITS_LAX 0x08  /* do not enforce the 64/255 octet limits */

typedef struct mailaddr_s mailaddr, *mailaddr_ref ;
struct mailaddr_s
{
  /* The mailbox in canonical text form: local@domain, the local part
   * quoted only if it is not a dot-string, the domain as received
   * (case kept). Empty for the null path. NUL-terminated. */
  char s[ADDR_PATH_MAX + 3] ;
  size_t len ;
  size_t at ;            /* index of '@' (len when null path or bare postmaster) */
  unsigned int utf8 : 1 ;    /* contains octets >= 0x80 */
  unsigned int literal : 1 ; /* domain is an address literal */
} ;

/* Parses "<path>" at the start of s[0..len). Returns the number of bytes
 * consumed (through the '>'), or 0 on a syntax error (errno EINVAL, or
 * ENAMETOOLONG for an over-long part, or EILSEQ for UTF-8 when not
 * allowed or malformed). */
extern size_t addr_parse_path (char const *s, size_t len, mailaddr *a, unsigned int flags) ;

/* Parses a bare mailbox "local@domain" filling the whole of s[0..len).
 * Returns 1, or 0 with errno as above. */
extern int addr_parse_mailbox (char const *s, size_t len, mailaddr *a, unsigned int flags) ;

/* Writes the lookup key of a: the canonical form lower-cased (ASCII
 * letters only; UTF-8 octets kept as they are), into buf (at least
 * ADDR_PATH_MAX + 3 bytes). Returns its length. */
extern size_t addr_key (mailaddr const *a, char *buf) ;

/* Is s[0..len) a valid domain name (RFC 5321 Domain, or U-label UTF-8
 * when utf8 is set)? */
extern int addr_domain_valid (char const *s, size_t len, int utf8) ;

#endif
