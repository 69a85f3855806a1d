/* ISC license. */

/* RFC 2231: parameter value continuations ("name*0", "name*1", ...),
 * extended values ("name*=charset'lang'%xx", "name*0*=..."). Two
 * outputs: decoded to UTF-8 (for search and for the callers of
 * mime_param), or joined but left in their extended form (what
 * BODYSTRUCTURE carries). */

#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/bytestr.h>
#include <skalibs/types.h>
#include "common/hexdigit.h"
#include "common/mime-internal.h"

typedef struct pname_s pname ;
struct pname_s
{
  char const *base ;
  size_t baselen ;
  int starred ;        /* any '*' in the name */
  int section ;        /* -1: none */
  int extended ;       /* value is charset'lang'%xx (first) or %xx (others) */
} ;

static void split_name (char const *name, pname *p)
{
  size_t n = strlen(name) ;
  size_t star = byte_chr(name, n, '*') ;
  p->base = name ;
  p->baselen = star ;
  p->starred = star < n ;
  p->section = -1 ;
  p->extended = 0 ;
  if (!p->starred) return ;
  if (star + 1 == n) { p->extended = 1 ; return ; }
  {
    unsigned int sec ;
    size_t k = uint_scan(name + star + 1, &sec) ;
    if (k && sec < 1000)
    {
      p->section = (int)sec ;
      if (name[star + 1 + k] == '*') p->extended = 1 ;
    }
    else p->baselen = n ;   /* not a continuation: the name as a whole */
  }
}

static int same_base (pname const *a, pname const *b)
{
  return a->baselen == b->baselen && !memcmp(a->base, b->base, a->baselen) ;
}

static int cat_pct_decoded (stralloc *sa, char const *s)
{
  for (; *s ; s++)
  {
    char c = *s ;
    int b ;
    if (c == '%' && (b = hex_pair(s + 1)) >= 0)
    {
      c = (char)b ;
      s += 2 ;
    }
    if (!stralloc_catb(sa, &c, 1)) return 0 ;
  }
  return 1 ;
}

/* Appends the joined value of the group of p[i] (sections in order). */
static int join (stralloc *out, char const *src, mime_rawparam const *p, unsigned int n, pname const *names, unsigned int i)
{
  int maxsec = -1 ;
  for (unsigned int j = 0 ; j < n ; j++)
    if (names[j].starred && names[j].section > maxsec && same_base(names + j, names + i)) maxsec = names[j].section ;
  if (names[i].section < 0) maxsec = -1 ;
  for (int sec = names[i].section < 0 ? -1 : 0 ; sec <= maxsec ; sec++)
  {
    for (unsigned int j = 0 ; j < n ; j++)
    {
      if (!names[j].starred || names[j].section != sec || !same_base(names + j, names + i)) continue ;
      if (sec >= 0 && j != i && names[i].section < 0) continue ;
      if (sec < 0 && j != i) continue ;
      {
        char const *v = src + p[j].value ;
        if (!stralloc_cats(out, v)) return 0 ;
      }
      break ;   /* one value per section: the first one given */
    }
  }
  return 1 ;
}

/* Is p[i] the first of its group? */
static int first_of_group (pname const *names, unsigned int i)
{
  for (unsigned int j = 0 ; j < i ; j++)
    if (names[j].starred == names[i].starred && same_base(names + j, names + i)
     && (names[i].section < 0) == (names[j].section < 0)) return 0 ;
  return 1 ;
}

static int group_extended (pname const *names, unsigned int n, unsigned int i)
{
  if (names[i].section < 0) return names[i].extended ;
  for (unsigned int j = 0 ; j < n ; j++)
    if (names[j].starred && names[j].section == 0 && same_base(names + j, names + i)) return names[j].extended ;
  return 0 ;
}

static int any_extended (pname const *names, unsigned int n, unsigned int i)
{
  if (names[i].section < 0) return names[i].extended ;
  for (unsigned int j = 0 ; j < n ; j++)
    if (names[j].starred && names[j].section >= 0 && names[j].extended && same_base(names + j, names + i)) return 1 ;
  return 0 ;
}

static int has_starred (pname const *names, unsigned int n, unsigned int i)
{
  for (unsigned int j = 0 ; j < n ; j++)
    if (names[j].starred && same_base(names + j, names + i)) return 1 ;
  return 0 ;
}

static int run (stralloc *out, char const *src, mime_rawparam const *p, unsigned int n, int decode)
{
  int count = 0 ;
  stralloc tmp = STRALLOC_ZERO ;
  if (n > 1000) n = 1000 ;
  pname names[n ? n : 1] ;
  for (unsigned int i = 0 ; i < n ; i++) split_name(src + p[i].name, names + i) ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    /* plain parameters given twice: decoded, the first counts; joined, both stay (as written) */
    if ((decode || names[i].starred) && !first_of_group(names, i)) continue ;
    if (!names[i].starred)
    {
      /* RFC 2231 §4: when both forms are given, the extended one wins */
      if (decode && has_starred(names, n, i)) continue ;
      if (!stralloc_cats(out, src + p[i].name) || !stralloc_0(out)
       || !stralloc_cats(out, src + p[i].value) || !stralloc_0(out)) goto nomem ;
      count++ ;
      continue ;
    }
    /* a group of sections comes out where its first member stands, joined from section 0 */
    {
      int anyext = any_extended(names, n, i) ;
      if (!stralloc_catb(out, names[i].base, names[i].baselen)) goto nomem ;
      if (!decode && anyext && !stralloc_catb(out, "*", 1)) goto nomem ;
      if (!stralloc_0(out)) goto nomem ;
      if (!decode)
      {
        if (!join(out, src, p, n, names, i)) goto nomem ;
      }
      else
      {
        tmp.len = 0 ;
        if (!join(&tmp, src, p, n, names, i) || !stralloc_0(&tmp)) goto nomem ;
        if (!group_extended(names, n, i) && !anyext)
        {
          if (!stralloc_catb(out, tmp.s, tmp.len - 1)) goto nomem ;
        }
        else
        {
          /* charset'language'value (RFC 2231 §4); the percent escapes
           * of later sections are decoded with the same charset */
          char const *v = tmp.s ;
          char const *q1 = group_extended(names, n, i) ? strchr(v, '\'') : 0 ;
          char const *q2 = q1 ? strchr(q1 + 1, '\'') : 0 ;
          stralloc bytes = STRALLOC_ZERO ;
          char cs[64] = "" ;
          if (q2)
          {
            size_t cl = q1 - v < 63 ? (size_t)(q1 - v) : 63 ;
            memcpy(cs, v, cl) ; cs[cl] = 0 ;
            v = q2 + 1 ;
          }
          if (!cat_pct_decoded(&bytes, v)) { stralloc_free(&bytes) ; goto nomem ; }
          if (!(cs[0] ? mime_to_utf8(out, bytes.s, bytes.len, cs) : mime_raw_to_utf8(out, bytes.s, bytes.len)))
          {
            stralloc_free(&bytes) ;
            goto nomem ;
          }
          stralloc_free(&bytes) ;
        }
      }
      if (!stralloc_0(out)) goto nomem ;
      count++ ;
    }
  }
  stralloc_free(&tmp) ;
  return count ;
 nomem:
  stralloc_free(&tmp) ;
  return -1 ;
}

int mime_params_decode (stralloc *out, char const *src, mime_rawparam const *p, unsigned int n)
{
  return run(out, src, p, n, 1) ;
}

int mime_params_joined (stralloc *out, char const *src, mime_rawparam const *p, unsigned int n)
{
  return run(out, src, p, n, 0) ;
}
