/* ISC license. */

#include <string.h>
#include <skalibs/bytestr.h>
#include <skalibs/stralloc.h>

#include "common/dsn_utf8.h"
#include "common/hexdigit.h"
#include "queued/qmsg.h"
#include "queued/qdsn.h"

int qdsn_param (char const *s, size_t len, char const *key, char const **val, size_t *vlen)
{
  size_t k = strlen(key) ;
  if (len < k || case_diffb(s, k, key)) return 0 ;
  if (len == k) { *val = s + len ; *vlen = 0 ; return 1 ; }
  if (s[k] != '=') return 0 ;
  *val = s + k + 1 ;
  *vlen = len - k - 1 ;
  return 1 ;
}

static int word_is (char const *s, size_t len, char const *w)
{
  return strlen(w) == len && !case_diffb(s, len, w) ;
}

int qdsn_notify (char const *s, size_t len, unsigned char *bits)
{
  unsigned char b = 0 ;
  size_t pos = 0 ;
  if (!len) return 0 ;
  if (word_is(s, len, "NEVER")) { *bits = QNOTIFY_NEVER ; return 1 ; }
  while (pos <= len)
  {
    size_t n = 0 ;
    unsigned char one ;
    while (pos + n < len && s[pos + n] != ',') n++ ;
    if (word_is(s + pos, n, "SUCCESS")) one = QNOTIFY_SUCCESS ;
    else if (word_is(s + pos, n, "FAILURE")) one = QNOTIFY_FAILURE ;
    else if (word_is(s + pos, n, "DELAY")) one = QNOTIFY_DELAY ;
    else return 0 ;   /* also NEVER with others, or an empty item */
    if (b & one) return 0 ;
    b |= one ;
    pos += n + 1 ;
  }
  *bits = b ;
  return 1 ;
}

int qdsn_xtext_valid (char const *s, size_t len)
{
  if (len > QDSN_XTEXT_MAX) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (c == '+')
    {
      if (len - i < 3 || hex_pair(s + i + 1) < 0) return 0 ;
      i += 2 ;
    }
    else if (c < 33 || c > 126 || c == '=') return 0 ;
  }
  return 1 ;
}

int qdsn_xtext_decode (char const *s, size_t len, stralloc *out)
{
  if (!qdsn_xtext_valid(s, len)) return 0 ;
  if (!stralloc_readyplus(out, len)) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (c == '+')
    {
      c = (char)hex_pair(s + i + 1) ;
      i += 2 ;
    }
    out->s[out->len++] = c ;
  }
  return 1 ;
}

static int atext (unsigned char c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1 ;
  return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != 0 ;
}

/* RFC 6533 3 utf-8-addr-unitext (or xtext: the decoder reads both) */
static int unitext (char const *type, size_t tlen, char const *s, size_t len)
{
  if (tlen != 5 || case_diffb(type, 5, "utf-8") || len > QDSN_XTEXT_MAX) return 0 ;
  return dsn_utf8addr_valid(s, len) ;
}

/* The value is xtext (RFC 3461 4.2), or, for the utf-8 type, the
 * utf-8-addr-unitext of RFC 6533 3 as an SMTPUTF8 client sends it: raw
 * UTF-8, \x{HEX} escapes, no xtext wrapping. */
int qdsn_orcpt (char const *s, size_t len, char const **type, size_t *tlen, char const **addr, size_t *alen)
{
  size_t t = 0 ;
  while (t < len && s[t] != ';') t++ ;
  if (!t || t == len || t > 64) return 0 ;
  for (size_t i = 0 ; i < t ; i++) if (!atext(s[i])) return 0 ;
  if (t + 1 == len) return 0 ;
  if (!qdsn_xtext_valid(s + t + 1, len - t - 1)
   && !unitext(s, t, s + t + 1, len - t - 1)) return 0 ;
  *type = s ;
  *tlen = t ;
  *addr = s + t + 1 ;
  *alen = len - t - 1 ;
  return 1 ;
}

static size_t digits (char const *s, size_t max)
{
  size_t n = 0 ;
  while (n < max && s[n] >= '0' && s[n] <= '9') n++ ;
  return n ;
}

size_t qdsn_status (char const *text)
{
  size_t n, k ;
  if (text[0] != '2' && text[0] != '4' && text[0] != '5') return 0 ;
  if (text[1] != '.') return 0 ;
  n = 2 ;
  k = digits(text + n, 4) ;
  if (!k || k > 3 || text[n + k] != '.') return 0 ;
  n += k + 1 ;
  k = digits(text + n, 4) ;
  if (!k || k > 3) return 0 ;
  n += k ;
  if (text[n] && text[n] != ' ') return 0 ;
  return n ;
}

int qdsn_printable (stralloc *out, char const *s, size_t len, size_t max)
{
  if (len > max) len = max ;
  if (!stralloc_readyplus(out, len)) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = s[i] ;
    out->s[out->len++] = c >= 32 && c < 127 ? (char)c : '?' ;
  }
  return 1 ;
}
