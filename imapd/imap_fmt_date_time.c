/* ISC license. */

/* date-day-fixed "-" date-month "-" date-year SP time SP zone, the
 * inside of RFC 9051 date-time: " 7-Jul-1996 02:44:25 -0700" (the
 * DQUOTEs are the caller's, as the header's example shows). */

#include <skalibs/stralloc.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

static void two (char *p, unsigned int v)
{
  p[0] = '0' + v / 10 ;
  p[1] = '0' + v % 10 ;
}

int imap_fmt_date_time (stralloc *sa, int64_t t, int tzmin)
{
  char out[26] ;
  int64_t local, days, secs, y ;
  unsigned int m, d, z ;
  if (tzmin < -1439 || tzmin > 1439) tzmin = 0 ;
  /* years 0001 to 9999 only: date-year is 4DIGIT */
  if (t < INT64_C(-62135596800) + 86400) t = INT64_C(-62135596800) + 86400 ;
  if (t > INT64_C(253402300799) - 86400) t = INT64_C(253402300799) - 86400 ;
  local = t + (int64_t)tzmin * 60 ;
  days = local / 86400 ;
  secs = local % 86400 ;
  if (secs < 0) { secs += 86400 ; days-- ; }
  imap_civil_from_days(days, &y, &m, &d) ;
  if (d < 10) { out[0] = ' ' ; out[1] = '0' + d ; } else two(out, d) ;
  out[2] = '-' ;
  out[3] = imap_month_names[m - 1][0] ;
  out[4] = imap_month_names[m - 1][1] ;
  out[5] = imap_month_names[m - 1][2] ;
  out[6] = '-' ;
  two(out + 7, (unsigned int)(y / 100)) ;
  two(out + 9, (unsigned int)(y % 100)) ;
  out[11] = ' ' ;
  two(out + 12, (unsigned int)(secs / 3600)) ;
  out[14] = ':' ;
  two(out + 15, (unsigned int)(secs / 60 % 60)) ;
  out[17] = ':' ;
  two(out + 18, (unsigned int)(secs % 60)) ;
  out[20] = ' ' ;
  out[21] = tzmin < 0 ? '-' : '+' ;
  z = (unsigned int)(tzmin < 0 ? -tzmin : tzmin) ;
  two(out + 22, z / 60) ;
  two(out + 24, z % 60) ;
  return stralloc_catb(sa, out, 26) ;
}
