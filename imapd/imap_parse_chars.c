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
