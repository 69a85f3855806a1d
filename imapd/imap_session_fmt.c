/* ISC license. */

#include <string.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_session-internal.h"

static char const *const sysflags[5] = { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft" } ;

static int cat_flags (imap_session const *s, stralloc *sa, uint32_t flags, uint32_t keywords, int recent, int star)
{
  int first = 1 ;
  if (!stralloc_catb(sa, "(", 1)) return 0 ;
  for (unsigned int i = 0 ; i < 5 ; i++) if (flags & (1u << i))
  {
    if ((!first && !stralloc_catb(sa, " ", 1)) || !stralloc_cats(sa, sysflags[i])) return 0 ;
    first = 0 ;
  }
  if (recent)
  {
    if ((!first && !stralloc_catb(sa, " ", 1)) || !stralloc_cats(sa, "\\Recent")) return 0 ;
    first = 0 ;
  }
  {
    char const *k = s->box.keywords.s ;
    for (unsigned int i = 0 ; i < s->box.nkeywords && i < MBOX_KEYWORDS_MAX ; i++)
    {
      size_t len = strlen(k) ;
      if (keywords & (1u << i))
      {
        if ((!first && !stralloc_catb(sa, " ", 1)) || !stralloc_catb(sa, k, len)) return 0 ;
        first = 0 ;
      }
      k += len + 1 ;
    }
  }
  if (star && ((!first && !stralloc_catb(sa, " ", 1)) || !stralloc_catb(sa, "\\*", 2))) return 0 ;
  return stralloc_catb(sa, ")", 1) ;
}

int imap_fmt_msgflags (imap_session const *s, stralloc *sa, size_t i)
{
  mbox_msg const *m = mbox_at(&s->box, i) ;
  return cat_flags(s, sa, m->flags, m->keywords, m->recent && !imap_sess_rev2(s), 0) ;
}

/* FLAGS lists the system flags and every keyword defined; PERMANENTFLAGS
 * adds \* while keywords can still be created (26 letters, Maildir). */
int imap_fmt_boxflags (imap_session const *s, stralloc *sa, int permanent)
{
  if (permanent && s->readonly) return stralloc_cats(sa, "()") ;
  return cat_flags(s, sa, 0x1f, 0xffffffffu, 0, permanent && s->box.nkeywords < MBOX_KEYWORDS_MAX) ;
}
