/* ISC license. */

#include <strings.h>

#include "common/spf-internal.h"

/* RFC 7208 §4.5: a record is selected when it begins with "v=spf1"
 * (ASCII case ignored) followed by a space or nothing: "v=spf10" is
 * another version. */

int spf_record_select (char const *s, size_t len)
{
  if (len < 6 || strncasecmp(s, "v=spf1", 6)) return 0 ;
  return len == 6 || s[6] == ' ' ;
}
