/* ISC license. */

/* flag-list "(\Answered \Seen $Forwarded)" (RFC 9051 §9, §7.5.2). */

#include <string.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_parse.h"

int imap_fmt_flags (stralloc *sa, uint32_t flags, char const *const *keywords, unsigned int nkeywords)
{
  static struct { uint32_t bit ; char const *name ; } const sys[] =
  {
    { IMAP_FLAG_ANSWERED, "\\Answered" }, { IMAP_FLAG_FLAGGED, "\\Flagged" }, { IMAP_FLAG_DELETED, "\\Deleted" },
    { IMAP_FLAG_SEEN, "\\Seen" }, { IMAP_FLAG_DRAFT, "\\Draft" }, { IMAP_FLAG_RECENT, "\\Recent" }
  } ;
  unsigned int i = 0 ;
  int first = 1 ;
  if (!stralloc_catb(sa, "(", 1)) return 0 ;
  for (; i < sizeof(sys) / sizeof(sys[0]) ; i++)
    if (flags & sys[i].bit)
    {
      if ((!first && !stralloc_catb(sa, " ", 1)) || !stralloc_cats(sa, sys[i].name)) return 0 ;
      first = 0 ;
    }
  for (i = 0 ; i < nkeywords ; i++)
  {
    if ((!first && !stralloc_catb(sa, " ", 1)) || !stralloc_cats(sa, keywords[i])) return 0 ;
    first = 0 ;
  }
  return stralloc_catb(sa, ")", 1) ;
}
