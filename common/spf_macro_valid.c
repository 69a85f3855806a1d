/* ISC license. */

#include "common/spf-internal.h"

/* RFC 7208 §7.1:
 *   macro-string = *( macro-expand / macro-literal )
 *   macro-expand = ( "%{" macro-letter transformers *delimiter "}" )
 *                  / "%%" / "%_" / "%-"
 *   macro-literal = %x21-24 / %x26-7E
 *   transformers = *DIGIT [ "r" ]
 *   delimiter = "." / "-" / "+" / "," / "/" / "_" / "="
 * Explanation text is "explain-string = *( macro-string / SP )" (§6.2):
 * with isexp, spaces are literals too.
 * A digit transformer of 0 is an error (§7.3: "If a DIGIT is specified,
 * the value MUST be nonzero"). */

static int letter_ok (char ch, int isexp)
{
  switch (ch | 0x20)
  {
    case 's' : case 'l' : case 'o' : case 'd' : case 'i' : case 'p' : case 'h' : case 'v' :
      return 1 ;
    case 'c' : case 'r' : case 't' :
      return isexp ;
    default : return 0 ;
  }
}

static int delimiter (char ch)
{
  return ch == '.' || ch == '-' || ch == '+' || ch == ',' || ch == '/' || ch == '_' || ch == '=' ;
}

int spf_macro_valid (char const *s, size_t len, int isexp, int *endexpand)
{
  int lastexpand = 0 ;
  size_t i = 0 ;
  while (i < len)
  {
    unsigned char ch = s[i] ;
    if (ch != '%')
    {
      if ((ch < 0x21 && !(isexp && ch == ' ')) || ch > 0x7e) return 0 ;
      lastexpand = 0 ;
      i++ ;
      continue ;
    }
    if (i + 1 >= len) return 0 ;
    ch = s[i + 1] ;
    if (ch == '%' || ch == '_' || ch == '-') { i += 2 ; lastexpand = 1 ; continue ; }
    if (ch != '{') return 0 ;
    i += 2 ;
    if (i >= len || !letter_ok(s[i], isexp)) return 0 ;
    i++ ;
    {
      size_t digits = 0 ;
      int nonzero = 0 ;
      while (i < len && s[i] >= '0' && s[i] <= '9')
      {
        if (s[i] != '0') nonzero = 1 ;
        digits++ ; i++ ;
      }
      if (digits && !nonzero) return 0 ;
    }
    if (i < len && (s[i] | 0x20) == 'r') i++ ;
    while (i < len && delimiter(s[i])) i++ ;
    if (i >= len || s[i] != '}') return 0 ;
    i++ ;
    lastexpand = 1 ;
  }
  if (endexpand) *endexpand = lastexpand ;
  return 1 ;
}
