/* ISC license. */

/* list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
 *        [SP list-return-opts]
 * (RFC 9051 §6.3.9 and §9, RFC 5258 §6, RFC 5819 §2, RFC 6154 §3). The
 * cursor stands after the SP that follows "LIST". */

#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

static int select_opts (imap_cursor *c, imap_list *l)
{
  if (!imap_lparen(c)) return 0 ;
  if (imap_peek(c) != ')')
    for (;;)
    {
      if (imap_try_word(c, "SUBSCRIBED")) l->select_opts |= IMAP_LIST_SEL_SUBSCRIBED ;
      else if (imap_try_word(c, "REMOTE")) l->select_opts |= IMAP_LIST_SEL_REMOTE ;
      else if (imap_try_word(c, "RECURSIVEMATCH")) l->select_opts |= IMAP_LIST_SEL_RECURSIVEMATCH ;
      else if (imap_try_word(c, "SPECIAL-USE")) l->select_opts |= IMAP_LIST_SEL_SPECIALUSE ;
      else return imap_fail(c, "Unknown LIST selection option") ;
      if (imap_peek(c) != ' ') break ;
      if (!imap_sp(c)) return 0 ;
    }
  if (!imap_rparen(c)) return 0 ;
  /* RFC 5258 §3: RECURSIVEMATCH needs a base option to modify */
  if ((l->select_opts & IMAP_LIST_SEL_RECURSIVEMATCH) && !(l->select_opts & (IMAP_LIST_SEL_SUBSCRIBED | IMAP_LIST_SEL_SPECIALUSE)))
    return imap_fail(c, "RECURSIVEMATCH without a base selection option") ;
  l->extended = 1 ;
  return 1 ;
}

static int return_opts (imap_cursor *c, imap_list *l)
{
  if (!imap_sp(c) || !imap_lparen(c)) return imap_fail(c, "Invalid LIST return options") ;
  if (imap_peek(c) != ')')
    for (;;)
    {
      if (imap_try_word(c, "SUBSCRIBED")) l->return_opts |= IMAP_LIST_RET_SUBSCRIBED ;
      else if (imap_try_word(c, "CHILDREN")) l->return_opts |= IMAP_LIST_RET_CHILDREN ;
      else if (imap_try_word(c, "SPECIAL-USE")) l->return_opts |= IMAP_LIST_RET_SPECIALUSE ;
      else if (imap_try_word(c, "STATUS"))
      {
        unsigned int items ;
        if (l->return_opts & IMAP_LIST_RET_STATUS) return imap_fail(c, "STATUS given twice") ;
        if (!imap_sp(c) || !imap_status_items(c, &items)) return 0 ;
        l->return_opts |= IMAP_LIST_RET_STATUS ;
        l->status_items = items ;
      }
      else return imap_fail(c, "Unknown LIST return option") ;
      if (imap_peek(c) != ' ') break ;
      if (!imap_sp(c)) return 0 ;
    }
  if (!imap_rparen(c)) return 0 ;
  l->extended = 1 ;
  return 1 ;
}

int imap_list_parse (imap_cursor *c, imap_list *l)
{
  l->extended = 0 ;
  l->select_opts = l->return_opts = l->status_items = 0 ;
  l->reference.len = 0 ;
  l->patterns.len = 0 ;
  l->npatterns = 0 ;
  if (imap_peek(c) == '(')
  {
    if (!select_opts(c, l) || !imap_sp(c)) return 0 ;
  }
  if (!imap_astring(c, &l->reference)) { c->error = 0 ; return imap_fail(c, "Invalid reference name") ; }
  if (!imap_sp(c)) return 0 ;
  if (imap_peek(c) == '(')
  {
    if (!imap_lparen(c)) return 0 ;
    for (;;)
    {
      if (!imap_list_mailbox(c, &l->patterns)) return 0 ;
      l->npatterns++ ;
      if (imap_peek(c) != ' ') break ;
      if (!imap_sp(c)) return 0 ;
    }
    if (!imap_rparen(c)) return 0 ;
    l->extended = 1 ;
  }
  else
  {
    if (!imap_list_mailbox(c, &l->patterns)) return 0 ;
    l->npatterns = 1 ;
  }
  if (imap_peek(c) == ' ' && c->pos + 7 <= c->len && imap_word_is(c->s + c->pos + 1, 6, "RETURN"))
  {
    c->pos++ ;
    if (!imap_try_word(c, "RETURN") || !return_opts(c, l)) return imap_fail(c, "Invalid LIST return options") ;
  }
  /* RFC 5258 §3: RECURSIVEMATCH; RFC 6154 §3: SPECIAL-USE selection implies its return option */
  if (l->select_opts & IMAP_LIST_SEL_SPECIALUSE) l->return_opts |= IMAP_LIST_RET_SPECIALUSE ;
  if (l->select_opts & IMAP_LIST_SEL_SUBSCRIBED) l->return_opts |= IMAP_LIST_RET_SUBSCRIBED ;
  return 1 ;
}
