/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "common/mbox.h"
#include "common/mime.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"
#include "imapd/imap_fetch-internal.h"

/* SORT (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO). The keys of every
 * message are computed once (from its header only), folded for the
 * comparator, then the indexes are sorted; equal messages stay in
 * mailbox order (sequence numbers), whatever REVERSE says. */

typedef struct sortkey_s sortkey ;
struct sortkey_s
{
  int64_t num ;
  size_t off, len ;   /* string keys: in the shared folded text */
} ;

typedef struct sortctx_s sortctx ;
struct sortctx_s
{
  sortkey const *keys ;     /* n * nkeys, by position in the input */
  char const *text ;
  uint8_t const *crit ;
  unsigned int nkeys ;
  size_t const *idx ;       /* message indexes: the final tie-break */
} ;

static int is_string_key (unsigned int k)
{
  return k == IMAP_SORT_CC || k == IMAP_SORT_FROM || k == IMAP_SORT_SUBJECT || k == IMAP_SORT_TO || k == IMAP_SORT_DISPLAYFROM || k == IMAP_SORT_DISPLAYTO ;
}

/* Skips a quoted string or a comment starting at v[i]; returns the index after it. */
static size_t skip_special (char const *v, size_t len, size_t i)
{
  if (v[i] == '"')
  {
    for (i++ ; i < len && v[i] != '"' ; i++) if (v[i] == '\\' && i + 1 < len) i++ ;
    return i < len ? i + 1 : len ;
  }
  if (v[i] == '(')
  {
    unsigned int depth = 0 ;
    for (; i < len ; i++)
    {
      if (v[i] == '\\' && i + 1 < len) { i++ ; continue ; }
      if (v[i] == '(') depth++ ;
      else if (v[i] == ')' && !--depth) return i + 1 ;
    }
    return len ;
  }
  return i + 1 ;
}

/* Appends v[0..len) without comments, quotes removed (backslash pairs
 * unescaped), whitespace runs made one space and trimmed. */
static int clean (stralloc *sa, char const *v, size_t len)
{
  size_t start = sa->len ;
  int space = 0 ;
  for (size_t i = 0 ; i < len ;)
  {
    char ch = v[i] ;
    if (ch == '(') { i = skip_special(v, len, i) ; space = 1 ; continue ; }
    if (ch == '"')
    {
      size_t end = skip_special(v, len, i) ;
      for (size_t j = i + 1 ; j < end && !(j == end - 1 && v[j] == '"') ; j++)
      {
        if (v[j] == '\\' && j + 1 < end - 1) j++ ;
        if (space && sa->len > start && !stralloc_catb(sa, " ", 1)) return 0 ;
        space = 0 ;
        if (!stralloc_catb(sa, v + j, 1)) return 0 ;
      }
      i = end ;
      continue ;
    }
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') { space = 1 ; i++ ; continue ; }
    if (space && sa->len > start && !stralloc_catb(sa, " ", 1)) return 0 ;
    space = 0 ;
    if (!stralloc_catb(sa, &ch, 1)) return 0 ;
    i++ ;
  }
  return 1 ;
}

/* The first address of an address list: its addr-mailbox (local part)
 * into mailbox, and (RFC 5957 §2) its display name, or the addr-spec
 * when it has none, RFC 2047-decoded, into display. */
static int first_address (char const *v, size_t len, stralloc *mailbox, stralloc *display)
{
  size_t i = 0, start = 0, end, lt = len, gt = len ;
  stralloc tmp = STRALLOC_ZERO ;
  int r = 0 ;
  /* a group label "name:" first? */
  for (i = 0 ; i < len ; i = (v[i] == '"' || v[i] == '(') ? skip_special(v, len, i) : i + 1)
  {
    if (v[i] == ':') { start = i + 1 ; break ; }
    if (v[i] == '<' || v[i] == '@' || v[i] == ',') break ;
  }
  for (end = start ; end < len ; )
  {
    if (v[end] == ',' || v[end] == ';') break ;
    if (v[end] == '<' && lt == len) lt = end ;
    if (v[end] == '>' && lt < len && gt == len) gt = end ;
    end = (v[end] == '"' || v[end] == '(') ? skip_special(v, len, end) : end + 1 ;
  }
  if (end > len) end = len ;
  if (lt < end)
  {
    size_t a = lt + 1, b = gt < end ? gt : end ;
    /* drop a source route "@a,@b:" */
    for (size_t k = a ; k < b ; k++) if (v[k] == ':') { a = k + 1 ; break ; }
    if (!clean(&tmp, v + a, b - a)) goto end ;
    {
      size_t at = tmp.len ;
      while (at && tmp.s[at-1] != '@') at-- ;
      if (!stralloc_catb(mailbox, tmp.s, at ? at - 1 : tmp.len)) goto end ;
    }
    {
      stralloc name = STRALLOC_ZERO ;
      if (!clean(&name, v + start, lt - start)) { stralloc_free(&name) ; goto end ; }
      if (name.len) { if (!mime_decode_header(display, name.s, name.len)) { stralloc_free(&name) ; goto end ; } }
      else if (!stralloc_catb(display, tmp.s, tmp.len)) { stralloc_free(&name) ; goto end ; }
      stralloc_free(&name) ;
    }
  }
  else
  {
    if (!clean(&tmp, v + start, end - start)) goto end ;
    {
      size_t at = tmp.len ;
      while (at && tmp.s[at-1] != '@') at-- ;
      if (!stralloc_catb(mailbox, tmp.s, at ? at - 1 : tmp.len)) goto end ;
    }
    if (!stralloc_catb(display, tmp.s, tmp.len)) goto end ;
  }
  r = 1 ;
 end:
  stralloc_free(&tmp) ;
  return r ;
}

static int string_key (stralloc *text, sortkey *k, char const *h, size_t hlen, unsigned int crit)
{
  static char const *const fields[10] = { 0, 0, "Cc", 0, "From", 0, "Subject", "To", "From", "To" } ;
  stralloc a = STRALLOC_ZERO, b = STRALLOC_ZERO ;
  char const *v ;
  size_t vlen ;
  int r = 0 ;
  k->off = text->len ;
  k->len = 0 ;
  if (!h || !mime_header_get(h, hlen, fields[crit], 0, &v, &vlen)) return 1 ;
  if (crit == IMAP_SORT_SUBJECT)
  {
    int reply ;
    if (!mime_base_subject(&a, v, vlen, &reply)) goto end ;
  }
  else
  {
    stralloc unfolded = STRALLOC_ZERO ;
    int ok = mime_unfold(&unfolded, v, vlen) && first_address(unfolded.s ? unfolded.s : "", unfolded.len, &a, &b) ;
    stralloc_free(&unfolded) ;
    if (!ok) goto end ;
    if (crit == IMAP_SORT_DISPLAYFROM || crit == IMAP_SORT_DISPLAYTO)
    {
      a.len = 0 ;
      if (!stralloc_catb(&a, b.s ? b.s : "", b.len)) goto end ;
    }
  }
  if (!mime_fold(text, a.s ? a.s : "", a.len)) goto end ;
  k->len = text->len - k->off ;
  r = 1 ;
 end:
  stralloc_free(&a) ;
  stralloc_free(&b) ;
  return r ;
}

static int compare (void const *x, void const *y, void *arg)
{
  sortctx const *c = arg ;
  size_t i = *(size_t const *)x, j = *(size_t const *)y ;
  for (unsigned int k = 0 ; k < c->nkeys ; k++)
  {
    unsigned int crit = c->crit[k] & ~IMAP_SORT_REVERSE ;
    sortkey const *a = c->keys + i * c->nkeys + k ;
    sortkey const *b = c->keys + j * c->nkeys + k ;
    int d ;
    if (is_string_key(crit))
    {
      size_t l = a->len < b->len ? a->len : b->len ;
      d = l ? memcmp(c->text + a->off, c->text + b->off, l) : 0 ;
      if (!d) d = a->len < b->len ? -1 : a->len > b->len ;
    }
    else d = a->num < b->num ? -1 : a->num > b->num ;
    if (d) return c->crit[k] & IMAP_SORT_REVERSE ? -d : d ;
  }
  return c->idx[i] < c->idx[j] ? -1 : c->idx[i] > c->idx[j] ;
}

int imap_sort (mbox *box, size_t *idx, size_t n, uint8_t const *keys, unsigned int nkeys)
{
  sortkey *k = 0 ;
  size_t *pos = 0 ;
  stralloc text = STRALLOC_ZERO, h = STRALLOC_ZERO ;
  int needh = 0, r = 0 ;
  if (nkeys > IMAP_SORT_MAX) { errno = EINVAL ; return 0 ; }
  if (!n) return 1 ;
  for (unsigned int j = 0 ; j < nkeys ; j++)
  {
    unsigned int crit = keys[j] & ~IMAP_SORT_REVERSE ;
    if (crit < IMAP_SORT_ARRIVAL || crit > IMAP_SORT_DISPLAYTO) { errno = EINVAL ; return 0 ; }
    if (crit != IMAP_SORT_ARRIVAL && crit != IMAP_SORT_SIZE) needh = 1 ;
  }
  k = calloc(n * (nkeys ? nkeys : 1), sizeof(sortkey)) ;
  pos = malloc(n * sizeof(size_t)) ;
  if (!k || !pos) goto end ;
  for (size_t p = 0 ; p < n ; p++)
  {
    mbox_msg const *m = mbox_at(box, idx[p]) ;
    int haveh = 0 ;
    pos[p] = p ;
    if (needh)
    {
      if (imap_msg_read_header(box, idx[p], &h)) haveh = 1 ;
      else if (errno != ENOENT) goto end ;   /* expunged meanwhile: sorts as empty */
    }
    for (unsigned int j = 0 ; j < nkeys ; j++)
    {
      unsigned int crit = keys[j] & ~IMAP_SORT_REVERSE ;
      sortkey *x = k + p * nkeys + j ;
      switch (crit)
      {
        case IMAP_SORT_ARRIVAL : x->num = m->internaldate ; break ;
        case IMAP_SORT_SIZE : x->num = (int64_t)m->size ; break ;
        case IMAP_SORT_DATE : x->num = haveh ? imap_msg_sent_date(h.s, h.len, m->internaldate) : m->internaldate ; break ;
        default : if (!string_key(&text, x, haveh ? h.s : 0, h.len, crit)) goto end ;
      }
    }
  }
  {
    sortctx c = { .keys = k, .text = text.s, .crit = keys, .nkeys = nkeys, .idx = idx } ;
    qsort_r(pos, n, sizeof(size_t), &compare, &c) ;
  }
  /* pos holds input positions in order: rewrite idx */
  {
    size_t *out = malloc(n * sizeof(size_t)) ;
    if (!out) goto end ;
    for (size_t p = 0 ; p < n ; p++) out[p] = idx[pos[p]] ;
    memcpy(idx, out, n * sizeof(size_t)) ;
    free(out) ;
  }
  r = 1 ;
 end:
  {
    int e = errno ;
    free(k) ;
    free(pos) ;
    stralloc_free(&text) ;
    stralloc_free(&h) ;
    errno = e ;
  }
  return r ;
}
