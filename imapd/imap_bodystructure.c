/* ISC license. */

/* BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2 and the
 * "body" ABNF of §9), from the MIME tree:
 *
 *   multipart: (part part ... "subtype" [ext: params dsp lang loc])
 *   message/rfc822: "message" "rfc822"
 *     params id desc enc size envelope body lines [ext: md5 dsp lang loc]
 *   text/ *: "text" "sub" params id desc enc size lines [ext]
 *   others: "type" "sub" params id desc enc size [ext]
 *
 * Choices where the RFCs leave room, made as Dovecot makes them so that
 * clients see what they saw before:
 * - parameters come as written, RFC 2231 continuations joined but an
 *   extended value kept encoded under "name*" (the client decodes it);
 *   text/ * without a charset gets ("charset" "us-ascii") added at the
 *   end (RFC 2046 §4.1.2 default), other parts without parameters NIL;
 * - header texts (id, description, md5, location) are the raw field
 *   values, unfolded;
 * - a multipart in which no boundary line was found still needs one
 *   part (the ABNF has 1*body): an empty text/plain one;
 * - a message/rfc822 that was not parsed (encoded in base64 or
 *   quoted-printable, against RFC 2046 §5.2.1, or too deep) has an
 *   all-NIL envelope and an empty text/plain body;
 * - a multipart without a usable boundary is one text/plain part
 *   (common/mime.h), whatever its Content-Type says;
 * - message/global (RFC 6532) is sent in the basic form: RFC 9051 gives
 *   it the message form, but IMAP4rev1's grammar (RFC 3501) knows that
 *   form only for MESSAGE/RFC822, and a rev1 client would misparse it
 *   (Dovecot 2.3 sends the basic form too).
 * Types, subtypes and encodings come lower-cased (they are
 * case-insensitive, RFC 2045 §5.1 and §6.1). */

#include <string.h>
#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mime.h"
#include "common/mime-internal.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"

static int put (stralloc *sa, char const *s) { return stralloc_cats(sa, s) ; }

static int putnum (stralloc *sa, uint64_t n)
{
  char fmt[UINT64_FMT] ;
  return stralloc_catb(sa, fmt, uint64_fmt(fmt, n)) ;
}

/* a header field's value, unfolded and trimmed at the start; NIL if absent */
static int raw_field (stralloc *sa, mime_tree const *t, mime_part const *p, char const *name, int utf8)
{
  char const *v ;
  size_t vlen ;
  stralloc tmp = STRALLOC_ZERO ;
  int r ;
  if (!mime_header_get(t->msg + p->hstart, p->hlen, name, 0, &v, &vlen)) return put(sa, "NIL") ;
  {
    size_t i = 0 ;
    while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n')) i++ ;
    for (; i < vlen ; i++)
      if (v[i] != '\r' && v[i] != '\n' && v[i] && !stralloc_catb(&tmp, v + i, 1)) { stralloc_free(&tmp) ; return 0 ; }
  }
  r = imap_fmt_string(sa, tmp.len ? tmp.s : "", tmp.len, utf8) ;
  stralloc_free(&tmp) ;
  return r ;
}

/* "(" name value ... ")" from the joined parameters; adds the charset
 * default for text; NIL when empty. */
static int param_list (stralloc *sa, char const *pairs, unsigned int n, int add_charset, int utf8)
{
  char const *q = pairs ;
  int has_charset = 0 ;
  if (!n && !add_charset) return put(sa, "NIL") ;
  if (!put(sa, "(")) return 0 ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    char const *val = q + strlen(q) + 1 ;
    if (!strcmp(q, "charset")) has_charset = 1 ;
    if ((k && !put(sa, " "))
     || !imap_fmt_string(sa, q, strlen(q), utf8)
     || !put(sa, " ")
     || !imap_fmt_string(sa, val, strlen(val), utf8)) return 0 ;
    q = val + strlen(val) + 1 ;
  }
  if (add_charset && !has_charset)
    if (!put(sa, n ? " \"charset\" \"us-ascii\"" : "\"charset\" \"us-ascii\"")) return 0 ;
  return put(sa, ")") ;
}

/* The body-fld-param of part p: its Content-Type parameters as written
 * if the Content-Type is valid, else the defaults. */
static int params (stralloc *sa, mime_tree const *t, mime_part const *p, int is_text, int utf8)
{
  char const *v ;
  size_t vlen ;
  stralloc raw = STRALLOC_ZERO ;
  stralloc joined = STRALLOC_ZERO ;
  genalloc ga = GENALLOC_ZERO ;
  int r = 0 ;
  if (mime_header_get(t->msg + p->hstart, p->hlen, "content-type", 0, &v, &vlen))
  {
    size_t type, subtype ;
    int valid = mime_ctype_parse(&raw, &ga, v, vlen, 0, &type, &subtype) ;
    if (valid < 0) goto end ;
    /* the tree's type differs from the header's when a multipart had
     * no usable boundary: then its parameters are not this part's */
    if (valid && !strcmp(raw.s + type, mime_str(t, p->type)) && !strcmp(raw.s + subtype, mime_str(t, p->subtype)))
    {
      int n = mime_params_joined(&joined, raw.s, genalloc_s(mime_rawparam, &ga), genalloc_len(mime_rawparam, &ga)) ;
      if (n < 0) goto end ;
      r = param_list(sa, joined.s, (unsigned int)n, is_text, utf8) ;
      goto end ;
    }
  }
  /* defaults (RFC 2045 §5.2), or none for a digest's message/rfc822 */
  r = param_list(sa, "", 0, is_text, utf8) ;
 end:
  stralloc_free(&raw) ;
  stralloc_free(&joined) ;
  genalloc_free(mime_rawparam, &ga) ;
  return r ;
}

/* body-fld-dsp: ("type" params) or NIL (RFC 2183) */
static int disposition (stralloc *sa, mime_tree const *t, mime_part const *p, int utf8)
{
  char const *v ;
  size_t vlen ;
  stralloc raw = STRALLOC_ZERO ;
  stralloc joined = STRALLOC_ZERO ;
  genalloc ga = GENALLOC_ZERO ;
  size_t type, subtype ;
  int r = 0 ;
  int valid ;
  if (!mime_header_get(t->msg + p->hstart, p->hlen, "content-disposition", 0, &v, &vlen)) return put(sa, "NIL") ;
  valid = mime_ctype_parse(&raw, &ga, v, vlen, 1, &type, &subtype) ;
  if (valid < 0) goto end ;
  if (!valid) { r = put(sa, "NIL") ; goto end ; }
  {
    int n = mime_params_joined(&joined, raw.s, genalloc_s(mime_rawparam, &ga), genalloc_len(mime_rawparam, &ga)) ;
    if (n < 0) goto end ;
    r = put(sa, "(")
     && imap_fmt_string(sa, raw.s + type, strlen(raw.s + type), utf8)
     && put(sa, " ")
     && param_list(sa, joined.s, (unsigned int)n, 0, utf8)
     && put(sa, ")") ;
  }
 end:
  stralloc_free(&raw) ;
  stralloc_free(&joined) ;
  genalloc_free(mime_rawparam, &ga) ;
  return r ;
}

/* body-fld-lang: Content-Language (RFC 3282), a list of tags */
static int language (stralloc *sa, mime_tree const *t, mime_part const *p, int utf8)
{
  char const *v ;
  size_t vlen, pos = 0 ;
  unsigned int n = 0 ;
  size_t start = sa->len ;
  if (!mime_header_get(t->msg + p->hstart, p->hlen, "content-language", 0, &v, &vlen)) return put(sa, "NIL") ;
  if (!put(sa, "(")) return 0 ;
  for (unsigned int guard = 0 ; pos < vlen && guard < 1000 ; guard++)
  {
    size_t e ;
    pos = mime_skip_cfws(v, vlen, pos) ;
    if (pos >= vlen) break ;
    if (v[pos] == ',') { pos++ ; continue ; }
    e = pos ;
    while (e < vlen && v[e] && v[e] != ',' && v[e] != ' ' && v[e] != '\t' && v[e] != '\r' && v[e] != '\n' && v[e] != '(') e++ ;
    if (e == pos) { pos++ ; continue ; }
    if ((n && !put(sa, " ")) || !imap_fmt_string(sa, v + pos, e - pos, utf8)) return 0 ;
    n++ ;
    pos = e ;
  }
  if (!n) { sa->len = start ; return put(sa, "NIL") ; }
  return put(sa, ")") ;
}

/* md5 (basic and message only), dsp, lang, loc */
static int extension (stralloc *sa, mime_tree const *t, mime_part const *p, int with_md5, int utf8)
{
  if (with_md5 && (!raw_field(sa, t, p, "content-md5", utf8) || !put(sa, " "))) return 0 ;
  return disposition(sa, t, p, utf8)
   && put(sa, " ")
   && language(sa, t, p, utf8)
   && put(sa, " ")
   && raw_field(sa, t, p, "content-location", utf8) ;
}

static int empty_text (stralloc *sa, int ext)
{
  return put(sa, ext ? "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"
                     : "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)") ;
}

static int body (stralloc *sa, mime_tree const *t, uint32_t i, int ext, int utf8, unsigned int depth)
{
  mime_part const *p = mime_at(t, i) ;
  char const *type = mime_str(t, p->type) ;
  char const *subtype = mime_str(t, p->subtype) ;
  if (depth > MIME_DEPTH_MAX + 2) return empty_text(sa, ext) ;

  if (p->multipart)
  {
    if (!put(sa, "(")) return 0 ;
    if (p->child == MIME_NONE)
    {
      if (!empty_text(sa, ext)) return 0 ;
    }
    else
      for (uint32_t c = p->child ; c != MIME_NONE ; c = mime_at(t, c)->next)
        if (!body(sa, t, c, ext, utf8, depth + 1)) return 0 ;
    if (!put(sa, " ") || !imap_fmt_string(sa, subtype, strlen(subtype), utf8)) return 0 ;
    if (ext)
    {
      if (!put(sa, " ") || !params(sa, t, p, 0, utf8) || !put(sa, " ")
       || !disposition(sa, t, p, utf8) || !put(sa, " ")
       || !language(sa, t, p, utf8) || !put(sa, " ")
       || !raw_field(sa, t, p, "content-location", utf8)) return 0 ;
    }
    return put(sa, ")") ;
  }

  {
    int is_msg = !strcmp(type, "message") && !strcmp(subtype, "rfc822") ;
    int is_text = !strcmp(type, "text") ;
    char const *enc = mime_str(t, p->encoding) ;
    if (!put(sa, "(")) return 0 ;
    if (!imap_fmt_string(sa, type, strlen(type), utf8)
     || !put(sa, " ")
     || !imap_fmt_string(sa, subtype, strlen(subtype), utf8)
     || !put(sa, " ")
     || !params(sa, t, p, is_text, utf8)) return 0 ;
    if (!put(sa, " ")
     || !raw_field(sa, t, p, "content-id", utf8)
     || !put(sa, " ")
     || !raw_field(sa, t, p, "content-description", utf8)
     || !put(sa, " ")
     || !imap_fmt_string(sa, enc, strlen(enc), utf8)
     || !put(sa, " ")
     || !putnum(sa, p->blen)) return 0 ;
    if (is_msg)
    {
      if (!put(sa, " ")) return 0 ;
      if (p->message && p->child != MIME_NONE)
      {
        if (!imap_envelope(sa, t, p->child, utf8) || !put(sa, " ")
         || !body(sa, t, p->child, ext, utf8, depth + 1)) return 0 ;
      }
      else if (!put(sa, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ") || !empty_text(sa, ext)) return 0 ;
      if (!put(sa, " ") || !putnum(sa, p->blines)) return 0 ;
    }
    else if (is_text)
    {
      if (!put(sa, " ") || !putnum(sa, p->blines)) return 0 ;
    }
    if (ext && (!put(sa, " ") || !extension(sa, t, p, 1, utf8))) return 0 ;
    return put(sa, ")") ;
  }
}

int imap_bodystructure (stralloc *sa, mime_tree const *t, uint32_t part, int extensible, int utf8)
{
  size_t start = sa->len ;
  if (part >= genalloc_len(mime_part, &t->parts))
  {
    /* no tree (an empty message): one empty text part */
    return empty_text(sa, extensible) ;
  }
  if (!body(sa, t, part, extensible, utf8, 0))
  {
    sa->len = start ;
    return 0 ;
  }
  return 1 ;
}
