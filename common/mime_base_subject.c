/* ISC license. */

/* RFC 5256 §2.1 base subject, for SORT SUBJECT and THREAD
 * ORDEREDSUBJECT/REFERENCES. The steps are the RFC's; each loop is
 * bounded by the length of the text. */

#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/bytestr.h>
#include "common/mime.h"

/* subj-blob = "[" *BLOBCHAR "]" *WSP; returns its length at s, 0 if none */
static size_t blob (char const *s, size_t len)
{
  size_t i = 1 ;
  if (!len || s[0] != '[') return 0 ;
  while (i < len && s[i] != ']' && s[i] != '[') i++ ;
  if (i >= len || s[i] != ']') return 0 ;
  i++ ;
  while (i < len && s[i] == ' ') i++ ;
  return i ;
}

/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" */
static size_t refwd (char const *s, size_t len)
{
  size_t i ;
  if (len >= 2 && !case_diffb(s, 2, "re")) i = 2 ;
  else if (len >= 3 && !case_diffb(s, 3, "fwd")) i = 3 ;
  else if (len >= 2 && !case_diffb(s, 2, "fw")) i = 2 ;
  else return 0 ;
  while (i < len && s[i] == ' ') i++ ;
  i += blob(s + i, len - i) ;
  return i < len && s[i] == ':' ? i + 1 : 0 ;
}

int mime_base_subject (stralloc *sa, char const *v, size_t vlen, int *is_reply_or_fwd)
{
  stralloc d = STRALLOC_ZERO ;
  char *s ;
  size_t start = 0, len ;
  int reply = 0 ;
  if (!mime_decode_header(&d, v, vlen) || !stralloc_0(&d)) { stralloc_free(&d) ; return 0 ; }
  d.len-- ;
  /* step 1: white space runs become one space */
  {
    size_t w = 0 ;
    for (size_t r = 0 ; r < d.len ; r++)
    {
      char c = d.s[r] == '\t' ? ' ' : d.s[r] ;
      if (c == ' ' && w && d.s[w - 1] == ' ') continue ;
      d.s[w++] = c ;
    }
    d.len = w ;
  }
  s = d.s ;
  len = d.len ;
  for (unsigned int outer = 0 ; outer < 1000 ; outer++)
  {
    int changed = 1 ;
    /* step 2: trailing "(fwd)" and white space */
    for (;;)
    {
      if (len > start && s[len - 1] == ' ') { len-- ; continue ; }
      if (len - start >= 5 && !case_diffb(s + len - 5, 5, "(fwd)")) { len -= 5 ; reply = 1 ; continue ; }
      break ;
    }
    /* steps 3 to 5 */
    while (changed)
    {
      changed = 0 ;
      /* 3: subj-leader = (*subj-blob subj-refwd) / WSP */
      for (;;)
      {
        size_t i = start, k ;
        if (i < len && s[i] == ' ') { start++ ; changed = 1 ; continue ; }
        while ((k = blob(s + i, len - i))) i += k ;
        k = refwd(s + i, len - i) ;
        if (!k) break ;
        start = i + k ;
        reply = 1 ;
        changed = 1 ;
      }
      /* 4: a leading blob, if something remains after it */
      {
        size_t k = blob(s + start, len - start) ;
        if (k && start + k < len) { start += k ; changed = 1 ; }
      }
    }
    /* step 6: "[fwd:" subj-base "]" */
    if (len - start >= 6 && !case_diffb(s + start, 5, "[fwd:") && s[len - 1] == ']')
    {
      start += 5 ;
      len-- ;
      reply = 1 ;
      continue ;
    }
    break ;
  }
  if (is_reply_or_fwd) *is_reply_or_fwd = reply ;
  {
    int ok = stralloc_catb(sa, s + start, len - start) ;
    stralloc_free(&d) ;
    return ok ;
  }
}
