/* ISC license. */

/* ENABLE (RFC 5161): IMAP4rev2 (RFC 9051 §6.3.1), UTF8=ACCEPT (RFC 6855),
 * CONDSTORE and QRESYNC (RFC 7162 §3.2.3: QRESYNC implies CONDSTORE).
 * Unknown capabilities are ignored; "* ENABLED" lists only what this
 * command named and turned on. */

#include <skalibs/stralloc.h>
#include "imapd/imap_session-internal.h"

static struct { char const *name ; unsigned int bit ; unsigned int bits ; } const known[] =
{
  { "IMAP4REV2", IMAP_ENABLED_REV2, IMAP_ENABLED_REV2 },
  { "UTF8=ACCEPT", IMAP_ENABLED_UTF8, IMAP_ENABLED_UTF8 },
  { "CONDSTORE", IMAP_ENABLED_CONDSTORE, IMAP_ENABLED_CONDSTORE },
  { "QRESYNC", IMAP_ENABLED_QRESYNC, IMAP_ENABLED_QRESYNC | IMAP_ENABLED_CONDSTORE },
} ;
static char const *const shown[4] = { "IMAP4rev2", "UTF8=ACCEPT", "CONDSTORE", "QRESYNC" } ;

int imap_cmd_enable (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  stralloc *sa = &s->out ;
  unsigned int now = 0, asked = 0 ;
  unsigned int count = 0 ;
  (void)uid ;
  sa->len = 0 ;
  while (imap_peek(c) == ' ')
  {
    size_t start = sa->len ;
    if (!imap_sp(c) || !imap_atom(c, sa)) return imap_bad(s, tag, c) ;
    count++ ;
    for (size_t i = 0 ; i < sizeof(known) / sizeof(*known) ; i++)
    {
      size_t j = 0 ;
      char const *w = sa->s + start ;
      for (; known[i].name[j] && w[j] ; j++)
      {
        char ch = w[j] >= 'a' && w[j] <= 'z' ? w[j] - 32 : w[j] ;
        if (ch != known[i].name[j]) break ;
      }
      if (!known[i].name[j] && !w[j]) { now |= known[i].bits ; asked |= known[i].bit ; }
    }
    sa->len = start ;
  }
  if (!count || !imap_end(c))
  {
    if (!c->error) c->error = "ENABLE needs at least one capability" ;
    return imap_bad(s, tag, c) ;
  }
  {
    unsigned int fresh = asked & ~s->enabled ;   /* what was asked for, not what it implies */
    s->enabled |= now ;
    sa->len = 0 ;
    if (!stralloc_cats(sa, "* ENABLED")) return 0 ;
    for (unsigned int i = 0 ; i < 4 ; i++)
      if (fresh & (1u << i) && (!stralloc_catb(sa, " ", 1) || !stralloc_cats(sa, shown[i]))) return 0 ;
    if (!stralloc_cats(sa, "\r\n")) return 0 ;
  }
  return imap_out(s, sa->s, sa->len) && imap_tagged(s, tag, "OK ENABLE completed") ;
}
