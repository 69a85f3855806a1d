/* ISC license. */

#include <string.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/mtasts.h"

#define MAX_AGE_MAX 31557600   /* RFC 8461 §3.2: one year at most */

static int cats (stralloc *sa, char const *s)
{
  return stralloc_cats(sa, s) ;
}

/* One "mx:" line; a name, or a "*." pattern matching one label (§4.1). */
static int mx_line (stralloc *sa, char const *name, size_t n)
{
  size_t skip = n > 2 && name[0] == '*' && name[1] == '.' ? 2 : 0 ;
  if (!n || n > 253 || !addr_domain_valid(name + skip, n - skip, 0)) return -1 ;
  if (!cats(sa, "mx: ") || !stralloc_catb(sa, name, n) || !cats(sa, "\r\n")) return 0 ;
  return 1 ;
}

int mtasts_policy (stralloc *sa, char const *host, char const **why)
{
  char const *mode = config_get_default("PH_MTA_STS_MODE", "testing") ;
  char const *mx = config_get("PH_MTA_STS_MX") ;
  char fmt[UINT64_FMT] ;
  uint64_t max_age ;
  unsigned int lines = 0 ;
  if (strcmp(mode, "testing") && strcmp(mode, "enforce") && strcmp(mode, "none"))
  {
    *why = "PH_MTA_STS_MODE must be testing, enforce or none" ;
    return -1 ;
  }
  if (!config_get_uint("PH_MTA_STS_MAX_AGE", 604800, &max_age) || max_age > MAX_AGE_MAX)
  {
    *why = "PH_MTA_STS_MAX_AGE must be a number of seconds up to 31557600" ;
    return -1 ;
  }
  if (!cats(sa, "version: STSv1\r\nmode: ") || !cats(sa, mode) || !cats(sa, "\r\n")) return 0 ;
  if (!mx) mx = host ;
  for (;;)
  {
    size_t n ;
    int r ;
    while (*mx == ',' || *mx == ' ') mx++ ;
    n = strcspn(mx, ", ") ;
    if (!n) break ;
    r = mx_line(sa, mx, n) ;
    if (r <= 0)
    {
      if (r < 0) *why = "PH_MTA_STS_MX (or the host name) holds a bad name" ;
      return r ;
    }
    mx += n ;
    lines++ ;
  }
  if (!lines)   /* §3.2: at least one mx line */
  {
    *why = "PH_MTA_STS_MX (or the host name) names no MX host" ;
    return -1 ;
  }
  if (!cats(sa, "max_age: ") || !stralloc_catb(sa, fmt, uint64_fmt(fmt, max_age)) || !cats(sa, "\r\n")) return 0 ;
  return 1 ;
}
