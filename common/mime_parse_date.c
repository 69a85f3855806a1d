/* ISC license. */

/* RFC 5322 §3.3 date-time with the obsolete forms of §4.3 that mail
 * still carries: comments and folding anywhere, two- and three-digit
 * years (§4.3: 00-49 are 2000-2049, 50-99 and three digits add 1900),
 * the US and military zone names (military ones count as -0000, as §4.3
 * says they cannot be trusted), a missing day-of-week comma, dots or
 * missing seconds in the time. A missing zone is taken as UTC. */

#include <string.h>
#include <skalibs/bytestr.h>
#include "common/mime.h"
#include "common/mime-internal.h"

static size_t skip (char const *s, size_t len, size_t pos)
{
  for (;;)
  {
    size_t p = mime_skip_cfws(s, len, pos) ;
    if (p < len && s[p] == ',') { pos = p + 1 ; continue ; }
    return p ;
  }
}

static size_t digits (char const *s, size_t len, size_t pos, unsigned int max, unsigned int *v, unsigned int *n)
{
  *v = 0 ; *n = 0 ;
  while (pos < len && s[pos] >= '0' && s[pos] <= '9' && *n < max) { *v = *v * 10 + (s[pos] - '0') ; pos++ ; (*n)++ ; }
  return pos ;
}

static size_t word (char const *s, size_t len, size_t pos, size_t *wlen)
{
  size_t e = pos ;
  while (e < len && ((s[e] | 0x20) >= 'a' && (s[e] | 0x20) <= 'z')) e++ ;
  *wlen = e - pos ;
  return e ;
}

static int64_t days_from_civil (int64_t y, unsigned int m, unsigned int d)
{
  /* proleptic Gregorian days since 1970-01-01 */
  int64_t era ;
  unsigned int yoe, doy, doe ;
  y -= m <= 2 ;
  era = (y >= 0 ? y : y - 399) / 400 ;
  yoe = (unsigned int)(y - era * 400) ;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1 ;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy ;
  return era * 146097 + (int64_t)doe - 719468 ;
}

static int zone_name (char const *s, size_t n, int *tz)
{
  static struct { char const *name ; int minutes ; } const z[] =
  {
    { "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
    { "est", -300 }, { "edt", -240 }, { "cst", -360 }, { "cdt", -300 },
    { "mst", -420 }, { "mdt", -360 }, { "pst", -480 }, { "pdt", -420 }
  } ;
  for (unsigned int i = 0 ; i < sizeof(z) / sizeof(z[0]) ; i++)
    if (strlen(z[i].name) == n && !case_diffb(s, n, z[i].name)) { *tz = z[i].minutes ; return 1 ; }
  if (n == 1 && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z' && (s[0] | 0x20) != 'j')) { *tz = 0 ; return 1 ; }
  return 0 ;
}

int mime_parse_date (char const *v, size_t vlen, int64_t *t, int *tz)
{
  static char const months[] = "janfebmaraprmayjunjulaugsepoctnovdec" ;
  unsigned int day, month = 0, year, hour, minute, second = 0, n ;
  int zone = 0 ;
  size_t pos = skip(v, vlen, 0), wl ;
  size_t e = word(v, vlen, pos, &wl) ;
  if (wl) pos = skip(v, vlen, e) ;    /* day-of-week, not checked */
  pos = digits(v, vlen, pos, 2, &day, &n) ;
  if (!n || !day || day > 31) return 0 ;
  pos = skip(v, vlen, pos) ;
  if (pos < vlen && v[pos] == '-') pos++ ;   /* "13-Feb-1969" */
  e = word(v, vlen, pos, &wl) ;
  if (wl < 3) return 0 ;
  for (unsigned int i = 0 ; i < 12 ; i++)
    if (!case_diffb(v + pos, 3, months + 3 * i)) { month = i + 1 ; break ; }
  if (!month) return 0 ;
  pos = skip(v, vlen, e) ;
  if (pos < vlen && v[pos] == '-') pos++ ;
  pos = digits(v, vlen, pos, 4, &year, &n) ;
  if (n < 2) return 0 ;
  if (n == 2) year += year < 50 ? 2000 : 1900 ;
  else if (n == 3) year += 1900 ;
  pos = skip(v, vlen, pos) ;
  pos = digits(v, vlen, pos, 2, &hour, &n) ;
  if (!n || hour > 23) return 0 ;
  pos = skip(v, vlen, pos) ;
  if (pos >= vlen || (v[pos] != ':' && v[pos] != '.')) return 0 ;
  pos = skip(v, vlen, pos + 1) ;
  pos = digits(v, vlen, pos, 2, &minute, &n) ;
  if (!n || minute > 59) return 0 ;
  pos = skip(v, vlen, pos) ;
  if (pos < vlen && (v[pos] == ':' || v[pos] == '.'))
  {
    pos = skip(v, vlen, pos + 1) ;
    pos = digits(v, vlen, pos, 2, &second, &n) ;
    if (!n || second > 60) return 0 ;
    pos = skip(v, vlen, pos) ;
  }
  if (pos < vlen && (v[pos] == '+' || v[pos] == '-'))
  {
    unsigned int z ;
    int neg = v[pos] == '-' ;
    e = digits(v, vlen, pos + 1, 4, &z, &n) ;
    if (n == 4 && z % 100 < 60) zone = (neg ? -1 : 1) * (int)(z / 100 * 60 + z % 100) ;
  }
  else
  {
    e = word(v, vlen, pos, &wl) ;
    if (wl) zone_name(v + pos, wl, &zone) ;
  }
  if (day > 31) return 0 ;
  *t = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + (second > 59 ? 59 : second) - (int64_t)zone * 60 ;
  *tz = zone ;
  return 1 ;
}
