/* ISC license. */

/* The MIME tree of a whole message, in one pass over its lines, the way
 * Dovecot's message parser reads real-world mail (RFC 2046 §5.1.1 with
 * its failure modes):
 * - a boundary line is "--" + boundary at the start of a line, anything
 *   may follow; when several open multiparts' boundaries match, the
 *   longest wins, so inner parts may reuse a prefix of an outer one;
 * - the line end before a boundary line belongs to the boundary, even
 *   when it ends a header or a close delimiter line (there Dovecot
 *   differs: tests/integration/test_mime_dovecot.py);
 * - a boundary of an outer multipart closes every part inside it, even
 *   an inner multipart whose own close delimiter never came;
 * - after the close delimiter "--boundary--", the epilogue belongs to
 *   the multipart and its boundary is no longer looked for;
 * - a boundary line met inside a part's header ends that header;
 * - a multipart without a boundary parameter, or one deeper than
 *   MIME_DEPTH_MAX, is a leaf; after MIME_PARTS_MAX parts, no new part
 *   starts and the rest belongs to the part being read.
 * Nothing fails but allocation. */

#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include <skalibs/bytestr.h>
#include "common/mime.h"
#include "common/mime-internal.h"

typedef struct bnd_s bnd ;
struct bnd_s
{
  uint32_t part ;
  size_t off ;        /* the boundary, in t->strings */
  size_t len ;
  int closed ;
} ;

typedef struct pctx_s pctx ;
struct pctx_s
{
  mime_tree *t ;
  bnd stack[MIME_DEPTH_MAX + 1] ;
  unsigned int n ;
  stralloc tmp ;
  genalloc rawp ;     /* mime_rawparam */
} ;

static size_t next_line (char const *s, size_t len, size_t pos)
{
  char const *nl = memchr(s + pos, '\n', len - pos) ;
  return nl ? (size_t)(nl - s) + 1 : len ;
}

/* The longest open boundary that the line at pos starts with; -1 if none. */
static int boundary_at (pctx const *c, size_t pos)
{
  mime_tree const *t = c->t ;
  size_t avail = t->len - pos ;
  int best = -1 ;
  if (avail < 2 || t->msg[pos] != '-' || t->msg[pos+1] != '-') return -1 ;
  for (unsigned int i = c->n ; i-- ;)
  {
    bnd const *b = c->stack + i ;
    if (b->closed || b->len > avail - 2) continue ;
    if (memcmp(t->msg + pos + 2, t->strings.s + b->off, b->len)) continue ;
    if (best < 0 || c->stack[best].len < b->len) best = i ;
  }
  return best ;
}

static uint32_t new_part (pctx *c, uint32_t parent, size_t start)
{
  mime_tree *t = c->t ;
  mime_part p =
  {
    .hstart = start, .hlen = 0, .bstart = start, .blen = 0, .blines = 0,
    .parent = parent, .child = MIME_NONE, .next = MIME_NONE, .nchildren = 0,
    .depth = 0, .multipart = 0, .message = 0,
    .type = 0, .subtype = 0, .params = 0, .nparams = 0, .boundary = 0, .encoding = 0
  } ;
  uint32_t i = genalloc_len(mime_part, &t->parts) ;
  if (parent != MIME_NONE)
  {
    mime_part *par = mime_at(t, parent) ;
    p.depth = par->depth + 1 ;
    if (par->child == MIME_NONE) par->child = i ;
    else
    {
      uint32_t k = par->child ;
      while (mime_at(t, k)->next != MIME_NONE) k = mime_at(t, k)->next ;
      mime_at(t, k)->next = i ;
    }
    par->nchildren++ ;
  }
  if (!genalloc_append(mime_part, &t->parts, &p)) return MIME_NONE ;
  return i ;
}

static int add_str (mime_tree *t, char const *s, size_t *off)
{
  *off = t->strings.len ;
  return stralloc_cats(&t->strings, s) && stralloc_0(&t->strings) ;
}

/* Content-Type and Content-Transfer-Encoding of part i, with the
 * defaults of RFC 2045 §5.2 (text/plain; charset=us-ascii) and RFC 2046
 * §5.1.5 (message/rfc822 in a digest). */
static int part_types (pctx *c, uint32_t i)
{
  mime_tree *t = c->t ;
  mime_part *p = mime_at(t, i) ;
  char const *h = t->msg + p->hstart ;
  size_t hlen = p->hlen ;
  char const *v ;
  size_t vlen ;
  int digest = 0 ;
  int valid = 0 ;
  size_t type, subtype ;
  if (p->parent != MIME_NONE)
  {
    mime_part const *par = mime_at(t, p->parent) ;
    digest = par->multipart && !strcmp(mime_str(t, par->subtype), "digest") ;
  }
  c->tmp.len = 0 ;
  genalloc_setlen(mime_rawparam, &c->rawp, 0) ;
  if (mime_header_get(h, hlen, "content-type", 0, &v, &vlen))
  {
    int r = mime_ctype_parse(&c->tmp, &c->rawp, v, vlen, 0, &type, &subtype) ;
    if (r < 0) return 0 ;
    valid = r ;
  }
  if (valid)
  {
    size_t off ;
    if (!add_str(t, c->tmp.s + type, &off)) return 0 ;
    mime_at(t, i)->type = off ;
    if (!add_str(t, c->tmp.s + subtype, &off)) return 0 ;
    mime_at(t, i)->subtype = off ;
    {
      size_t before = t->strings.len ;
      int n = mime_params_decode(&t->strings, c->tmp.s, genalloc_s(mime_rawparam, &c->rawp), genalloc_len(mime_rawparam, &c->rawp)) ;
      if (n < 0) return 0 ;
      p = mime_at(t, i) ;
      p->params = n ? before : 0 ;
      p->nparams = n ;
    }
  }
  else
  {
    size_t off ;
    if (!add_str(t, digest ? "message" : "text", &off)) return 0 ;
    mime_at(t, i)->type = off ;
    if (!add_str(t, digest ? "rfc822" : "plain", &off)) return 0 ;
    mime_at(t, i)->subtype = off ;
    if (!digest)
    {
      size_t before = t->strings.len ;
      if (!stralloc_catb(&t->strings, "charset\0us-ascii", 17)) return 0 ;
      mime_at(t, i)->params = before ;
      mime_at(t, i)->nparams = 1 ;
    }
  }
  p = mime_at(t, i) ;

  {
    size_t off ;
    c->tmp.len = 0 ;
    if (mime_header_get(h, hlen, "content-transfer-encoding", 0, &v, &vlen))
    {
      size_t pos = mime_skip_cfws(v, vlen, 0) ;
      size_t e = mime_token_end(v, vlen, pos) ;
      if (!stralloc_catb(&c->tmp, v + pos, e - pos)) return 0 ;
      case_lowerb(c->tmp.s, c->tmp.len) ;
    }
    if (!c->tmp.len && !stralloc_cats(&c->tmp, "7bit")) return 0 ;
    if (!stralloc_0(&c->tmp)) return 0 ;
    if (!add_str(t, c->tmp.s, &off)) return 0 ;
    mime_at(t, i)->encoding = off ;
  }
  p = mime_at(t, i) ;

  {
    char const *ty = mime_str(t, p->type) ;
    char const *st = mime_str(t, p->subtype) ;
    if (!strcmp(ty, "multipart"))
    {
      /* the boundary: the decoded parameter (RFC 2046 §5.1.1 allows no
       * extended form, but its continuations would be joined) */
      char const *q = mime_str(t, p->params) ;
      for (unsigned int k = 0 ; p->params && k < p->nparams ; k++)
      {
        char const *val = q + strlen(q) + 1 ;
        if (!strcmp(q, "boundary") && *val) { p->boundary = val - t->strings.s ; break ; }
        q = val + strlen(val) + 1 ;
      }
      if (p->boundary && p->depth < MIME_DEPTH_MAX) p->multipart = 1 ;
      else
      {
        /* no usable boundary, or too deep: one text part (common/mime.h) */
        size_t off ;
        if (!add_str(t, "text", &off)) return 0 ;
        mime_at(t, i)->type = off ;
        if (!add_str(t, "plain", &off)) return 0 ;
        mime_at(t, i)->subtype = off ;
        off = t->strings.len ;
        if (!stralloc_catb(&t->strings, "charset\0us-ascii", 17)) return 0 ;
        p = mime_at(t, i) ;
        p->params = off ;
        p->nparams = 1 ;
        p->boundary = 0 ;
      }
    }
    else if (!strcmp(ty, "message") && (!strcmp(st, "rfc822") || !strcmp(st, "global")) && p->depth < MIME_DEPTH_MAX)
    {
      /* an encoded message/rfc822 (RFC 2046 §5.2.1 forbids it) is not parsed */
      char const *enc = mime_str(t, p->encoding) ;
      if (strcmp(enc, "base64") && strcmp(enc, "quoted-printable")) p->message = 1 ;
    }
  }
  return 1 ;
}

/* Reads the header of part i starting at pos: up to and including the
 * empty line, or up to a boundary line, or the end. Returns the body start. */
static size_t read_header (pctx *c, uint32_t i, size_t pos)
{
  mime_tree *t = c->t ;
  size_t start = pos ;
  while (pos < t->len)
  {
    size_t e = next_line(t->msg, t->len, pos) ;
    if (t->msg[pos] == '\n' || (t->msg[pos] == '\r' && pos + 1 < t->len && t->msg[pos+1] == '\n')) { pos = e ; break ; }
    if (c->n && boundary_at(c, pos) >= 0) break ;
    pos = e ;
  }
  mime_at(t, i)->hstart = start ;
  mime_at(t, i)->hlen = pos - start ;
  mime_at(t, i)->bstart = pos ;
  return pos ;
}

static void close_part (mime_tree *t, uint32_t i, size_t end)
{
  mime_part *p = mime_at(t, i) ;
  char const *s ;
  size_t n = 0 ;
  if (end < p->bstart)
  {
    /* the line end before a boundary is the boundary's even when it
     * ends the header: "Content-Type: x CRLF CRLF --b" has a header
     * without its empty line and an empty body (RFC 2046 §5.1.1,
     * delimiter := CRLF dash-boundary) */
    if (end < p->hstart) end = p->hstart ;
    p->hlen = end - p->hstart ;
    p->bstart = end ;
  }
  p->blen = end - p->bstart ;
  s = t->msg + p->bstart ;
  for (size_t k = 0 ; k < p->blen ; k++) if (s[k] == '\n') n++ ;
  p->blines = n ;
}

/* Starts part i at pos: its header, then the beginning of its body.
 * Returns the part whose body is being read, MIME_NONE on ENOMEM. */
static uint32_t start_part (pctx *c, uint32_t i, size_t *pos)
{
  mime_tree *t = c->t ;
  for (unsigned int guard = 0 ; guard <= MIME_DEPTH_MAX + 1 ; guard++)
  {
    mime_part *p ;
    *pos = read_header(c, i, *pos) ;
    if (!part_types(c, i)) return MIME_NONE ;
    p = mime_at(t, i) ;
    if (p->multipart)
    {
      if (c->n > MIME_DEPTH_MAX) { p->multipart = 0 ; return i ; }
      c->stack[c->n].part = i ;
      c->stack[c->n].off = p->boundary ;
      c->stack[c->n].len = strlen(mime_str(t, p->boundary)) ;
      c->stack[c->n].closed = 0 ;
      c->n++ ;
      return i ;
    }
    if (!p->message) return i ;
    if (genalloc_len(mime_part, &t->parts) >= MIME_PARTS_MAX) { p->message = 0 ; return i ; }
    {
      uint32_t k = new_part(c, i, *pos) ;
      if (k == MIME_NONE) return MIME_NONE ;
      i = k ;
    }
  }
  return i ;
}

int mime_parse (mime_tree *t, char const *msg, size_t len)
{
  pctx c = { .t = t, .n = 0, .tmp = STRALLOC_ZERO, .rawp = GENALLOC_ZERO } ;
  uint32_t cur ;
  size_t pos = 0 ;
  if (!msg) { msg = "" ; len = 0 ; }   /* an empty stralloc has no storage */
  t->msg = msg ;
  t->len = len ;
  genalloc_setlen(mime_part, &t->parts, 0) ;
  t->strings.len = 0 ;
  if (!stralloc_0(&t->strings)) return 0 ;
  if (new_part(&c, MIME_NONE, 0) == MIME_NONE) goto nomem ;
  cur = start_part(&c, 0, &pos) ;
  if (cur == MIME_NONE) goto nomem ;

  while (pos < len)
  {
    size_t e = next_line(msg, len, pos) ;
    int b = c.n ? boundary_at(&c, pos) : -1 ;
    if (b < 0) { pos = e ; continue ; }
    {
      uint32_t owner = c.stack[b].part ;
      size_t end = pos ;
      if (end >= 2 && msg[end-1] == '\n' && msg[end-2] == '\r') end -= 2 ;
      else if (end >= 1 && msg[end-1] == '\n') end-- ;
      /* every part inside the owner ends here */
      for (uint32_t k = cur ; k != owner && k != MIME_NONE ; k = mime_at(t, k)->parent)
        close_part(t, k, end) ;
      c.n = b + 1 ;
      cur = owner ;
      if (pos + 2 + c.stack[b].len + 2 <= len && msg[pos + 2 + c.stack[b].len] == '-' && msg[pos + 3 + c.stack[b].len] == '-')
      {
        c.stack[b].closed = 1 ;
        pos = e ;
        continue ;
      }
      pos = e ;
      if (genalloc_len(mime_part, &t->parts) >= MIME_PARTS_MAX)
      {
        /* no more parts: the rest is the owner's */
        c.n = 0 ;
        continue ;
      }
      {
        uint32_t k = new_part(&c, owner, pos) ;
        if (k == MIME_NONE) goto nomem ;
        cur = start_part(&c, k, &pos) ;
        if (cur == MIME_NONE) goto nomem ;
      }
    }
  }
  for (uint32_t k = cur ; k != MIME_NONE ; k = mime_at(t, k)->parent) close_part(t, k, len) ;
  stralloc_free(&c.tmp) ;
  genalloc_free(mime_rawparam, &c.rawp) ;
  return 1 ;
 nomem:
  stralloc_free(&c.tmp) ;
  genalloc_free(mime_rawparam, &c.rawp) ;
  return 0 ;
}
