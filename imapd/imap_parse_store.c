/* ISC license. */

/* store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags,
 * store-modifiers = SP "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"
 * (RFC 7162 §3.1.3), store-att-flags = (["+" / "-"] "FLAGS"
 * [".SILENT"]) SP (flag-list / (flag *(SP flag))) (RFC 9051 §9).
 * The cursor stands after the SP that follows the sequence set. */

#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

int imap_store_parse (imap_cursor *c, imap_store *st)
{
  st->mode = IMAP_STORE_SET ;
  st->silent = st->unchangedsince = 0 ;
  st->unchangedsince_value = 0 ;
  st->flags = 0 ;
  st->keywords.len = 0 ;
  st->nkeywords = 0 ;
  if (imap_peek(c) == '(')
  {
    if (!imap_lparen(c) || !imap_try_word(c, "UNCHANGEDSINCE") || !imap_sp(c)
     || !imap_number64(c, &st->unchangedsince_value) || !imap_rparen(c) || !imap_sp(c))
    {
      c->error = 0 ;
      return imap_fail(c, "Invalid store modifier") ;
    }
    st->unchangedsince = 1 ;
  }
  if (imap_try(c, '+')) st->mode = IMAP_STORE_ADD ;
  else if (imap_try(c, '-')) st->mode = IMAP_STORE_REMOVE ;
  if (imap_try_word(c, "FLAGS.SILENT")) st->silent = 1 ;
  else if (!imap_try_word(c, "FLAGS")) return imap_fail(c, "Expected FLAGS, +FLAGS or -FLAGS") ;
  if (!imap_sp(c)) return 0 ;
  return imap_flag_list(c, &st->flags, &st->keywords, &st->nkeywords, 1) ;
}
