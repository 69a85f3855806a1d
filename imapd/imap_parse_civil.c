/* ISC license. */

/* Proleptic Gregorian calendar arithmetic in days since 1970-01-01 (the
 * well-known era-based method: 400-year eras of 146097 days). */

#include "imapd/imap_parse-internal.h"

char const imap_month_names[12][4] =
{
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
} ;

int64_t imap_days_from_civil (int64_t y, unsigned int m, unsigned int d)
{
  int64_t era, yoe, doy, doe ;
  if (m <= 2) y-- ;
  era = (y >= 0 ? y : y - 399) / 400 ;
  yoe = y - era * 400 ;
  doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1 ;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy ;
  return era * 146097 + doe - 719468 ;
}

void imap_civil_from_days (int64_t days, int64_t *y, unsigned int *m, unsigned int *d)
{
  int64_t z = days + 719468 ;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097 ;
  int64_t doe = z - era * 146097 ;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365 ;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100) ;
  int64_t mp = (5 * doy + 2) / 153 ;
  *d = (unsigned int)(doy - (153 * mp + 2) / 5 + 1) ;
  *m = (unsigned int)(mp < 10 ? mp + 3 : mp - 9) ;
  *y = yoe + era * 400 + (*m <= 2) ;
}
