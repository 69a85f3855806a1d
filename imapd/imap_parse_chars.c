/* ISC license. */

/* Character classes of RFC 9051 §9 (same as RFC 3501 §9). */

#include "imapd/imap_parse-internal.h"

/* atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
 * quoted-specials / resp-specials; ATOM-CHAR is any CHAR but those. */
int imap_is_atom_char (unsigned char ch)
{
  if (ch <= 0x20 || ch >= 0x7f) return 0 ;
  switch (ch)
  {
    case '(' : case ')' : case '{' : case '%' : case '*' : case '"' : case '\\' : case ']' :
      return 0 ;
    default : return 1 ;
  }
}

int imap_is_astring_char (unsigned char ch)
{
  return ch == ']' || imap_is_atom_char(ch) ;
}

int imap_is_list_char (unsigned char ch)
{
  return ch == '%' || ch == '*' || ch == ']' || imap_is_atom_char(ch) ;
}

int imap_is_tag_char (unsigned char ch)
{
  return ch != '+' && imap_is_astring_char(ch) ;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 §4), or 0. */
size_t imap_utf8_seq (unsigned char const *s, size_t len)
{
  size_t n, i ;
  unsigned char lo = 0x80, hi = 0xbf ;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) n = 2 ;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
  {
    n = 3 ;
    if (s[0] == 0xe0) lo = 0xa0 ;
    else if (s[0] == 0xed) hi = 0x9f ;
  }
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
  {
    n = 4 ;
    if (s[0] == 0xf0) lo = 0x90 ;
    else if (s[0] == 0xf4) hi = 0x8f ;
  }
  else return 0 ;
  if (len < n) return 0 ;
  if (s[1] < lo || s[1] > hi) return 0 ;
  for (i = 2 ; i < n ; i++) if (s[i] < 0x80 || s[i] > 0xbf) return 0 ;
  return n ;
}
