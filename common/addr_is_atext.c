/* ISC license. */

#include <string.h>

#include "common/addr-internal.h"

/* RFC 5322 3.2.3: atext = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" /
 * "'" / "*" / "+" / "-" / "/" / "=" / "?" / "^" / "_" / "`" / "{" / "|" /
 * "}" / "~" */

int addr_is_atext (unsigned char c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1 ;
  return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != 0 ;
}
