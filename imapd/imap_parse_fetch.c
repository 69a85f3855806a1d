/* ISC license. */

/* fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
 * fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
 * (RFC 9051 §6.4.5 and §9, RFC 3516 BINARY, RFC 7162 §3.1.4 and §3.2.6,
 * RFC 8514 SAVEDATE). The cursor stands after the SP that follows the
 * sequence set. */

#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include <skalibs/types.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

static int oom (imap_cursor *c) { return imap_fail(c, "Out of memory") ; }

/* header-list = "(" header-fld-name *(SP header-fld-name) ")" */
static int header_list (imap_cursor *c, imap_fetch *f, imap_section *sec)
{
  if (!imap_sp(c) || !imap_lparen(c)) return imap_fail(c, "Expected a header field list") ;
  sec->fields = f->strings.len ;
  for (;;)
  {
    size_t start = f->strings.len ;
    if (!imap_astring(c, &f->strings)) return 0 ;
    if (f->strings.len - start <= 1) return imap_fail(c, "Invalid header field name") ;
    {
      /* RFC 5322 §3.6.8 ftext: printable US-ASCII but ':' */
      size_t i = start ;
      for (; i < f->strings.len - 1 ; i++)
      {
        unsigned char ch = f->strings.s[i] ;
        if (ch < 33 || ch > 126 || ch == ':') return imap_fail(c, "Invalid header field name") ;
      }
    }
    sec->nfields++ ;
    if (imap_peek(c) != ' ') break ;
    if (!imap_sp(c)) return 0 ;
  }
  return imap_rparen(c) ;
}

static int section_text (imap_cursor *c, imap_fetch *f, imap_section *sec, int mime_ok)
{
  if (imap_try_word(c, "HEADER.FIELDS.NOT")) sec->text = IMAP_TEXT_HEADER_FIELDS_NOT ;
  else if (imap_try_word(c, "HEADER.FIELDS")) sec->text = IMAP_TEXT_HEADER_FIELDS ;
  else if (imap_try_word(c, "HEADER")) { sec->text = IMAP_TEXT_HEADER ; return 1 ; }
  else if (imap_try_word(c, "TEXT")) { sec->text = IMAP_TEXT_TEXT ; return 1 ; }
  else if (mime_ok && imap_try_word(c, "MIME")) { sec->text = IMAP_TEXT_MIME ; return 1 ; }
  else return imap_fail(c, "Invalid section") ;
  return header_list(c, f, sec) ;
}

/* section = "[" [section-spec] "]", section-binary = "[" [section-part] "]" */
static int section (imap_cursor *c, imap_fetch *f, imap_section *sec, int binary)
{
  if (!imap_try(c, '[')) return imap_fail(c, "Expected [") ;
  if (imap_peek(c) >= '0' && imap_peek(c) <= '9')
  {
    for (;;)
    {
      if (sec->nparts >= IMAP_SECTION_DEPTH_MAX) return imap_fail(c, "Section too deep") ;
      if (!imap_nz_number(c, &sec->part[sec->nparts])) return imap_fail(c, "Invalid section part") ;
      sec->nparts++ ;
      if (!imap_try(c, '.')) break ;
      if (binary) continue ;
      if (imap_peek(c) < '0' || imap_peek(c) > '9')
      {
        if (!section_text(c, f, sec, 1)) return 0 ;
        break ;
      }
    }
  }
  else if (!binary && imap_peek(c) != ']' && !section_text(c, f, sec, 0)) return 0 ;
  if (!imap_try(c, ']')) return imap_fail(c, "Invalid section") ;
  return 1 ;
}

/* partial = "<" number "." nz-number ">" */
static int partial (imap_cursor *c, imap_section *sec)
{
  if (!imap_try(c, '<')) return 1 ;
  if (!imap_number(c, &sec->offset) || !imap_try(c, '.') || !imap_nz_number(c, &sec->count) || !imap_try(c, '>'))
  {
    c->error = 0 ;
    return imap_fail(c, "Invalid partial") ;
  }
  sec->partial = 1 ;
  return 1 ;
}

/* The item's name in the answer: "BODY[1.HEADER.FIELDS (From To)]<0>". */
static int make_echo (imap_fetch *f, imap_section *sec)
{
  static char const *const texts[] = { "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME" } ;
  stralloc *sa = &f->strings ;
  char fmt[UINT32_FMT] ;
  unsigned int i = 0 ;
  char const *name = sec->kind == IMAP_SECTION_BINARY_SIZE ? "BINARY.SIZE[" : sec->kind >= IMAP_SECTION_BINARY ? "BINARY[" : "BODY[" ;
  size_t fields = sec->fields ;
  sec->echo = sa->len ;
  if (!stralloc_cats(sa, name)) return 0 ;
  for (; i < sec->nparts ; i++)
    if ((i && !stralloc_catb(sa, ".", 1)) || !stralloc_catb(sa, fmt, uint32_fmt(fmt, sec->part[i]))) return 0 ;
  if (sec->text)
    if ((sec->nparts && !stralloc_catb(sa, ".", 1)) || !stralloc_cats(sa, texts[sec->text])) return 0 ;
  if (sec->nfields)
  {
    if (!stralloc_catb(sa, " (", 2)) return 0 ;
    for (i = 0 ; i < sec->nfields ; i++)
    {
      size_t n = strlen(sa->s + fields), k = 0 ;
      int atom = 1 ;
      for (; k < n ; k++) if (!imap_is_astring_char((unsigned char)sa->s[fields + k])) { atom = 0 ; break ; }
      if (i && !stralloc_catb(sa, " ", 1)) return 0 ;
      if (atom)
      {
        if (!stralloc_readyplus(sa, n)) return 0 ;
        memmove(sa->s + sa->len, sa->s + fields, n) ;
        sa->len += n ;
      }
      else
      {
        stralloc tmp = STRALLOC_ZERO ;
        int ok = stralloc_catb(&tmp, sa->s + fields, n) && imap_fmt_string(sa, tmp.s, n, 1) ;
        stralloc_free(&tmp) ;
        if (!ok) return 0 ;
      }
      fields += n + 1 ;
    }
    if (!stralloc_catb(sa, ")", 1)) return 0 ;
  }
  if (!stralloc_catb(sa, "]", 1)) return 0 ;
  if (sec->partial)
    if (!stralloc_catb(sa, "<", 1) || !stralloc_catb(sa, fmt, uint32_fmt(fmt, sec->offset)) || !stralloc_catb(sa, ">", 1)) return 0 ;
  return stralloc_0(sa) ;
}

static int section_att (imap_cursor *c, imap_fetch *f, uint8_t kind)
{
  imap_section sec ;
  int binary = kind >= IMAP_SECTION_BINARY ;
  memset(&sec, 0, sizeof(sec)) ;
  sec.kind = kind ;
  if (!section(c, f, &sec, binary)) return 0 ;
  if (kind != IMAP_SECTION_BINARY_SIZE && !partial(c, &sec)) return 0 ;
  if (kind == IMAP_SECTION_BODY || kind == IMAP_SECTION_BINARY) f->sets_seen = 1 ;
  if (!make_echo(f, &sec) || !genalloc_append(imap_section, &f->sections, &sec)) return oom(c) ;
  return 1 ;
}

static int fetch_att (imap_cursor *c, imap_fetch *f)
{
  static struct { char const *name ; uint32_t bit ; } const simple[] =
  {
    { "ENVELOPE", IMAP_FETCH_ENVELOPE }, { "FLAGS", IMAP_FETCH_FLAGS }, { "INTERNALDATE", IMAP_FETCH_INTERNALDATE },
    { "RFC822.HEADER", IMAP_FETCH_RFC822_HEADER }, { "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE },
    { "RFC822.TEXT", IMAP_FETCH_RFC822_TEXT }, { "RFC822", IMAP_FETCH_RFC822 },
    { "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE }, { "UID", IMAP_FETCH_UID }, { "MODSEQ", IMAP_FETCH_MODSEQ },
    { "SAVEDATE", IMAP_FETCH_SAVEDATE }
  } ;
  unsigned int i = 0 ;
  for (; i < sizeof(simple) / sizeof(simple[0]) ; i++)
    if (imap_try_word(c, simple[i].name))
    {
      f->items |= simple[i].bit ;
      if (simple[i].bit & (IMAP_FETCH_RFC822 | IMAP_FETCH_RFC822_TEXT)) f->sets_seen = 1 ;
      return 1 ;
    }
  if (imap_try_word(c, "BODY.PEEK")) return section_att(c, f, IMAP_SECTION_BODY_PEEK) ;
  if (imap_try_word(c, "BODY"))
  {
    if (imap_peek(c) == '[') return section_att(c, f, IMAP_SECTION_BODY) ;
    f->items |= IMAP_FETCH_BODY ;
    return 1 ;
  }
  if (imap_try_word(c, "BINARY.PEEK")) return section_att(c, f, IMAP_SECTION_BINARY_PEEK) ;
  if (imap_try_word(c, "BINARY.SIZE")) return section_att(c, f, IMAP_SECTION_BINARY_SIZE) ;
  if (imap_try_word(c, "BINARY")) return section_att(c, f, IMAP_SECTION_BINARY) ;
  return imap_fail(c, "Invalid fetch attribute") ;
}

/* fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")",
 * CHANGEDSINCE mod-sequence-value / VANISHED (RFC 7162 §3.1.4.1, §3.2.6). */
static int modifiers (imap_cursor *c, imap_fetch *f)
{
  if (!imap_sp(c) || !imap_lparen(c)) return imap_fail(c, "Invalid fetch modifiers") ;
  for (;;)
  {
    if (imap_try_word(c, "CHANGEDSINCE"))
    {
      if (f->changedsince) return imap_fail(c, "CHANGEDSINCE given twice") ;
      if (!imap_sp(c) || !imap_number64(c, &f->changedsince_value)) return imap_fail(c, "Invalid CHANGEDSINCE") ;
      f->changedsince = 1 ;
      f->items |= IMAP_FETCH_MODSEQ ;  /* RFC 7162 §3.1.4.1: implies MODSEQ */
    }
    else if (imap_try_word(c, "VANISHED"))
    {
      if (f->vanished) return imap_fail(c, "VANISHED given twice") ;
      f->vanished = 1 ;
    }
    else return imap_fail(c, "Unknown fetch modifier") ;
    if (imap_peek(c) != ' ') break ;
    if (!imap_sp(c)) return 0 ;
  }
  if (!imap_rparen(c)) return 0 ;
  if (f->vanished && !f->changedsince) return imap_fail(c, "VANISHED requires CHANGEDSINCE") ;
  return 1 ;
}

int imap_fetch_parse (imap_cursor *c, imap_fetch *f)
{
  f->items = 0 ;
  genalloc_setlen(imap_section, &f->sections, 0) ;
  f->strings.len = 0 ;
  f->sets_seen = f->changedsince = f->vanished = 0 ;
  f->changedsince_value = 0 ;
  if (imap_peek(c) == '(')
  {
    if (!imap_lparen(c)) return 0 ;
    for (;;)
    {
      if (!fetch_att(c, f)) return 0 ;
      if (imap_peek(c) != ' ') break ;
      if (!imap_sp(c)) return 0 ;
    }
    if (!imap_rparen(c)) return 0 ;
  }
  else if (imap_try_word(c, "ALL"))
    f->items |= IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE ;
  else if (imap_try_word(c, "FAST"))
    f->items |= IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_RFC822_SIZE ;
  else if (imap_try_word(c, "FULL"))
    f->items |= IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE | IMAP_FETCH_BODY ;
  else if (!fetch_att(c, f)) return 0 ;
  if (imap_peek(c) == ' ' && c->pos + 1 < c->len && c->s[c->pos + 1] == '(' && !modifiers(c, f)) return 0 ;
  return 1 ;
}

void imap_fetch_free (imap_fetch *f)
{
  genalloc_free(imap_section, &f->sections) ;
  stralloc_free(&f->strings) ;
  f->items = 0 ;
}
