/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "common/mime.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"
#include "imapd/imap_fetch-internal.h"

/* SEARCH keys (RFC 9051 §6.4.4, RFC 7162 §3.1.5 MODSEQ, RFC 5032
 * OLDER/YOUNGER) against one message. Strings are compared as decoded
 * UTF-8 with i;unicode-casemap (mime_text_contains). Returns 1 (match),
 * 0 (no match), -1 (error, errno). A message whose file vanished
 * (ENOENT) matches nothing text-related.
 *
 * The program's tree comes from our parser (depth ≤ IMAP_NEST_MAX);
 * the recursion is still guarded so a bad index cannot loop. */

#define DEPTH_MAX (2 * IMAP_NEST_MAX + 8)
#define FIELD_INSTANCES_MAX 1000
#define DAY 86400

static int64_t day_of (int64_t t)
{
  return t >= 0 ? t - t % DAY : t - (DAY + t % DAY) % DAY ;
}

static int load (imap_msg *msg)
{
  if (imap_msg_load(msg)) return 1 ;
  return errno == ENOENT ? 0 : -1 ;
}

/* The top-level header (from the header cache unless the text is
 * loaded): 1, 0 (expunged: no match), -1 (error). */
static int header (imap_msg *msg, char const **h, size_t *hlen)
{
  if (imap_msg_header(msg, h, hlen)) return 1 ;
  return errno == ENOENT ? 0 : -1 ;
}

/* decoded value of every instance of field name contains needle? */
static int field_contains (char const *h, size_t hlen, char const *name, char const *needle, size_t nlen, int presence)
{
  stralloc sa = STRALLOC_ZERO ;
  int r = 0 ;
  for (unsigned int k = 0 ; k < FIELD_INSTANCES_MAX ; k++)
  {
    char const *v ;
    size_t vlen ;
    if (!mime_header_get(h, hlen, name, k, &v, &vlen)) break ;
    if (presence && !nlen) { r = 1 ; break ; }
    sa.len = 0 ;
    if (!mime_decode_header(&sa, v, vlen)) { r = -1 ; break ; }
    if (mime_text_contains(sa.s ? sa.s : "", sa.len, needle, nlen)) { r = 1 ; break ; }
  }
  stralloc_free(&sa) ;
  return r ;
}

/* any field of a header block, "name: decoded value", contains needle? */
static int header_contains (char const *h, size_t hlen, char const *needle, size_t nlen)
{
  stralloc sa = STRALLOC_ZERO ;
  size_t pos = 0 ;
  char const *name, *v ;
  size_t namelen, vlen ;
  int r = 0 ;
  for (unsigned int guard = 0 ; guard < 100000 && mime_header_next(h, hlen, &pos, &name, &namelen, &v, &vlen) ; guard++)
  {
    sa.len = 0 ;
    if (!stralloc_catb(&sa, name, namelen) || !stralloc_catb(&sa, ": ", 2) || !mime_decode_header(&sa, v, vlen)) { r = -1 ; break ; }
    if (mime_text_contains(sa.s, sa.len, needle, nlen)) { r = 1 ; break ; }
  }
  stralloc_free(&sa) ;
  return r ;
}

/* Text of the leaf parts, decoded and in UTF-8 (type text, and message
 * headers; other leaves are attachments and are not searched). With
 * headers, TEXT: every header block too. The parts are a flat array:
 * no recursion over the message's structure. */
static int body_contains (mime_tree const *t, char const *needle, size_t nlen, int headers)
{
  stralloc raw = STRALLOC_ZERO, text = STRALLOC_ZERO ;
  size_t n = genalloc_len(mime_part, &t->parts) ;
  int r = 0 ;
  for (size_t i = 0 ; i < n && !r ; i++)
  {
    mime_part const *p = mime_at(t, i) ;
    if (headers && i && p->parent != MIME_NONE && mime_at(t, p->parent)->message)
    {
      /* the header of an encapsulated message is body text of its parent */
      r = header_contains(t->msg + p->hstart, p->hlen, needle, nlen) ;
      if (r) break ;
    }
    if (p->multipart || p->message) continue ;
    if (p->type && strcmp(mime_str(t, p->type), "text")) continue ;
    raw.len = 0 ; text.len = 0 ;
    if (!mime_decode_body(&raw, t->msg + p->bstart, p->blen, mime_str(t, p->encoding)))
    {
      /* unknown encoding: search it as it is */
      raw.len = 0 ;
      if (!stralloc_catb(&raw, t->msg + p->bstart, p->blen)) { r = -1 ; break ; }
    }
    {
      char const *cs = imap_msg_part_param(t, (uint32_t)i, "charset") ;
      if (!mime_to_utf8(&text, raw.s ? raw.s : "", raw.len, cs && *cs ? cs : "us-ascii")) { r = -1 ; break ; }
    }
    if (mime_text_contains(text.s ? text.s : "", text.len, needle, nlen)) r = 1 ;
  }
  stralloc_free(&raw) ;
  stralloc_free(&text) ;
  return r ;
}

static int uid_saved (uint32_t uid, imap_search_ctx const *ctx)
{
  size_t lo = 0, hi = ctx->nsaved ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    if (ctx->saved[mid] == uid) return 1 ;
    if (ctx->saved[mid] < uid) lo = mid + 1 ; else hi = mid ;
  }
  return 0 ;
}

static int keyword_bit (char const *name, size_t len, imap_search_ctx const *ctx)
{
  for (unsigned int i = 0 ; i < ctx->nkeywords && i < 32 ; i++)
    if (strlen(ctx->keywords[i]) == len && !strncasecmp(ctx->keywords[i], name, len)) return (int)i ;
  return -1 ;
}

static int match (imap_search const *s, uint32_t node, imap_msg *msg, imap_search_ctx const *ctx, unsigned int depth)
{
  size_t nn = genalloc_len(imap_search_node, &s->nodes) ;
  imap_search_node const *x ;
  mbox_msg const *m = msg->m ;
  char const *str ;
  uint32_t sysflags ;
  if (depth > DEPTH_MAX || node >= nn) { errno = EINVAL ; return -1 ; }
  x = genalloc_s(imap_search_node, &s->nodes) + node ;
  str = s->strings.s ? s->strings.s + x->str : "" ;
  sysflags = m->flags | (msg->recent ? IMAP_FLAG_RECENT : 0) ;
  switch (x->op)
  {
    case IMAP_SK_AND :
      for (uint32_t k = 0 ; k < x->n ; k++)
      {
        int r = match(s, x->a + k, msg, ctx, depth + 1) ;
        if (r <= 0) return r ;
      }
      return 1 ;
    case IMAP_SK_OR :
    {
      int r = match(s, x->a, msg, ctx, depth + 1) ;
      if (r) return r ;
      return match(s, x->n, msg, ctx, depth + 1) ;
    }
    case IMAP_SK_NOT :
    {
      int r = match(s, x->a, msg, ctx, depth + 1) ;
      return r < 0 ? r : !r ;
    }
    case IMAP_SK_ALL : return 1 ;
    case IMAP_SK_FLAG : return (sysflags & x->num) == x->num ;
    case IMAP_SK_UNFLAG : return !(sysflags & x->num) ;
    case IMAP_SK_NEW : return msg->recent && !(m->flags & MBOX_SEEN) ;
    case IMAP_SK_KEYWORD :
    case IMAP_SK_UNKEYWORD :
    {
      int bit = keyword_bit(str, x->strlen, ctx) ;
      int has = bit >= 0 && (m->keywords & (1u << bit)) ;
      return x->op == IMAP_SK_KEYWORD ? has : !has ;
    }
    case IMAP_SK_BCC :
    case IMAP_SK_CC :
    case IMAP_SK_FROM :
    case IMAP_SK_TO :
    case IMAP_SK_SUBJECT :
    {
      static char const *const names[5] = { "Bcc", "Cc", "From", "To", "Subject" } ;
      char const *h ;
      size_t hlen ;
      int r = header(msg, &h, &hlen) ;
      if (r <= 0) return r ;
      return field_contains(h, hlen, names[x->op - IMAP_SK_BCC], str, x->strlen, 0) ;
    }
    case IMAP_SK_HEADER :
    {
      /* str = field name, str2 = substring; empty: the field is there (RFC 9051 §6.4.4) */
      stralloc name = STRALLOC_ZERO ;
      char const *h ;
      size_t hlen ;
      int r = header(msg, &h, &hlen) ;
      if (r <= 0) return r ;
      if (!stralloc_catb(&name, str, x->strlen) || !stralloc_0(&name)) { stralloc_free(&name) ; return -1 ; }
      r = field_contains(h, hlen, name.s, s->strings.s + x->str2, x->str2len, 1) ;
      stralloc_free(&name) ;
      return r ;
    }
    case IMAP_SK_BODY :
    case IMAP_SK_TEXT :
    {
      int r = load(msg) ;
      if (r <= 0) return r ;
      if (x->op == IMAP_SK_TEXT)
      {
        mime_part const *top = mime_at(&msg->tree, 0) ;
        r = header_contains(msg->tree.msg + top->hstart, top->hlen, str, x->strlen) ;
        if (r) return r ;
      }
      return body_contains(&msg->tree, str, x->strlen, x->op == IMAP_SK_TEXT) ;
    }
    case IMAP_SK_BEFORE : return day_of(m->internaldate) < (int64_t)x->num ;
    case IMAP_SK_ON : return day_of(m->internaldate) == (int64_t)x->num ;
    case IMAP_SK_SINCE : return day_of(m->internaldate) >= (int64_t)x->num ;
    case IMAP_SK_SENTBEFORE :
    case IMAP_SK_SENTON :
    case IMAP_SK_SENTSINCE :
    {
      /* the Date: field's own date, disregarding time and zone; no
       * usable Date: falls back to the internal date (RFC 5256 §2.2) */
      char const *v, *h ;
      size_t vlen, hlen ;
      int64_t t, day ;
      int tz = 0 ;
      int r = header(msg, &h, &hlen) ;
      if (r <= 0) return r ;
      if (mime_header_get(h, hlen, "Date", 0, &v, &vlen) && mime_parse_date(v, vlen, &t, &tz))
        day = day_of(t + (int64_t)tz * 60) ;
      else day = day_of(m->internaldate) ;
      if (x->op == IMAP_SK_SENTBEFORE) return day < (int64_t)x->num ;
      if (x->op == IMAP_SK_SENTON) return day == (int64_t)x->num ;
      return day >= (int64_t)x->num ;
    }
    case IMAP_SK_LARGER : return m->size > x->num ;
    case IMAP_SK_SMALLER : return m->size < x->num ;
    case IMAP_SK_OLDER : return ctx->now - m->internaldate >= (int64_t)x->num ;
    case IMAP_SK_YOUNGER : return ctx->now - m->internaldate <= (int64_t)x->num ;
    case IMAP_SK_SEQSET :
      if (x->set.saved) return uid_saved(m->uid, ctx) ;
      return imap_seqset_contains(&x->set, msg->seq, ctx->maxseq) ;
    case IMAP_SK_UIDSET :
      if (x->set.saved) return uid_saved(m->uid, ctx) ;
      return imap_seqset_contains(&x->set, m->uid, ctx->maxuid) ;
    case IMAP_SK_MODSEQ : return m->modseq >= x->num ;
    default :
      errno = EINVAL ;
      return -1 ;
  }
}

int imap_search_match (imap_search const *s, uint32_t node, imap_msg *msg, imap_search_ctx const *ctx)
{
  return match(s, node, msg, ctx, 0) ;
}
