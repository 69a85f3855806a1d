/* ISC license. */

#ifndef POSTHASTE_SUB_OWNER_H
#define POSTHASTE_SUB_OWNER_H

/* Sender ownership for SPOOF_PROTECTION=1, docker-mailserver's sender
 * login map (Postfix smtpd_sender_login_maps = the virtual alias table
 * plus "every address owns itself"): an authenticated login may send as
 *   - its own address, also with a tag (demo+news@ for demo@, the tag
 *     starting at a PH_RECIPIENT_DELIMITER character, as in delivery);
 *   - an alias whose targets include the login (aliases.cdb: the exact
 *     address, then the address without its tag), one level deep, as
 *     Postfix looks a sender up once.
 * A catch-all alias (@domain) gives no address to its targets: it
 * receives for a whole domain, it does not let anyone send as all of
 * it. Comparisons are on lookup keys (addr_key: ASCII lower-cased). */

#include <stddef.h>

#include "common/cdbmap.h"

/* Does login own key[0..keylen)? 1 yes, 0 no, -1 lookup error (errno). */
extern int sub_owns (cdbmap *aliases, char const *delims, char const *login, char const *key, size_t keylen) ;

#endif
