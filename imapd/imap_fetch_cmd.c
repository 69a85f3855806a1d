/* ISC license. */

#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_session.h"
#include "imapd/imap_fetch-internal.h"

/* Small pieces the FETCH, STORE, SEARCH, SORT and THREAD handlers share. */

int imap_cmd_tagged2 (imap_session *s, char const *tag, char const *a, char const *b)
{
  stralloc sa = STRALLOC_ZERO ;
  int r ;
  if (!stralloc_cats(&sa, a) || !stralloc_catb(&sa, " ", 1) || !stralloc_cats(&sa, b) || !stralloc_0(&sa))
  {
    stralloc_free(&sa) ;
    return imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
  }
  r = imap_tagged(s, tag, sa.s) ;
  stralloc_free(&sa) ;
  return r ;
}

int imap_cmd_bad (imap_session *s, char const *tag, imap_cursor const *c)
{
  return imap_cmd_tagged2(s, tag, "BAD", c->error ? c->error : "Syntax error") ;
}

int imap_cmd_condstore (imap_session *s)
{
  char fmt[UINT64_FMT] ;
  stralloc sa = STRALLOC_ZERO ;
  int r ;
  if (s->enabled & IMAP_ENABLED_CONDSTORE) return 1 ;
  s->enabled |= IMAP_ENABLED_CONDSTORE ;
  /* RFC 7162 §3.1: the first CONDSTORE-enabling command in a mailbox
   * selected without it makes the server report HIGHESTMODSEQ */
  if (!stralloc_cats(&sa, "OK [HIGHESTMODSEQ ")
   || !stralloc_catb(&sa, fmt, uint64_fmt(fmt, s->box.highestmodseq))
   || !stralloc_cats(&sa, "] Highest")
   || !stralloc_0(&sa))
  {
    stralloc_free(&sa) ;
    return 1 ;
  }
  r = imap_untagged(s, sa.s) ;
  stralloc_free(&sa) ;
  return r ;
}

int imap_cmd_fetch_line (imap_session *s, uint32_t seq, char const *items, size_t len)
{
  char fmt[UINT32_FMT] ;
  return imap_outs(s, "* ")
    && imap_out(s, fmt, uint32_fmt(fmt, seq))
    && imap_outs(s, " FETCH ")
    && imap_out(s, items, len)
    && imap_outs(s, "\r\n") ;
}
