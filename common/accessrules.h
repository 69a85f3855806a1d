/* ISC license. */

#ifndef POSTHASTE_ACCESSRULES_H
#define POSTHASTE_ACCESSRULES_H

/* Client-address rules kept in cdb files (docs/internals.md, Compiled maps):
 * access.cdb in s6-accessrules-cdb-from-fs's format, and bans.cdb.
 *
 * Keys are s6-accessrules' IP keys: "ip4/<addr>_<bits>" or
 * "ip6/<addr>_<bits>", the address masked to its first <bits> bits.
 * An IPv4 address is dotted decimal; an IPv6 address is written as skalibs'
 * ip6_fmt writes it, which is RFC 5952's text form without the dotted-quad
 * ending: lower-case hex, no leading zeros in a group, the longest run of
 * two or more zero groups (the first one if tied) written "::".
 * Examples: "ip4/192.0.2.0_24", "ip6/2001:db8::_32", "ip6/::1_128",
 * "ip6/::_0". Lookups go from the full address (/32, /128) down to /0.
 *
 * Nothing here allocates; results point into the cdb's map and are valid
 * while the map is. */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/cdb.h>
#include <skalibs/ip46.h>

/* "ip6/" + address + "_" + "128" */
#define ACCESSRULES_KEY_MAX (4 + IP6_FMT + 4)

/* Writes the key of ip masked to its first bits bits (at most 32 or 128)
 * into s, which has room for ACCESSRULES_KEY_MAX bytes; not NUL-terminated.
 * Returns its length. */
extern size_t accessrules_key (char *s, ip46 const *ip, unsigned int bits) ;

/* access.cdb values, as s6-accessrules-cdb-from-fs writes them:
 *   "D"                                          deny
 *   "A" envlen(u16 big-endian) env execlen(u16 big-endian) exec
 * env is "NAME=VALUE\0" or "NAME\0" (unset) records; exec, when not empty,
 * is an execline script that replaces the program. */
typedef struct accessrule_s accessrule, *accessrule_ref ;
struct accessrule_s
{
  unsigned int bits ;  /* prefix length of the key that matched */
  char const *env ;
  size_t envlen ;
  char const *exec ;
  size_t execlen ;
} ;
#define ACCESSRULE_ZERO { .bits = 0, .env = 0, .envlen = 0, .exec = 0, .execlen = 0 }

#define ACCESSRULES_NOMATCH 0
#define ACCESSRULES_ALLOW 1
#define ACCESSRULES_DENY 2
#define ACCESSRULES_BADRECORD 3  /* a malformed value: callers deny */

/* Checks one value. Returns ACCESSRULES_ALLOW (and fills env/exec),
 * ACCESSRULES_DENY or ACCESSRULES_BADRECORD. Every length is checked
 * against len; the env must be a list of NUL-terminated, non-empty
 * records not starting with '='; the exec may not contain a NUL. */
extern int accessrules_parse (char const *s, size_t len, accessrule *) ;

/* Looks ip up in c from the most specific key down to /0; the first key
 * found decides. Returns ACCESSRULES_NOMATCH, ACCESSRULES_ALLOW,
 * ACCESSRULES_DENY, ACCESSRULES_BADRECORD (r->bits tells which key), or
 * -1 if the cdb itself is corrupt (errno EPROTO). */
extern int accessrules_check (cdb const *c, ip46 const *ip, accessrule *r) ;

/* bans.cdb values: the decimal Unix time at which the ban ends, "0" for a
 * permanent ban; a ban whose end is at or before now is ignored. */
typedef struct ban_s ban, *ban_ref ;
struct ban_s
{
  unsigned int bits ;  /* prefix length of the ban that applies */
  uint64_t until ;     /* 0: permanent */
} ;

#define BANS_NONE 0
#define BANS_BANNED 1
#define BANS_BADRECORD 2  /* a value that is not a decimal number: callers deny */

/* Parses a ban value. Returns 1 and sets *until, or 0 if malformed. */
extern int bans_parse (char const *s, size_t len, uint64_t *until) ;

/* Unlike access rules, every prefix is checked: an expired ban on a /32
 * must not hide a live one on its /24. Returns BANS_BANNED with the most
 * specific live ban in *b, BANS_NONE, BANS_BADRECORD (b->bits tells which
 * key), or -1 if the cdb itself is corrupt (errno EPROTO). */
extern int bans_check (cdb const *c, ip46 const *ip, uint64_t now, ban *b) ;

#endif
