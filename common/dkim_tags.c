/* ISC license. */

/* Tag lists, RFC 6376 §3.2, strictly:
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC          (ALNUMPUNC = ALPHA / DIGIT / "_")
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      = 1*VALCHAR                 (VALCHAR = %x21-3A / %x3C-7E)
 * FWS is WSP, or a line break followed by WSP (RFC 5322 §3.2.2). */

#include <string.h>

#include "common/dkim.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')
#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_VALCHAR(c) ((unsigned char)(c) >= 0x21 && (unsigned char)(c) <= 0x7e && (c) != ';')

/* Skips FWS from s[i]; returns the new position, or (size_t)-1 for a
 * line break not followed by WSP (the field would have ended). */
static size_t fws (char const *s, size_t len, size_t i)
{
  for (;;)
  {
    if (i < len && IS_WSP(s[i])) { i++ ; continue ; }
    if (i < len && (s[i] == '\n' || (s[i] == '\r' && i + 1 < len && s[i+1] == '\n')))
    {
      size_t j = i + (s[i] == '\r' ? 2 : 1) ;
      if (j >= len || !IS_WSP(s[j])) return (size_t)-1 ;
      i = j ;
      continue ;
    }
    return i ;
  }
}

int dkim_tags_parse (dkim_tags *t, char const *s, size_t len, char const **why)
{
  size_t i = 0 ;
  t->n = 0 ;
  for (;;)
  {
    dkim_tag *g ;
    size_t vend ;
    i = fws(s, len, i) ;
    if (i == (size_t)-1) return (*why = "bad folding in tag list", 0) ;
    if (i == len)
    {
      if (t->n) return (*why = "empty tag-spec after \";\"", 0) ;
      return 1 ;   /* an empty list: callers check what they require */
    }
    if (t->n >= DKIM_TAGS_MAX) return (*why = "too many tags", 0) ;
    g = t->tag + t->n ;
    if (!IS_ALPHA(s[i])) return (*why = "bad tag name", 0) ;
    g->name = i ;
    while (i < len && (IS_ALPHA(s[i]) || IS_DIGIT(s[i]) || s[i] == '_')) i++ ;
    g->namelen = i - g->name ;
    i = fws(s, len, i) ;
    if (i == (size_t)-1 || i == len || s[i] != '=') return (*why = "tag without \"=\"", 0) ;
    g->after = ++i ;
    i = fws(s, len, i) ;
    if (i == (size_t)-1) return (*why = "bad folding in tag list", 0) ;
    g->value = i ;
    vend = i ;
    while (i < len && s[i] != ';')
    {
      if (IS_VALCHAR(s[i])) { i++ ; vend = i ; continue ; }
      {
        size_t j = fws(s, len, i) ;
        if (j == (size_t)-1 || j == i) return (*why = "bad character in tag value", 0) ;
        i = j ;
      }
    }
    g->valuelen = vend - g->value ;
    g->end = i ;
    for (unsigned int k = 0 ; k < t->n ; k++)
      if (t->tag[k].namelen == g->namelen && !memcmp(s + t->tag[k].name, s + g->name, g->namelen))
        return (*why = "duplicate tag", 0) ;
    t->n++ ;
    if (i == len) return 1 ;
    i++ ;   /* the ";" */
    {
      size_t j = fws(s, len, i) ;
      if (j == (size_t)-1) return (*why = "bad folding in tag list", 0) ;
      if (j == len) return 1 ;   /* a final ";" */
    }
  }
}

dkim_tag const *dkim_tags_get (dkim_tags const *t, char const *s, char const *name)
{
  size_t len = strlen(name) ;
  for (unsigned int k = 0 ; k < t->n ; k++)
    if (t->tag[k].namelen == len && !memcmp(s + t->tag[k].name, name, len)) return t->tag + k ;
  return 0 ;
}
