/* ISC license. */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include "common/mime.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"
#include "imapd/imap_fetch-internal.h"

/* One BODY[section]<partial> / BINARY[section] / BINARY.SIZE[section]
 * item (RFC 9051 §6.4.5, RFC 3516), appended as "<echo> <data>". */

static int field_wanted (char const *name, size_t namelen, char const *fields, unsigned int nfields)
{
  for (unsigned int i = 0 ; i < nfields ; i++)
  {
    size_t len = strlen(fields) ;
    if (len == namelen && !strncasecmp(name, fields, len)) return 1 ;
    fields += len + 1 ;
  }
  return 0 ;
}

/* HEADER.FIELDS (and .NOT): the matching fields as they are, in message
 * order, then the empty line (RFC 9051 §6.4.5). */
static int header_fields (stralloc *sa, char const *h, size_t hlen, char const *fields, unsigned int nfields, int not)
{
  size_t pos = 0 ;
  char const *name, *v ;
  size_t namelen, vlen ;
  for (unsigned int guard = 0 ; guard < 100000 && mime_header_next(h, hlen, &pos, &name, &namelen, &v, &vlen) ; guard++)
  {
    if (field_wanted(name, namelen, fields, nfields) == !not)
      if (!stralloc_catb(sa, name, (size_t)(v + vlen - name)) || !stralloc_catb(sa, "\r\n", 2)) return 0 ;
  }
  return stralloc_catb(sa, "\r\n", 2) ;
}

/* The data of an item (after its echo): BINARY.SIZE's number, NIL, or
 * the (partial) data as a literal. */
static int emit (stralloc *sa, imap_section const *sec, char const *data, size_t len, int have, int binary)
{
  if (sec->kind == IMAP_SECTION_BINARY_SIZE)
  {
    char fmt[UINT64_FMT] ;
    return have ? stralloc_catb(sa, fmt, uint64_fmt(fmt, len)) : stralloc_cats(sa, "0") ;
  }
  if (!have) return stralloc_cats(sa, "NIL") ;
  if (sec->partial)
  {
    /* <offset.count>: past the end is an empty string (RFC 9051 §6.4.5) */
    if (sec->offset >= len) len = 0 ;
    else
    {
      data += sec->offset ;
      len -= sec->offset ;
      if (sec->count < len) len = sec->count ;
    }
  }
  return imap_fetch_fmt_literal(sa, data ? data : "", len, binary) ;
}

/* Appends the item's data. errno EILSEQ: unknown transfer encoding. */
int imap_fetch_section (stralloc *sa, imap_msg *msg, imap_fetch const *f, imap_section const *sec)
{
  mime_tree const *t = &msg->tree ;
  stralloc tmp = STRALLOC_ZERO ;
  char const *data = 0 ;
  size_t len = 0 ;
  int have = 1 ;
  int binary = sec->kind == IMAP_SECTION_BINARY || sec->kind == IMAP_SECTION_BINARY_PEEK || sec->kind == IMAP_SECTION_BINARY_SIZE ;
  uint32_t p = sec->nparts ? mime_section(t, sec->part, sec->nparts) : 0 ;
  int ok = 0 ;

  if (!stralloc_cats(sa, f->strings.s + sec->echo) || !stralloc_catb(sa, " ", 1)) return 0 ;
  if (p == MIME_NONE || p >= genalloc_len(mime_part, &t->parts)) have = 0 ;
  else if (binary)
  {
    mime_part const *part = mime_at(t, p) ;
    if (!sec->nparts)
    {
      data = t->msg ; len = t->len ;
    }
    else if (part->multipart || part->message)
    {
      data = t->msg + part->bstart ; len = part->blen ;
    }
    else
    {
      if (!mime_decode_body(&tmp, t->msg + part->bstart, part->blen, mime_str(t, part->encoding)))
      {
        stralloc_free(&tmp) ;
        if (errno != ENOMEM) errno = EILSEQ ;   /* EILSEQ: [UNKNOWN-CTE] */
        return 0 ;
      }
      data = tmp.s ; len = tmp.len ;
    }
  }
  else
  {
    mime_part const *part = mime_at(t, p) ;
    uint32_t top = p ;
    if (sec->text == IMAP_TEXT_HEADER || sec->text == IMAP_TEXT_HEADER_FIELDS || sec->text == IMAP_TEXT_HEADER_FIELDS_NOT || sec->text == IMAP_TEXT_TEXT)
    {
      /* with a part number, the part must be an encapsulated message */
      if (sec->nparts)
      {
        if (!part->message || part->child == MIME_NONE) top = MIME_NONE ;
        else top = part->child ;
      }
    }
    if (top == MIME_NONE || top >= genalloc_len(mime_part, &t->parts)) have = 0 ;
    else
    {
      mime_part const *tp = mime_at(t, top) ;
      switch (sec->text)
      {
        case IMAP_TEXT_NONE :
          if (!sec->nparts) { data = t->msg ; len = t->len ; }
          else { data = t->msg + part->bstart ; len = part->blen ; }
          break ;
        case IMAP_TEXT_HEADER :
          data = t->msg + tp->hstart ; len = tp->hlen ;
          break ;
        case IMAP_TEXT_HEADER_FIELDS :
        case IMAP_TEXT_HEADER_FIELDS_NOT :
          if (!header_fields(&tmp, t->msg + tp->hstart, tp->hlen, f->strings.s + sec->fields, sec->nfields, sec->text == IMAP_TEXT_HEADER_FIELDS_NOT)) goto end ;
          data = tmp.s ; len = tmp.len ;
          break ;
        case IMAP_TEXT_TEXT :
          data = t->msg + tp->bstart ; len = tp->blen ;
          break ;
        case IMAP_TEXT_MIME :
          /* the part's own MIME header (RFC 9051 §6.4.5) */
          if (!sec->nparts) have = 0 ;
          else { data = t->msg + part->hstart ; len = part->hlen ; }
          break ;
        default : have = 0 ; break ;
      }
    }
  }

  ok = emit(sa, sec, data, len, have, binary) ;
 end:
  {
    int e = errno ;
    stralloc_free(&tmp) ;
    errno = e ;
  }
  return ok ;
}

int imap_fetch_section_header_only (imap_section const *sec)
{
  if (sec->nparts) return 0 ;
  if (sec->kind == IMAP_SECTION_BINARY || sec->kind == IMAP_SECTION_BINARY_PEEK || sec->kind == IMAP_SECTION_BINARY_SIZE) return 0 ;
  return sec->text == IMAP_TEXT_HEADER || sec->text == IMAP_TEXT_HEADER_FIELDS || sec->text == IMAP_TEXT_HEADER_FIELDS_NOT ;
}

int imap_fetch_section_header (stralloc *sa, char const *h, size_t hlen, imap_fetch const *f, imap_section const *sec)
{
  stralloc tmp = STRALLOC_ZERO ;
  int ok = 0 ;
  if (!stralloc_cats(sa, f->strings.s + sec->echo) || !stralloc_catb(sa, " ", 1)) return 0 ;
  if (sec->text == IMAP_TEXT_HEADER) return emit(sa, sec, h, hlen, 1, 0) ;
  if (header_fields(&tmp, h, hlen, f->strings.s + sec->fields, sec->nfields, sec->text == IMAP_TEXT_HEADER_FIELDS_NOT))
    ok = emit(sa, sec, tmp.s, tmp.len, 1, 0) ;
  {
    int e = errno ;
    stralloc_free(&tmp) ;
    errno = e ;
  }
  return ok ;
}
