/* ISC license. */

#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/bayes-internal.h"
#include "common/mime.h"

/* What the classifier looks at (docs/spam.md, "Tokens"): the decoded
 * Subject, From, To and Cc of the top header (each word prefixed by its
 * field: "free" in a Subject and in a body are different clues), and
 * every text/plain or text/html leaf of the MIME tree, decoded from its
 * transfer encoding and charset, HTML without its tags, plus the URLs'
 * host names. Attachments are not read. At most BAYES_TEXT_MAX bytes of
 * decoded text in all. */

static char const *const fields[4][2] =
{
  { "Subject", "subject:" },
  { "From", "from:" },
  { "To", "to:" },
  { "Cc", "to:" },
} ;

static int header_tokens (bayes_tokens *t, mime_tree const *tree)
{
  mime_part const *top = mime_at(tree, 0) ;
  for (unsigned int f = 0 ; f < 4 ; f++)
  {
    char const *v ;
    size_t vlen ;
    /* the first field of each name only: a header repeating To a
     * thousand times is not a thousand clues */
    if (!mime_header_get(tree->msg + top->hstart, top->hlen, fields[f][0], 0, &v, &vlen)) continue ;
    if (vlen > 4096) vlen = 4096 ;
    t->scratch.len = 0 ;
    if (!mime_decode_header(&t->scratch, v, vlen)) return 0 ;
    if (!bayes_words(t, fields[f][1], t->scratch.s, t->scratch.len)) return 0 ;
  }
  return 1 ;
}

static char const *charset_of (mime_tree const *tree, mime_part const *p)
{
  char const *s = mime_str(tree, p->params) ;
  if (!p->params) return 0 ;
  for (unsigned int i = 0 ; i < p->nparams ; i++)
  {
    char const *name = s ;
    char const *value = name + strlen(name) + 1 ;
    if (!strcmp(name, "charset")) return value ;
    s = value + strlen(value) + 1 ;
  }
  return 0 ;
}

int bayes_tokenize (bayes_tokens *t, char const *msg, size_t len)
{
  mime_tree tree = MIME_TREE_ZERO ;
  stralloc raw = STRALLOC_ZERO, text = STRALLOC_ZERO ;
  size_t budget = BAYES_TEXT_MAX ;
  size_t nparts ;
  int ok = 0 ;
  genalloc_setlen(uint64_t, &t->hashes, 0) ;
  t->domains.len = 0 ;
  t->ndomains = 0 ;
  if (!mime_parse(&tree, msg, len)) return 0 ;
  if (!header_tokens(t, &tree)) goto end ;
  nparts = genalloc_len(mime_part, &tree.parts) ;
  for (size_t i = 0 ; i < nparts && budget ; i++)
  {
    mime_part const *p = mime_at(&tree, i) ;
    char const *type = mime_str(&tree, p->type), *sub = mime_str(&tree, p->subtype), *cs ;
    size_t blen = p->blen ;
    int html ;
    if (p->multipart || p->message || strcmp(type, "text")) continue ;
    html = !strcmp(sub, "html") ;
    if (!html && strcmp(sub, "plain")) continue ;
    if (blen > budget * 2) blen = budget * 2 ;   /* encoded text is at most about twice its decoding... */
    raw.len = 0 ;
    if (!mime_decode_body(&raw, msg + p->bstart, blen, mime_str(&tree, p->encoding)))
    {
      raw.len = 0 ;   /* unknown encoding: taken as it is */
      if (!stralloc_catb(&raw, msg + p->bstart, blen)) goto end ;
    }
    if (raw.len > budget) raw.len = budget ;   /* ...and cut here anyway */
    budget -= raw.len ;
    text.len = 0 ;
    cs = charset_of(&tree, p) ;
    if (!mime_to_utf8(&text, raw.s, raw.len, cs && *cs ? cs : "utf-8")) goto end ;
    if (!bayes_urls(t, text.s, text.len)) goto end ;
    if (html)
    {
      t->scratch.len = 0 ;
      if (!bayes_html_text(&t->scratch, text.s, text.len)) goto end ;
      if (!bayes_words(t, "", t->scratch.s, t->scratch.len)) goto end ;
    }
    else if (!bayes_words(t, "", text.s, text.len)) goto end ;
  }
  bayes_tokens_finish(t) ;
  ok = 1 ;
 end:
  stralloc_free(&raw) ;
  stralloc_free(&text) ;
  mime_free(&tree) ;
  return ok ;
}
