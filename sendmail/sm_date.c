/* ISC license. */

#include <time.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "sendmail.h"

/* RFC 5322 3.3 date-time in local time with its numeric zone:
 * "Fri, 27 Nov 2026 19:47:15 +0100". */

static char const days[] = "SunMonTueWedThuFriSat" ;
static char const months[] = "JanFebMarAprMayJunJulAugSepOctNovDec" ;

static int cat2 (stralloc *sa, unsigned int u)
{
  char s[2] = { '0' + (u / 10) % 10, '0' + u % 10 } ;
  return stralloc_catb(sa, s, 2) ;
}

int sm_date (stralloc *sa, time_t t)
{
  struct tm tm ;
  char fmt[UINT_FMT] ;
  long zone ;
  if (!localtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_year < 0 || tm.tm_year > 9999 - 1900)
  {
    /* an unusable clock still gives a well-formed header */
    return stralloc_cats(sa, "Thu, 1 Jan 1970 00:00:00 +0000") ;
  }
  zone = tm.tm_gmtoff / 60 ;
  return stralloc_catb(sa, days + 3 * tm.tm_wday, 3)
   && stralloc_catb(sa, ", ", 2)
   && stralloc_catb(sa, fmt, uint_fmt(fmt, (unsigned int)tm.tm_mday))
   && stralloc_catb(sa, " ", 1)
   && stralloc_catb(sa, months + 3 * tm.tm_mon, 3)
   && stralloc_catb(sa, " ", 1)
   && stralloc_catb(sa, fmt, uint_fmt(fmt, (unsigned int)tm.tm_year + 1900))
   && stralloc_catb(sa, " ", 1)
   && cat2(sa, tm.tm_hour) && stralloc_catb(sa, ":", 1)
   && cat2(sa, tm.tm_min) && stralloc_catb(sa, ":", 1)
   && cat2(sa, tm.tm_sec)
   && stralloc_catb(sa, zone < 0 ? " -" : " +", 2)
   && cat2(sa, (unsigned int)((zone < 0 ? -zone : zone) / 60))
   && cat2(sa, (unsigned int)((zone < 0 ? -zone : zone) % 60)) ;
}
