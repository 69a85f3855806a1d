/* ISC license. */

#include <stddef.h>
#include <string.h>

#include "lmtp.h"

/* deliver_request answers in queued's terms (docs/internals.md,
 * Delivery): text0 records, R<addr> for forwards (lmtpd sets noforward,
 * so there are none), then one of K<enh> <text>, Z<enh> <text>,
 * D<enh> <text>. RFC 2033 4.2 wants one SMTP-style reply for the
 * recipient instead. */

/* RFC 3463 2: class "." subject "." detail, subject and detail 1 to 3
 * digits. Returns the length of the code, 0 if there is none. */
static size_t enh_scan (char const *s, size_t len, char class)
{
  size_t i = 0 ;
  if (len < 5 || s[0] != class || s[1] != '.') return 0 ;
  i = 2 ;
  for (unsigned int part = 0 ; part < 2 ; part++)
  {
    size_t start = i ;
    while (i < len && i - start < 4 && s[i] >= '0' && s[i] <= '9') i++ ;
    if (i == start || i - start > 3) return 0 ;
    if (!part)
    {
      if (i >= len || s[i] != '.') return 0 ;
      i++ ;
    }
  }
  return i < len && s[i] != ' ' ? 0 : i ;
}

/* "<rcpt> " then what, cut to fit, NUL-terminated. */
static void compose (char *text, char const *rcpt, char const *a, size_t alen, char const *b, size_t blen)
{
  size_t n = 0 ;
  size_t max = LMTP_VERDICT_TEXT_MAX - 1 ;
  size_t r = strlen(rcpt) ;
  if (r > max / 2) r = max / 2 ;
  text[n++] = '<' ;
  memcpy(text + n, rcpt, r) ; n += r ;
  text[n++] = '>' ;
  text[n++] = ' ' ;
  if (alen > max - n) alen = max - n ;
  memcpy(text + n, a, alen) ; n += alen ;
  if (blen > max - n) blen = max - n ;
  memcpy(text + n, b, blen) ; n += blen ;
  text[n] = 0 ;
}

static unsigned int malformed (char const *rcpt, char *enh, char *text)
{
  static char const what[] = "local delivery gave no verdict" ;
  memcpy(enh, "4.3.0", 6) ;
  compose(text, rcpt, what, sizeof(what) - 1, "", 0) ;
  return 451 ;
}

unsigned int lmtp_verdict (char const *reply, size_t len, char const *rcpt, char const *id, char *enh, char *text)
{
  size_t i = 0 ;
  size_t last = len ;
  size_t lastlen = 0 ;
  char class ;
  size_t e ;
  char const *v ;
  /* the verdict is the last record; each record ends in NUL */
  if (!len || reply[len - 1]) return malformed(rcpt, enh, text) ;
  while (i < len)
  {
    char const *z = memchr(reply + i, 0, len - i) ;
    size_t n = (size_t)(z - (reply + i)) ;
    last = i ;
    lastlen = n ;
    i += n + 1 ;
  }
  v = reply + last ;
  switch (lastlen ? v[0] : 0)
  {
    case 'K' : class = '2' ; break ;
    case 'Z' : class = '4' ; break ;
    case 'D' : class = '5' ; break ;
    default : return malformed(rcpt, enh, text) ;
  }
  e = enh_scan(v + 1, lastlen - 1, class) ;
  if (!e || e > 15) return malformed(rcpt, enh, text) ;
  memcpy(enh, v + 1, e) ;
  enh[e] = 0 ;
  {
    char const *rest = v + 1 + e ;
    size_t restlen = lastlen - 1 - e ;
    while (restlen && *rest == ' ') { rest++ ; restlen-- ; }
    switch (class)
    {
      case '2' :
      {
        /* Dovecot's words, with our id: the MTA logs this reply */
        static char const saved[] = " Saved" ;
        compose(text, rcpt, id, strlen(id), saved, sizeof(saved) - 1) ;
        return 250 ;
      }
      case '4' :
        compose(text, rcpt, rest, restlen, "", 0) ;
        /* RFC 3463 X.2.2 mailbox full, X.3.1 mail system full: RFC 5321
         * 452, insufficient storage */
        return !strcmp(enh, "4.2.2") || !strcmp(enh, "4.3.1") ? 452 : 451 ;
      default :
        compose(text, rcpt, rest, restlen, "", 0) ;
        return 550 ;
    }
  }
}
