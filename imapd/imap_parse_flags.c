/* ISC license. */

/* flag-list = "(" [flag *(SP flag)] ")", flag = "\Answered" / "\Flagged"
 * / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
 * (RFC 9051 §9). \Recent cannot be set by a client (RFC 3501 §2.3.2);
 * other unknown system flags are refused too. */

#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

static int one_flag (imap_cursor *c, uint32_t *flags, stralloc *kw, unsigned int *nkw)
{
  char const *s ;
  size_t len ;
  if (imap_try(c, '\\'))
  {
    static struct { char const *name ; uint32_t bit ; } const sys[] =
    {
      { "Seen", IMAP_FLAG_SEEN }, { "Answered", IMAP_FLAG_ANSWERED }, { "Flagged", IMAP_FLAG_FLAGGED },
      { "Deleted", IMAP_FLAG_DELETED }, { "Draft", IMAP_FLAG_DRAFT }
    } ;
    unsigned int i = 0 ;
    if (!imap_run(c, &imap_is_atom_char, &s, &len)) return imap_fail(c, "Invalid flag") ;
    for (; i < sizeof(sys) / sizeof(sys[0]) ; i++)
      if (imap_word_is(s, len, sys[i].name)) { *flags |= sys[i].bit ; return 1 ; }
    if (imap_word_is(s, len, "Recent")) return imap_fail(c, "\\Recent cannot be set") ;
    return imap_fail(c, "Invalid system flag") ;
  }
  if (!imap_run(c, &imap_is_atom_char, &s, &len)) return imap_fail(c, "Invalid flag") ;
  if (!stralloc_catb(kw, s, len) || !stralloc_0(kw)) return imap_fail(c, "Out of memory") ;
  (*nkw)++ ;
  return 1 ;
}

static int flag_start (imap_cursor const *c, size_t at)
{
  return at < c->len && (c->s[at] == '\\' || imap_is_atom_char((unsigned char)c->s[at])) ;
}

int imap_flag_list (imap_cursor *c, uint32_t *flags, stralloc *kw, unsigned int *nkw, int allow_paren_less)
{
  *flags = 0 ;
  *nkw = 0 ;
  if (imap_peek(c) == '(')
  {
    if (!imap_lparen(c)) return 0 ;
    if (imap_peek(c) != ')')
      for (;;)
      {
        if (!one_flag(c, flags, kw, nkw)) return 0 ;
        if (imap_peek(c) != ' ') break ;
        if (!imap_sp(c)) return 0 ;
      }
    if (!imap_rparen(c)) return imap_fail(c, "Invalid flag list") ;
    return 1 ;
  }
  if (!allow_paren_less) return imap_fail(c, "Expected a flag list") ;
  if (!one_flag(c, flags, kw, nkw)) return 0 ;
  while (imap_peek(c) == ' ' && flag_start(c, c->pos + 1))
  {
    c->pos++ ;
    if (!one_flag(c, flags, kw, nkw)) return 0 ;
  }
  return 1 ;
}
