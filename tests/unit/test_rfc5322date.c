/* ISC license. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rfc5322date.h"
#include "tests/unit/check.h"

static int is (time_t t, char const *want)
{
  char s[RFC5322DATE_FMT] ;
  size_t n = rfc5322date_fmt(s, t) ;
  if (n != strlen(want) || strcmp(s, want)) { printf("# got \"%s\", want \"%s\"\n", s, want) ; return 0 ; }
  return 1 ;
}

int main (void)
{
  setenv("TZ", "UTC", 1) ; tzset() ;
  CHECK(is(0, "Thu, 1 Jan 1970 00:00:00 +0000"), "epoch_utc") ;
  CHECK(is(1057049557, "Tue, 1 Jul 2003 08:52:37 +0000"), "day_without_leading_zero") ;
  CHECK(is(1735689599, "Tue, 31 Dec 2024 23:59:59 +0000"), "end_of_year") ;
  setenv("TZ", "Europe/Paris", 1) ; tzset() ;
  CHECK(is(1057049557, "Tue, 1 Jul 2003 10:52:37 +0200"), "summer_zone_east") ;
  CHECK(is(1735689599, "Wed, 1 Jan 2025 00:59:59 +0100"), "winter_zone_crosses_day") ;
  setenv("TZ", "America/St_Johns", 1) ; tzset() ;
  CHECK(is(1735689599, "Tue, 31 Dec 2024 20:29:59 -0330"), "negative_half_hour_zone") ;
  setenv("TZ", "UTC", 1) ; tzset() ;
  {
    /* a year beyond 9999 cannot be written: a well-formed fallback */
    time_t far = (time_t)400000000000LL ;
    CHECK(is(far, "Thu, 1 Jan 1970 00:00:00 +0000"), "unwritable_year_falls_back") ;
  }
  {
    char s[RFC5322DATE_FMT] ;
    size_t n = rfc5322date_fmt(s, (time_t)253402300799LL) ;   /* 9999-12-31 23:59:59 */
    CHECK(n < RFC5322DATE_FMT && !strcmp(s, "Fri, 31 Dec 9999 23:59:59 +0000"), "longest_fits") ;
  }
  return check_done() ;
}
