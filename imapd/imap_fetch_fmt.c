/* ISC license. */

#include <string.h>
#include <time.h>
#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_fetch-internal.h"

/* Output pieces of FETCH and STORE answers (RFC 9051 §7.5.2). */

static char const *const sysflags[5] = { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft" } ;

int imap_fetch_fmt_flags (stralloc *sa, uint32_t flags, int recent, uint32_t keywords, char const *const *names, unsigned int nnames)
{
  int first = 1 ;
  if (!stralloc_catb(sa, "(", 1)) return 0 ;
  for (unsigned int i = 0 ; i < 5 ; i++) if (flags & (1u << i))
  {
    if (!first && !stralloc_catb(sa, " ", 1)) return 0 ;
    if (!stralloc_cats(sa, sysflags[i])) return 0 ;
    first = 0 ;
  }
  if (recent)
  {
    if (!first && !stralloc_catb(sa, " ", 1)) return 0 ;
    if (!stralloc_cats(sa, "\\Recent")) return 0 ;
    first = 0 ;
  }
  for (unsigned int i = 0 ; i < nnames && i < 32 ; i++) if (keywords & (1u << i))
  {
    if (!first && !stralloc_catb(sa, " ", 1)) return 0 ;
    if (!stralloc_cats(sa, names[i])) return 0 ;
    first = 0 ;
  }
  return stralloc_catb(sa, ")", 1) ;
}

static char const *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" } ;

static void two (char *s, unsigned int n)
{
  s[0] = '0' + n / 10 % 10 ;
  s[1] = '0' + n % 10 ;
}

int imap_fetch_fmt_date (stralloc *sa, int64_t t, int tzmin)
{
  /* date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE */
  char buf[40] ;
  struct tm tm ;
  time_t local = (time_t)(t + (int64_t)tzmin * 60) ;
  unsigned int z = tzmin < 0 ? (unsigned int)-tzmin : (unsigned int)tzmin ;
  if (!gmtime_r(&local, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
  {
    local = 0 ; z = 0 ; tzmin = 0 ;
    gmtime_r(&local, &tm) ;
  }
  buf[0] = '"' ;
  /* date-day-fixed allows " 8"; two digits, as Dovecot writes, suit more clients */
  buf[1] = '0' + tm.tm_mday / 10 ;
  buf[2] = '0' + tm.tm_mday % 10 ;
  buf[3] = '-' ;
  memcpy(buf + 4, months[tm.tm_mon], 3) ;
  buf[7] = '-' ;
  {
    unsigned int y = (unsigned int)(tm.tm_year + 1900) ;
    buf[8] = '0' + y / 1000 ; buf[9] = '0' + y / 100 % 10 ; buf[10] = '0' + y / 10 % 10 ; buf[11] = '0' + y % 10 ;
  }
  buf[12] = ' ' ;
  two(buf + 13, tm.tm_hour) ; buf[15] = ':' ;
  two(buf + 16, tm.tm_min) ; buf[18] = ':' ;
  two(buf + 19, tm.tm_sec) ;
  buf[21] = ' ' ;
  buf[22] = tzmin < 0 ? '-' : '+' ;
  two(buf + 23, z / 60) ;
  two(buf + 25, z % 60) ;
  buf[27] = '"' ;
  return stralloc_catb(sa, buf, 28) ;
}

int imap_fetch_fmt_literal (stralloc *sa, char const *s, size_t len, int binary)
{
  char fmt[UINT64_FMT] ;
  if (!len) return stralloc_catb(sa, "\"\"", 2) ;
  if (binary && memchr(s, 0, len) && !stralloc_catb(sa, "~", 1)) return 0 ;
  if (!(stralloc_catb(sa, "{", 1)
    && stralloc_catb(sa, fmt, uint64_fmt(fmt, len))
    && stralloc_catb(sa, "}\r\n", 3))) return 0 ;
  {
    size_t start = sa->len ;
    if (!stralloc_catb(sa, s, len)) return 0 ;
    /* A plain literal may not carry NUL (RFC 9051 §4.3, CHAR8): mail
     * that has one gets 0x80 in its place, as Dovecot sends it; only
     * BINARY's literal8 carries the byte itself. */
    if (!binary)
      for (char *p = memchr(sa->s + start, 0, len) ; p ; p = memchr(p + 1, 0, sa->s + sa->len - p - 1))
        *p = (char)0x80 ;
  }
  return 1 ;
}
