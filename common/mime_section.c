/* ISC license. */

/* RFC 9051 §6.4.5 section numbers: each number picks a part of the
 * multipart above it; a message/rfc822 part's numbers go on into its
 * encapsulated message; a message that is not multipart has exactly
 * one part, 1, itself. */

#include "common/mime.h"

static uint32_t nth_child (mime_tree const *t, uint32_t p, uint32_t k)
{
  uint32_t c = mime_at(t, p)->child ;
  while (c != MIME_NONE && --k) c = mime_at(t, c)->next ;
  return c ;
}

/* Part k of the entity p (a whole message or a multipart). */
static uint32_t pick (mime_tree const *t, uint32_t p, uint32_t k)
{
  if (mime_at(t, p)->multipart) return nth_child(t, p, k) ;
  return k == 1 ? p : MIME_NONE ;
}

uint32_t mime_section (mime_tree const *t, uint32_t const *path, unsigned int n)
{
  uint32_t cur = 0 ;
  if (!genalloc_len(mime_part, &t->parts)) return MIME_NONE ;
  if (!n) return 0 ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    if (!path[i]) return MIME_NONE ;
    if (i)
    {
      mime_part const *p = mime_at(t, cur) ;
      if (p->message && p->child != MIME_NONE) cur = p->child ;
      else if (!p->multipart) return MIME_NONE ;
    }
    cur = pick(t, cur, path[i]) ;
    if (cur == MIME_NONE) return MIME_NONE ;
  }
  return cur ;
}
