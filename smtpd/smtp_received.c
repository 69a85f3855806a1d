/* ISC license. */

#include <string.h>
#include <time.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "smtp_received.h"

static char const *const days[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" } ;
static char const *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" } ;

static size_t two (char *s, unsigned int u)
{
  s[0] = '0' + (u / 10) % 10 ;
  s[1] = '0' + u % 10 ;
  return 2 ;
}

size_t smtp_rfc5322_date (char *s, time_t t)
{
  struct tm tm ;
  size_t n = 0 ;
  long off ;
  if (!localtime_r(&t, &tm)) return 0 ;
  if (tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) return 0 ;
  memcpy(s + n, days[tm.tm_wday], 3) ; n += 3 ;
  s[n++] = ',' ; s[n++] = ' ' ;
  n += uint_fmt(s + n, (unsigned int)tm.tm_mday) ;
  s[n++] = ' ' ;
  memcpy(s + n, months[tm.tm_mon], 3) ; n += 3 ;
  s[n++] = ' ' ;
  n += uint_fmt(s + n, (unsigned int)(tm.tm_year + 1900)) ;
  s[n++] = ' ' ;
  n += two(s + n, (unsigned int)tm.tm_hour) ; s[n++] = ':' ;
  n += two(s + n, (unsigned int)tm.tm_min) ; s[n++] = ':' ;
  n += two(s + n, (unsigned int)tm.tm_sec) ;
  s[n++] = ' ' ;
  off = tm.tm_gmtoff / 60 ;
  s[n++] = off < 0 ? '-' : '+' ;
  if (off < 0) off = -off ;
  n += two(s + n, (unsigned int)(off / 60)) ;
  n += two(s + n, (unsigned int)(off % 60)) ;
  return n ;
}

/* Host names and addresses come from the environment and from DNS:
 * keep only what a domain or an address may hold, so nothing can break
 * out of the comment. */
static int cats_clean (stralloc *sa, char const *s)
{
  for (; *s ; s++)
  {
    char c = *s ;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == ':' ;
    if (!stralloc_catb(sa, ok ? &c : "?", 1)) return 0 ;
  }
  return 1 ;
}

int smtp_received_build (stralloc *sa, smtp_received const *r)
{
  char date[40] ;
  size_t datelen = smtp_rfc5322_date(date, r->when) ;
  size_t base = sa->len ;
  if (!datelen) memcpy(date, "Thu, 1 Jan 1970 00:00:00 +0000", (datelen = 30)) ;
  if (!stralloc_cats(sa, "Received: from ")
   || !stralloc_cats(sa, r->helo)
   || !stralloc_cats(sa, " (")
   || !cats_clean(sa, r->rdns ? r->rdns : "unknown")
   || (r->ip && (!stralloc_cats(sa, strchr(r->ip, ':') ? " [IPv6:" : " [")
                 || !cats_clean(sa, r->ip)
                 || !stralloc_catb(sa, "]", 1)))
   || !stralloc_cats(sa, ")\n\t")) goto err ;
  if (r->tlsproto)
  {
    if (!stralloc_cats(sa, "(using ")
     || !cats_clean(sa, r->tlsproto)
     || !stralloc_cats(sa, " with cipher ")
     || !cats_clean(sa, r->tlscipher ? r->tlscipher : "unknown")) goto err ;
    if (r->tlsbits)
    {
      char fmt[UINT_FMT] ;
      if (!stralloc_cats(sa, " (")
       || !stralloc_catb(sa, fmt, uint_fmt(fmt, r->tlsbits))
       || !stralloc_catb(sa, "/", 1)
       || !stralloc_catb(sa, fmt, uint_fmt(fmt, r->tlsalgbits ? r->tlsalgbits : r->tlsbits))
       || !stralloc_cats(sa, " bits)")) goto err ;
    }
    if (!stralloc_cats(sa, ")\n\t")) goto err ;
  }
  if (!stralloc_cats(sa, "by ")
   || !cats_clean(sa, r->host)
   || !stralloc_cats(sa, " (posthaste) with ")
   || !stralloc_cats(sa, r->proto)
   || !stralloc_cats(sa, " id ")
   || !cats_clean(sa, r->id)) goto err ;
  if (r->rcpt)
  {
    if (!stralloc_cats(sa, "\n\tfor <")
     || !stralloc_cats(sa, r->rcpt)
     || !stralloc_cats(sa, ">; ")) goto err ;
  }
  else if (!stralloc_cats(sa, ";\n\t")) goto err ;
  if (!stralloc_catb(sa, date, datelen) || !stralloc_catb(sa, "\n", 1)) goto err ;
  return 1 ;
 err:
  sa->len = base ;
  return 0 ;
}
