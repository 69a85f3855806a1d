/* ISC license. */

/* date = date-text / DQUOTE date-text DQUOTE,
 * date-text = date-day "-" date-month "-" date-year;
 * date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
 * (RFC 9051 §9). */

#include <strings.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

static int dig (char ch) { return ch >= '0' && ch <= '9' ; }

static unsigned int days_in_month (int64_t y, unsigned int m)
{
  static unsigned char const dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 } ;
  if (m == 2 && ((!(y % 4) && (y % 100)) || !(y % 400))) return 29 ;
  return dm[m - 1] ;
}

/* "D-Mon-YYYY" or " D-Mon-YYYY"/"DD-Mon-YYYY" (fixed) at s; returns bytes used or 0. */
static size_t date_text (char const *s, size_t len, int fixed, int64_t *days)
{
  size_t i = 0 ;
  unsigned int d = 0, m ;
  int64_t y ;
  if (fixed && len && s[0] == ' ')
  {
    if (len < 2 || !dig(s[1])) return 0 ;
    d = s[1] - '0' ;
    i = 2 ;
  }
  else
  {
    if (!len || !dig(s[0])) return 0 ;
    d = s[0] - '0' ;
    i = 1 ;
    if (i < len && dig(s[i])) d = d * 10 + (s[i++] - '0') ;
  }
  if (len - i < 9 || s[i] != '-' || s[i + 4] != '-') return 0 ;
  for (m = 0 ; m < 12 ; m++) if (!strncasecmp(s + i + 1, imap_month_names[m], 3)) break ;
  if (m == 12) return 0 ;
  m++ ;
  i += 5 ;
  if (!dig(s[i]) || !dig(s[i + 1]) || !dig(s[i + 2]) || !dig(s[i + 3])) return 0 ;
  y = (s[i] - '0') * 1000 + (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0') ;
  i += 4 ;
  if (!d || d > days_in_month(y, m)) return 0 ;
  *days = imap_days_from_civil(y, m, d) ;
  return i ;
}

int imap_date (imap_cursor *c, int64_t *day)
{
  int quoted = c->pos < c->len && c->s[c->pos] == '"' ;
  size_t start = c->pos + quoted ;
  size_t n ;
  int64_t days ;
  if (start > c->len) return imap_fail(c, "Invalid date") ;
  n = date_text(c->s + start, c->len - start, 0, &days) ;
  if (!n) return imap_fail(c, "Invalid date") ;
  if (quoted)
  {
    if (start + n >= c->len || c->s[start + n] != '"') return imap_fail(c, "Invalid date") ;
    n++ ;
  }
  c->pos = start + n ;
  *day = days * 86400 ;
  return 1 ;
}

int imap_date_time (imap_cursor *c, int64_t *t)
{
  char const *s = c->s + c->pos ;
  size_t len = c->len - c->pos ;
  size_t n ;
  int64_t days ;
  unsigned int hh, mm, ss, zh, zm ;
  int64_t zone ;
  if (!len || s[0] != '"') return imap_fail(c, "Invalid date-time") ;
  n = date_text(s + 1, len - 1, 1, &days) ;
  if (!n) return imap_fail(c, "Invalid date-time") ;
  s += 1 + n ;
  len -= 1 + n ;
  /* SP HH:MM:SS SP (+|-)HHMM DQUOTE */
  if (len < 16 || s[0] != ' ' || s[3] != ':' || s[6] != ':' || s[9] != ' ' || (s[10] != '+' && s[10] != '-') || s[15] != '"')
    return imap_fail(c, "Invalid date-time") ;
  if (!dig(s[1]) || !dig(s[2]) || !dig(s[4]) || !dig(s[5]) || !dig(s[7]) || !dig(s[8])
   || !dig(s[11]) || !dig(s[12]) || !dig(s[13]) || !dig(s[14]))
    return imap_fail(c, "Invalid date-time") ;
  hh = (s[1] - '0') * 10 + (s[2] - '0') ;
  mm = (s[4] - '0') * 10 + (s[5] - '0') ;
  ss = (s[7] - '0') * 10 + (s[8] - '0') ;
  zh = (s[11] - '0') * 10 + (s[12] - '0') ;
  zm = (s[13] - '0') * 10 + (s[14] - '0') ;
  if (hh > 23 || mm > 59 || ss > 60 || zm > 59) return imap_fail(c, "Invalid date-time") ;
  zone = (int64_t)zh * 3600 + zm * 60 ;
  if (s[10] == '-') zone = -zone ;
  *t = days * 86400 + hh * 3600 + mm * 60 + ss - zone ;
  c->pos = (size_t)(s - c->s) + 16 ;
  return 1 ;
}
