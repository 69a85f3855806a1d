/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "spam.h"

/* The fields (docs/filters.md: prepended above the message), in
 * SpamAssassin's and Amavis's form, which docker-mailserver's users,
 * their Sieve scripts and mail clients already know:
 *   X-Spam-Score: 7.3                        from SA_TAG on
 *   X-Spam-Status: Yes, score=7.3 required=6.31 tests=BAYES_99,RDNS_NONE
 *   X-Spam: Yes                              from SA_TAG2 on
 * "required" is SA_TAG2, the score from which mail is spam; the tests
 * are folded at 78 columns (RFC 5322 §2.1.1). */

#define LINE_SOFT 78

/* a score with at most two decimals, without trailing zeros */
int spam_cat_score (stralloc *sa, double d)
{
  char buf[UINT64_FMT + 8] ;
  size_t n = 0 ;
  uint64_t hundredths ;
  int neg = d < 0 ;
  if (neg) d = -d ;
  hundredths = (uint64_t)(d * 100 + 0.5) ;
  if (neg && hundredths) buf[n++] = '-' ;
  n += uint64_fmt(buf + n, hundredths / 100) ;
  if (hundredths % 100)
  {
    buf[n++] = '.' ;
    buf[n++] = '0' + (char)(hundredths % 100 / 10) ;
    if (hundredths % 10) buf[n++] = '0' + (char)(hundredths % 10) ;
  }
  return stralloc_catb(sa, buf, n) ;
}

char const *spam_verdict (spam_settings const *set, spam const *s)
{
  if (s->score >= set->kill && !set->spam_to_inbox) return "discard" ;
  if (s->score >= set->tag2 && set->move_to_junk) return "junk" ;
  return "deliver" ;
}

int spam_fields (stralloc *sa, spam_settings const *set, spam const *s)
{
  size_t linestart ;
  int spammy = s->score >= set->tag2 ;
  if (s->score < set->tag) return 1 ;
  if (!stralloc_cats(sa, "X-Spam-Score: ") || !spam_cat_score(sa, s->score) || !stralloc_cats(sa, "\n")) return 0 ;
  linestart = sa->len ;
  if (!stralloc_cats(sa, spammy ? "X-Spam-Status: Yes, score=" : "X-Spam-Status: No, score=")
   || !spam_cat_score(sa, s->score)
   || !stralloc_cats(sa, " required=")
   || !spam_cat_score(sa, set->tag2)
   || !stralloc_cats(sa, " tests=")) return 0 ;
  if (!s->nhits && !stralloc_cats(sa, "none")) return 0 ;
  for (unsigned int i = 0 ; i < s->nhits ; i++)
  {
    size_t l = strlen(s->hits[i].name) ;
    if (i && !stralloc_cats(sa, ",")) return 0 ;
    if (sa->len - linestart + l > LINE_SOFT)
    {
      if (!stralloc_cats(sa, "\n\t")) return 0 ;
      linestart = sa->len - 1 ;
    }
    if (!stralloc_catb(sa, s->hits[i].name, l)) return 0 ;
  }
  if (!stralloc_cats(sa, "\n")) return 0 ;
  if (spammy && !stralloc_cats(sa, "X-Spam: Yes\n")) return 0 ;
  return 1 ;
}
