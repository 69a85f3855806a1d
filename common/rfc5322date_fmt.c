/* ISC license. */

#include <string.h>
#include <time.h>
#include <skalibs/types.h>

#include "common/rfc5322date.h"

static char const days[] = "SunMonTueWedThuFriSat" ;
static char const months[] = "JanFebMarAprMayJunJulAugSepOctNovDec" ;

static size_t two (char *s, unsigned int u)
{
  s[0] = '0' + (u / 10) % 10 ;
  s[1] = '0' + u % 10 ;
  return 2 ;
}

size_t rfc5322date_fmt (char *s, time_t t)
{
  static char const epoch[] = "Thu, 1 Jan 1970 00:00:00 +0000" ;
  struct tm tm ;
  size_t n = 0 ;
  long zone ;
  if (!localtime_r(&t, &tm)
   || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11
   || tm.tm_mday < 1 || tm.tm_mday > 31
   || tm.tm_year < 0 || tm.tm_year > 9999 - 1900)
  {
    memcpy(s, epoch, sizeof(epoch)) ;
    return sizeof(epoch) - 1 ;
  }
  /* day-name "," day month year time zone, 3.3: the day without a
   * leading zero, four-digit year, hh:mm:ss, +hhmm */
  memcpy(s + n, days + 3 * tm.tm_wday, 3) ; n += 3 ;
  s[n++] = ',' ; s[n++] = ' ' ;
  n += uint_fmt(s + n, (unsigned int)tm.tm_mday) ;
  s[n++] = ' ' ;
  memcpy(s + n, months + 3 * tm.tm_mon, 3) ; n += 3 ;
  s[n++] = ' ' ;
  n += uint_fmt(s + n, (unsigned int)tm.tm_year + 1900) ;
  s[n++] = ' ' ;
  n += two(s + n, (unsigned int)tm.tm_hour) ; s[n++] = ':' ;
  n += two(s + n, (unsigned int)tm.tm_min) ; s[n++] = ':' ;
  n += two(s + n, (unsigned int)tm.tm_sec) ;
  s[n++] = ' ' ;
  /* tm_gmtoff is whole minutes in every zone in use; a zone beyond
   * 99:59 cannot be written, and does not exist */
  zone = tm.tm_gmtoff / 60 ;
  s[n++] = zone < 0 ? '-' : '+' ;
  if (zone < 0) zone = -zone ;
  if (zone > 99 * 60 + 59) zone = 0 ;
  n += two(s + n, (unsigned int)(zone / 60)) ;
  n += two(s + n, (unsigned int)(zone % 60)) ;
  s[n] = 0 ;
  return n ;
}
