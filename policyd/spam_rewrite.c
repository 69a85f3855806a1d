/* ISC license. */

#include <string.h>
#include <strings.h>

#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/mime.h"
#include "spam.h"

/* What needs queued's "remove" lines (docs/filters.md; offered with
 * FILTER_REMOVE=1):
 * - the message's own X-Spam-* fields go, as Amavis's
 *   $remove_existing_spam_headers does: a sender's "X-Spam-Status: No"
 *   must not reach a Sieve script or a client that reads another than
 *   ours (fields an earlier filter added are out of queued's reach, and
 *   stay);
 * - with docker-mailserver's SPAM_SUBJECT and a score from SA_TAG2 on,
 *   the Subject is replaced by the prefix and the original value (its
 *   encoded words untouched), as Amavis's sa_spam_subject_tag does.
 * At most 16 remove lines in all (queued's bound): the Subject's first. */

#define REMOVES_MAX 16

static char const *const names[] = { "X-Spam-Score", "X-Spam-Status", "X-Spam", "X-Spam-Flag", "X-Spam-Level", "X-Spam-Report" } ;
#define NNAMES (sizeof(names) / sizeof(names[0]))

static int add_remove (stralloc *rm, char const *name, unsigned int n, unsigned int *count)
{
  char fmt[UINT_FMT] ;
  if (*count >= REMOVES_MAX) return 1 ;
  (*count)++ ;
  return stralloc_cats(rm, "remove ") && stralloc_cats(rm, name) && stralloc_catb(rm, " ", 1)
    && stralloc_catb(rm, fmt, uint_fmt(fmt, n)) && stralloc_catb(rm, "\n", 1) ;
}

/* the original value, control bytes made '?', lines kept (a fold stays a fold) */
static int subject_field (stralloc *sa, char const *prefix, char const *v, size_t vlen)
{
  size_t start = sa->len, line = 0 ;
  while (vlen && (*v == ' ' || *v == '\t')) { v++ ; vlen-- ; }
  while (vlen && (v[vlen - 1] == '\n' || v[vlen - 1] == '\r')) vlen-- ;
  if (!stralloc_cats(sa, "Subject: ") || !stralloc_cats(sa, prefix)) return 0 ;
  for (size_t i = 0 ; i < vlen ; i++)
  {
    char c = v[i] ;
    if (c == '\r') continue ;
    if (c == '\n')
    {
      /* a fold: the next line starts with white space; anything else is no header line */
      if (i + 1 >= vlen || (v[i + 1] != ' ' && v[i + 1] != '\t')) { c = ' ' ; }
      else { line = 0 ; if (!stralloc_catb(sa, "\n", 1)) return 0 ; continue ; }
    }
    if ((unsigned char)c < 32 && c != '\t') c = '?' ;
    if ((unsigned char)c == 127) c = '?' ;
    if (++line > 900) { if (!stralloc_cats(sa, "\n ")) return 0 ; line = 1 ; }
    if (!stralloc_catb(sa, &c, 1)) return 0 ;
  }
  (void)start ;
  return stralloc_catb(sa, "\n", 1) ;
}

int spam_rewrite (spam_settings const *set, spam const *s, stralloc *fields, stralloc *removes)
{
  unsigned int count = 0 ;
  if (set->spam_subject && s->score >= set->tag2)
  {
    char const *v ;
    size_t vlen ;
    if (mime_header_get(s->msg.s, s->hlen, "Subject", 0, &v, &vlen))
    {
      if (!subject_field(fields, set->spam_subject, v, vlen > 65536 ? 65536 : vlen)) return 0 ;
      if (!add_remove(removes, "Subject", 1, &count)) return 0 ;
    }
    else if (!subject_field(fields, set->spam_subject, "", 0)) return 0 ;
  }
  for (unsigned int k = 0 ; k < NNAMES ; k++)
  {
    char const *v ;
    size_t vlen ;
    for (unsigned int n = 0 ; n < REMOVES_MAX && mime_header_get(s->msg.s, s->hlen, names[k], n, &v, &vlen) ; n++)
      if (!add_remove(removes, names[k], n + 1, &count)) return 0 ;
  }
  return 1 ;
}
