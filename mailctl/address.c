/* ISC license. */

#include <string.h>

#include "common/addr.h"
#include "mailctl.h"

/* Beyond RFC 5321 syntax (common/addr.h), mailctl refuses what would be
 * unsafe or ambiguous in the files and maps it writes:
 * - quoted local parts and address literals: docker-mailserver never
 *   makes them, and a quoted string may hold spaces, commas or '|',
 *   which are separators in postfix-virtual.cf and postfix-accounts.cf;
 * - for accounts, '/' and '|' in the local part (both are atext): the
 *   local part becomes a Maildir path component (MAILROOT/domain/user)
 *   and '|' separates the fields of postfix-accounts.cf. */
size_t mc_addrkey (char const *s, size_t len, int kind, char *key, char const **why)
{
  mailaddr a ;
  if (kind == MC_ALIAS && len && s[0] == '@')
  {
    /* "@domain": docker-mailserver's catch-all alias. */
    if (len - 1 > ADDR_DOMAIN_MAX || !addr_domain_valid(s + 1, len - 1, 1))
    {
      *why = "invalid domain in catch-all alias" ;
      return 0 ;
    }
    key[0] = '@' ;
    for (size_t i = 1 ; i < len ; i++)
      key[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i] ;
    key[len] = 0 ;
    return len ;
  }
  if (!addr_parse_mailbox(s, len, &a, ADDR_UTF8_OK) || a.at >= a.len)
  {
    *why = "not a valid address (local@domain)" ;
    return 0 ;
  }
  if (a.literal)
  {
    *why = "address literals are not accepted" ;
    return 0 ;
  }
  if (a.s[0] == '"')
  {
    *why = "quoted local parts are not accepted" ;
    return 0 ;
  }
  if (kind == MC_ACCOUNT && (memchr(a.s, '/', a.at) || memchr(a.s, '|', a.at)))
  {
    *why = "'/' and '|' are not accepted in an account name" ;
    return 0 ;
  }
  return addr_key(&a, key) ;
}
