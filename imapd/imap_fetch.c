/* ISC license. */

#include <errno.h>
#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "common/mime.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"
#include "imapd/imap_fetch-internal.h"

/* The msg-att list of one FETCH response (RFC 9051 §7.5.2). Items that
 * need the text load it once; the cheap ones come from the index. */

#define NEEDS_TEXT (IMAP_FETCH_ENVELOPE | IMAP_FETCH_BODY | IMAP_FETCH_BODYSTRUCTURE | IMAP_FETCH_RFC822 | IMAP_FETCH_RFC822_HEADER | IMAP_FETCH_RFC822_TEXT)

static int item (stralloc *sa, int *first, char const *name)
{
  if (!*first && !stralloc_catb(sa, " ", 1)) return 0 ;
  *first = 0 ;
  return stralloc_cats(sa, name) ;
}

static int number (stralloc *sa, uint64_t n)
{
  char fmt[UINT64_FMT] ;
  return stralloc_catb(sa, fmt, uint64_fmt(fmt, n)) ;
}

int imap_fetch_item_list (stralloc *sa, imap_msg *msg, imap_fetch const *f, imap_fetch_ctx const *ctx)
{
  size_t start = sa->len ;
  mbox_msg const *m = msg->m ;
  imap_section const *secs = genalloc_s(imap_section, &f->sections) ;
  size_t nsecs = genalloc_len(imap_section, &f->sections) ;
  int first = 1 ;
  char const *h = 0 ;
  size_t hlen = 0 ;
  int full = !!(f->items & NEEDS_TEXT & ~IMAP_FETCH_RFC822_HEADER) ;

  /* header fields only (what a client's message list asks for): from
   * the header cache, without reading the message */
  for (size_t i = 0 ; i < nsecs && !full ; i++)
    if (!imap_fetch_section_header_only(secs + i)) full = 1 ;
  if (full || msg->loaded)
  {
    if ((f->items & NEEDS_TEXT) || nsecs)
      if (!imap_msg_load(msg)) return 0 ;
  }
  else if ((f->items & IMAP_FETCH_RFC822_HEADER) || nsecs)
    if (!imap_msg_header(msg, &h, &hlen)) return 0 ;
  if (!stralloc_catb(sa, "(", 1)) goto err ;

  if ((f->items & IMAP_FETCH_UID) || ctx->uid_command)
    if (!item(sa, &first, "UID ") || !number(sa, m->uid)) goto err ;
  if ((f->items & IMAP_FETCH_FLAGS) || ctx->force_flags)
    if (!item(sa, &first, "FLAGS ") || !imap_fetch_fmt_flags(sa, m->flags, msg->recent, m->keywords, ctx->keywords, ctx->nkeywords)) goto err ;
  if (f->items & IMAP_FETCH_INTERNALDATE)
    if (!item(sa, &first, "INTERNALDATE ") || !imap_fetch_fmt_date(sa, m->internaldate, ctx->tzmin)) goto err ;
  if (f->items & IMAP_FETCH_RFC822_SIZE)
    if (!item(sa, &first, "RFC822.SIZE ") || !number(sa, m->size)) goto err ;
  if ((f->items & IMAP_FETCH_MODSEQ) || ctx->force_modseq)
    if (!item(sa, &first, "MODSEQ (") || !number(sa, m->modseq) || !stralloc_catb(sa, ")", 1)) goto err ;
  if (f->items & IMAP_FETCH_SAVEDATE)
    /* RFC 8514 §4: NIL when the mailbox keeps no save date (Maildir does not) */
    if (!item(sa, &first, "SAVEDATE NIL")) goto err ;
  if (f->items & IMAP_FETCH_ENVELOPE)
    if (!item(sa, &first, "ENVELOPE ") || !imap_envelope(sa, &msg->tree, 0, ctx->utf8)) goto err ;
  if (f->items & IMAP_FETCH_BODY)
    if (!item(sa, &first, "BODY ") || !imap_bodystructure(sa, &msg->tree, 0, 0, ctx->utf8)) goto err ;
  if (f->items & IMAP_FETCH_BODYSTRUCTURE)
    if (!item(sa, &first, "BODYSTRUCTURE ") || !imap_bodystructure(sa, &msg->tree, 0, 1, ctx->utf8)) goto err ;
  if (f->items & IMAP_FETCH_RFC822_HEADER)
  {
    if (msg->loaded)
    {
      mime_part const *top = mime_at(&msg->tree, 0) ;
      h = msg->tree.msg + top->hstart ;
      hlen = top->hlen ;
    }
    if (!item(sa, &first, "RFC822.HEADER ") || !imap_fetch_fmt_literal(sa, h, hlen, 0)) goto err ;
  }
  if (f->items & IMAP_FETCH_RFC822_TEXT)
  {
    mime_part const *top = mime_at(&msg->tree, 0) ;
    if (!item(sa, &first, "RFC822.TEXT ") || !imap_fetch_fmt_literal(sa, msg->tree.msg + top->bstart, top->blen, 0)) goto err ;
  }
  if (f->items & IMAP_FETCH_RFC822)
    if (!item(sa, &first, "RFC822 ") || !imap_fetch_fmt_literal(sa, msg->tree.msg, msg->tree.len, 0)) goto err ;
  for (size_t i = 0 ; i < nsecs ; i++)
  {
    if (!first && !stralloc_catb(sa, " ", 1)) goto err ;
    first = 0 ;
    if (msg->loaded ? !imap_fetch_section(sa, msg, f, secs + i) : !imap_fetch_section_header(sa, h, hlen, f, secs + i)) goto err ;
  }
  if (!stralloc_catb(sa, ")", 1)) goto err ;
  return 1 ;
 err:
  sa->len = start ;
  return 0 ;
}
