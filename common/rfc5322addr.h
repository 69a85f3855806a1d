/* ISC license. */

#ifndef POSTHASTE_RFC5322ADDR_H
#define POSTHASTE_RFC5322ADDR_H

/* RFC 5322 section 3.4 address lists, as found in To:, Cc:, Bcc:,
 * From:, Reply-To: (and on sendmail's command line):
 *
 *   address-list = address *("," address)
 *   address      = mailbox / group
 *   group        = display-name ":" [mailbox-list / CFWS] ";"
 *   mailbox      = name-addr / addr-spec
 *   name-addr    = [display-name] "<" addr-spec ">"
 *
 * with comments and folding white space anywhere between tokens (3.2.2),
 * quoted display names and local parts, domain literals, and the
 * obsolete forms of section 4.4 that real mail still carries: empty list
 * elements (",,"), CFWS around the dots of a local part or domain, dots
 * in display names ("John Q. Public"), and source routes in angle
 * addresses ("<@relay:user@host>", the route is dropped). UTF-8 is let
 * through (RFC 6532); deciding whether a mailbox is acceptable is the
 * caller's, with common/addr.h. Display names and comments are
 * discarded: only the addr-specs come out.
 *
 * Not accepted: nested groups, a group without its ";", "<>" , control
 * characters (TAB excepted), a CR or LF that is not part of a fold, and
 * anything that leaves tokens over. */

#include <stddef.h>

#define RFC5322ADDR_MAX 1024        /* one addr-spec, CFWS removed */

#define RFC5322ADDR_BARE_OK 0x01    /* a local part without "@domain" is
                                     * a mailbox (sendmail qualifies it) */

typedef struct rfc5322addr_s rfc5322addr, *rfc5322addr_ref ;
struct rfc5322addr_s
{
  /* The addr-spec with comments and folding removed: local part as
   * written (atoms and quoted strings joined by dots), "@", domain (dot
   * atoms or a domain literal). NUL-terminated. */
  char s[RFC5322ADDR_MAX + 1] ;
  size_t len ;
  size_t at ;                   /* index of the '@', len if bare */
  unsigned int ingroup : 1 ;    /* a member of a group */
} ;

/* Called for each mailbox in order; returns 1 to go on, 0 to stop (with
 * errno set). */
typedef int rfc5322addr_func (rfc5322addr const *, void *) ;

/* Parses s[0..len) as an address-list (an empty list is fine) and calls
 * f for each mailbox. Returns 1; 0 on a syntax error (errno EINVAL, or
 * ENAMETOOLONG for an addr-spec over RFC5322ADDR_MAX), after f may have
 * been called for the mailboxes before it; -1 if f returned 0. */
extern int rfc5322addr_parse (char const *s, size_t len, unsigned int flags, rfc5322addr_func *f, void *ctx) ;

#endif
