/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>

#include "common/bayes-internal.h"

/* The text of HTML for the word tokenizer: tags and comments become a
 * space (a tag between two words separates them), the rest is copied.
 * Not a parser: an unclosed '<' ends the text, which is what a
 * renderer would show of it anyway. URLs were taken from the raw HTML
 * before (href values). */

int bayes_html_text (stralloc *sa, char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len)
  {
    char const *lt = memchr(s + i, '<', len - i) ;
    size_t n = lt ? (size_t)(lt - (s + i)) : len - i ;
    if (!stralloc_catb(sa, s + i, n)) return 0 ;
    if (!lt) break ;
    i += n ;
    if (len - i >= 4 && !memcmp(s + i, "<!--", 4))
    {
      char const *end = 0 ;
      for (size_t k = i + 4 ; k + 3 <= len ; k++)
        if (!memcmp(s + k, "-->", 3)) { end = s + k + 3 ; break ; }
      if (!end) break ;
      i = (size_t)(end - s) ;
    }
    else
    {
      char const *gt = memchr(s + i, '>', len - i) ;
      if (!gt) break ;
      i = (size_t)(gt - s) + 1 ;
    }
    if (!stralloc_catb(sa, " ", 1)) return 0 ;
  }
  return 1 ;
}
