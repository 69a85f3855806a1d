/* ISC license. */

/* Domain to A-labels (common/idna.h). The punycode itself is
 * psl_punycode's (common/psl_punycode.c); this file cuts the name into
 * labels, checks what can be checked without Unicode tables, and says
 * why a name cannot be converted, for the bounce. */

#include <stdint.h>
#include <string.h>

#include "common/idna.h"
#include "common/psl.h"

#define ULABEL_BYTES (IDNA_LABEL_MAX * 4)   /* a U-label longer than this cannot fit 63 octets of A-label */

int idna_has_nonascii (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++) if ((unsigned char)s[i] >= 0x80) return 1 ;
  return 0 ;
}

 /* One UTF-8 sequence at s (at most len bytes): its length and *cp, or
    0 if malformed (RFC 3629 4: no overlong form, no surrogate, at most
    U+10FFFF). */
static size_t utf8_at (char const *s, size_t len, uint32_t *cp)
{
  unsigned char c = s[0] ;
  size_t n ;
  uint32_t v ;
  if (c < 0x80) { *cp = c ; return 1 ; }
  if (c >= 0xc2 && c <= 0xdf) { n = 2 ; v = c & 0x1f ; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3 ; v = c & 0x0f ; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4 ; v = c & 0x07 ; }
  else return 0 ;
  if (n > len) return 0 ;
  for (size_t i = 1 ; i < n ; i++)
  {
    unsigned char d = s[i] ;
    if ((d & 0xc0) != 0x80) return 0 ;
    v = (v << 6) | (d & 0x3f) ;
  }
  if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0 ;
  *cp = v ;
  return n ;
}

static int ldh (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ;
}

 /* A U-label s[0..len) into out as "xn--<punycode>" (room for
    IDNA_LABEL_MAX + 1); its length, or 0 with *why. */
static size_t ulabel (char const *s, size_t len, char *out, char const **why)
{
  char low[ULABEL_BYTES] ;
  size_t n ;
  if (len > ULABEL_BYTES) { *why = "a label is too long for an A-label (over 63 octets)" ; return 0 ; }
  for (size_t i = 0 ; i < len ; )
  {
    uint32_t cp ;
    size_t k = utf8_at(s + i, len - i, &cp) ;
    if (!k) { *why = "invalid UTF-8 in a label" ; return 0 ; }
    if (k == 1)
    {
      unsigned char c = (unsigned char)s[i] ;
      if (c >= 'A' && c <= 'Z') c += 'a' - 'A' ;
      if (!ldh(c)) { *why = "a label holds a character that cannot be in a host name" ; return 0 ; }
      low[i] = (char)c ;
    }
    else
    {
      if (cp < 0xa0) { *why = "a label holds a control character" ; return 0 ; }
      memcpy(low + i, s + i, k) ;
    }
    i += k ;
  }
   /* RFC 5891 4.2.3.1 (s is not empty: the caller cut out empty labels) */
  if (low[0] == '-' || low[len - 1] == '-') { *why = "a label starts or ends with a hyphen" ; return 0 ; }
  if (len >= 4 && low[2] == '-' && low[3] == '-') { *why = "a label has hyphens in its third and fourth positions" ; return 0 ; }
  memcpy(out, "xn--", 4) ;
  n = psl_punycode(low, len, out + 4, IDNA_LABEL_MAX - 4 + 1) ;
  if (!n) { *why = "a label is too long for an A-label (over 63 octets)" ; return 0 ; }
  return 4 + n ;
}

size_t idna_domain_to_ascii (char const *s, size_t len, char *out, size_t max, char const **why)
{
  size_t w = 0, i = 0 ;
  if (!len) { *why = "an empty name" ; return 0 ; }
  for (;;)
  {
    char label[IDNA_LABEL_MAX + 1] ;
    char const *l = s + i ;
    size_t j = i, n ;
    while (j < len && s[j] != '.') j++ ;
    if (j == i) { *why = "an empty label" ; return 0 ; }
    if (idna_has_nonascii(l, j - i))
    {
      n = ulabel(l, j - i, label, why) ;
      if (!n) return 0 ;
      l = label ;
    }
    else
    {
      n = j - i ;
      if (n > IDNA_LABEL_MAX) { *why = "a label is longer than 63 octets" ; return 0 ; }
      for (size_t k = 0 ; k < n ; k++)
        if ((unsigned char)l[k] < 0x20 || l[k] == 0x7f) { *why = "a label holds a control character" ; return 0 ; }
    }
    if (w + n + 1 > IDNA_NAME_MAX + 1 || w + n + 1 > max) { *why = "the name is too long in A-label form" ; return 0 ; }
    memcpy(out + w, l, n) ;
    w += n ;
    if (j == len) break ;
    out[w++] = '.' ;
    i = j + 1 ;
    if (i == len) { *why = "an empty label" ; return 0 ; }
  }
  out[w] = 0 ;
  return w ;
}
