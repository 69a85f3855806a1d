/* ISC license. */

/* libFuzzer harness for common/mime (the MIME tree, header fields,
 * parameters, encoded words, body decoding, folding, subjects, dates,
 * Message-IDs) and imapd's ENVELOPE and BODYSTRUCTURE writers, which
 * read every message a client fetches. Input: a message, LF or CRLF.
 * Checks beyond "no crash, no sanitizer report": every part lies inside
 * the message, headers before bodies; part counts and depth within
 * MIME_PARTS_MAX and MIME_DEPTH_MAX; every part is reachable by a section
 * number; ENVELOPE and BODYSTRUCTURE have balanced parentheses and exact
 * literals; folding is idempotent. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "common/mime.h"
#include "imapd/imap_msg.h"

static void well_formed (char const *s, size_t len)
{
  int depth = 0 ;
  size_t i = 0 ;
  while (i < len)
  {
    char c = s[i] ;
    if (c == '(') { depth++ ; i++ ; }
    else if (c == ')') { if (--depth < 0) abort() ; i++ ; }
    else if (c == '"')
    {
      for (i++ ; i < len && s[i] != '"' ; i += s[i] == '\\' ? 2 : 1)
        if (s[i] == '\r' || s[i] == '\n' || !s[i]) abort() ;
      if (i >= len) abort() ;
      i++ ;
    }
    else if (c == '{')
    {
      size_t n = 0 ;
      for (i++ ; i < len && s[i] >= '0' && s[i] <= '9' ; i++) n = n * 10 + (s[i] - '0') ;
      if (i + 3 > len || memcmp(s + i, "}\r\n", 3)) abort() ;
      i += 3 + n ;
      if (i > len) abort() ;
    }
    else if (c == '\r' || c == '\n' || !c) abort() ;
    else i++ ;
  }
  if (depth) abort() ;
}

static void walk (mime_tree const *t, uint32_t e, uint32_t *path, unsigned int n)
{
  mime_part const *ep = mime_at(t, e) ;
  uint32_t k = 0 ;
  if (n >= 40) return ;
  for (uint32_t c = ep->multipart ? ep->child : e ; c != MIME_NONE ; c = ep->multipart ? mime_at(t, c)->next : MIME_NONE)
  {
    mime_part const *p = mime_at(t, c) ;
    path[n] = ++k ;
    if (mime_section(t, path, n + 1) != c) abort() ;
    if (p->message && p->child != MIME_NONE) walk(t, p->child, path, n + 1) ;
    else if (p->multipart && c != e) walk(t, c, path, n + 1) ;
    if (!ep->multipart) break ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *msg = (char const *)data ;
  mime_tree t = MIME_TREE_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  stralloc sb = STRALLOC_ZERO ;
  uint32_t path[40] ;
  if (!mime_parse(&t, msg, size)) abort() ;
  {
    size_t n = genalloc_len(mime_part, &t.parts) ;
    if (!n || n > MIME_PARTS_MAX) abort() ;
    for (size_t i = 0 ; i < n ; i++)
    {
      mime_part const *p = mime_at(&t, i) ;
      if (p->hstart + p->hlen > p->bstart || p->bstart + p->blen > size || p->depth > MIME_DEPTH_MAX) abort() ;
      if (p->parent != MIME_NONE && (p->parent >= i || p->hstart < mime_at(&t, p->parent)->bstart)) abort() ;
      if (!mime_str(&t, p->type)[0] && p->type) abort() ;
    }
  }
  walk(&t, 0, path, 0) ;
  if (!imap_envelope(&sa, &t, 0, data[0] & 1)) abort() ;
  well_formed(sa.s, sa.len) ;
  sa.len = 0 ;
  if (!imap_bodystructure(&sa, &t, 0, 1, data[0] & 1)) abort() ;
  well_formed(sa.s, sa.len) ;
  sa.len = 0 ;
  if (!imap_bodystructure(&sa, &t, 0, 0, 0)) abort() ;
  well_formed(sa.s, sa.len) ;

  /* the header and body helpers on the same bytes */
  {
    mime_part const *p = mime_at(&t, 0) ;
    size_t pos = 0 ;
    char const *name, *v ;
    size_t namelen, vlen ;
    int64_t when ;
    int tz, reply ;
    for (unsigned int guard = 0 ; guard < 1000 && mime_header_next(msg + p->hstart, p->hlen, &pos, &name, &namelen, &v, &vlen) ; guard++)
    {
      sa.len = 0 ;
      if (!mime_decode_header(&sa, v, vlen)) abort() ;
      sb.len = 0 ;
      if (!mime_fold(&sb, sa.s, sa.len)) abort() ;
      {
        /* folding twice changes nothing */
        stralloc sc = STRALLOC_ZERO ;
        if (!mime_fold(&sc, sb.s, sb.len)) abort() ;
        if (sc.len != sb.len || memcmp(sc.s, sb.s, sb.len)) abort() ;
        stralloc_free(&sc) ;
      }
      if (mime_text_contains(sa.s, sa.len, sa.s, sa.len) != 1) abort() ;
      sa.len = 0 ;
      mime_param(&sa, v, vlen, "name") ;
      sa.len = 0 ;
      if (!mime_base_subject(&sa, v, vlen, &reply)) abort() ;
      mime_parse_date(v, vlen, &when, &tz) ;
      sa.len = 0 ;
      mime_msgids(&sa, v, vlen) ;
    }
    for (size_t i = 0 ; i < genalloc_len(mime_part, &t.parts) ; i++)
    {
      mime_part const *q = mime_at(&t, i) ;
      sa.len = 0 ;
      mime_decode_body(&sa, msg + q->bstart, q->blen, mime_str(&t, q->encoding)) ;
      sb.len = 0 ;
      if (!mime_to_utf8(&sb, sa.s ? sa.s : "", sa.len, "iso-8859-2")) abort() ;
    }
  }
  stralloc_free(&sa) ;
  stralloc_free(&sb) ;
  mime_free(&t) ;
  return 0 ;
}
