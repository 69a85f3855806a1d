/* ISC license. */

/* search = "SEARCH" [search-return-opts] SP search-program (RFC 9051
 * §6.4.4 and §9, RFC 3501 §6.4.4, RFC 4731 / RFC 5182 RETURN and SAVE,
 * RFC 7162 §3.1.5 MODSEQ, RFC 5032 OLDER/YOUNGER). The tree lives in
 * s->nodes: node 0 is the top AND; an AND's children are contiguous
 * (a, count n), so a finished list of children is copied to the end of
 * the array and the originals are left behind as inert ALL nodes. */

#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"
#include "imapd/imap_search_parse-internal.h"

static int oom (imap_cursor *c) { return imap_fail(c, "Out of memory") ; }

static imap_search_node *node_at (imap_search *s, uint32_t i)
{
  return genalloc_s(imap_search_node, &s->nodes) + i ;
}

static int new_node (imap_cursor *c, imap_search *s, uint8_t op, uint32_t *idx)
{
  imap_search_node x ;
  memset(&x, 0, sizeof(x)) ;
  x.op = op ;
  if (genalloc_len(imap_search_node, &s->nodes) >= UINT32_MAX - 1) return imap_fail(c, "Search program too large") ;
  *idx = genalloc_len(imap_search_node, &s->nodes) ;
  if (!genalloc_append(imap_search_node, &s->nodes, &x)) return oom(c) ;
  return 1 ;
}

/* A string argument, converted to UTF-8 into s->strings. */
static int str_arg (imap_cursor *c, imap_search *s, imap_search_cs *cs, size_t *off, size_t *len)
{
  stralloc raw = STRALLOC_ZERO ;
  int r ;
  if (!imap_sp(c)) return imap_fail(c, "Missing search argument") ;
  if (!imap_astring(c, &raw)) { stralloc_free(&raw) ; return 0 ; }
  *off = s->strings.len ;
  r = imap_search_charset_convert(cs, raw.s, raw.len - 1, &s->strings) ;
  stralloc_free(&raw) ;
  if (r < 0) return oom(c) ;
  if (!r) return imap_fail(c, "Invalid characters in a search string for the given charset") ;
  *len = s->strings.len - *off ;
  if (!stralloc_0(&s->strings)) return oom(c) ;
  return 1 ;
}

static int parse_key (imap_cursor *c, imap_search *s, imap_search_cs *cs, uint32_t *idx) ;

/* search-key *(SP search-key) until ')' or the end; makes an AND. */
static int key_list (imap_cursor *c, imap_search *s, imap_search_cs *cs, uint32_t and)
{
  genalloc kids = GENALLOC_ZERO ;  /* uint32_t */
  uint32_t i, n, first ;
  for (;;)
  {
    uint32_t k ;
    if (!parse_key(c, s, cs, &k) || !genalloc_append(uint32_t, &kids, &k)) goto err ;
    if (imap_peek(c) != ' ') break ;
    if (!imap_sp(c)) goto err ;
  }
  n = genalloc_len(uint32_t, &kids) ;
  first = genalloc_len(imap_search_node, &s->nodes) ;
  for (i = 0 ; i < n ; i++)
  {
    imap_search_node x = *node_at(s, genalloc_s(uint32_t, &kids)[i]) ;
    if (!genalloc_append(imap_search_node, &s->nodes, &x)) { oom(c) ; goto err ; }
    {
      imap_search_node *old = node_at(s, genalloc_s(uint32_t, &kids)[i]) ;
      memset(old, 0, sizeof(*old)) ;
      old->op = IMAP_SK_ALL ;
    }
  }
  node_at(s, and)->a = first ;
  node_at(s, and)->n = n ;
  genalloc_free(uint32_t, &kids) ;
  return 1 ;
 err:
  if (!c->error) oom(c) ;
  genalloc_free(uint32_t, &kids) ;
  return 0 ;
}

static int date_arg (imap_cursor *c, uint64_t *num)
{
  int64_t d ;
  if (!imap_sp(c) || !imap_date(c, &d)) { c->error = 0 ; return imap_fail(c, "Invalid search date") ; }
  *num = (uint64_t)d ;
  return 1 ;
}

static int seqset_key (imap_cursor *c, imap_search *s, uint8_t op, uint32_t *idx)
{
  imap_seqset set = IMAP_SEQSET_ZERO ;
  if (!imap_seqset_parse(c, &set)) { imap_seqset_free(&set) ; return 0 ; }
  if (set.saved) s->uses_saved = 1 ;
  if (!new_node(c, s, op, idx)) { imap_seqset_free(&set) ; return 0 ; }
  node_at(s, *idx)->set = set ;
  return 1 ;
}

/* MODSEQ [entry-name SP entry-type-req SP] mod-sequence-valzer */
static int modseq_key (imap_cursor *c, imap_search *s, imap_search_node *x)
{
  if (!imap_sp(c)) return imap_fail(c, "Invalid MODSEQ") ;
  if (imap_peek(c) == '"')
  {
    stralloc tmp = STRALLOC_ZERO ;
    int ok = imap_string(c, &tmp) ;
    if (ok && (tmp.len < 8 || strncmp(tmp.s, "/flags/", 7))) ok = imap_fail(c, "Invalid MODSEQ entry name") ;
    if (ok)
    {
      x->str = s->strings.len ;
      x->strlen = tmp.len - 1 ;
      if (!stralloc_catb(&s->strings, tmp.s, tmp.len)) ok = oom(c) ;
    }
    stralloc_free(&tmp) ;
    if (!ok) return 0 ;
    if (!imap_sp(c) || !(imap_try_word(c, "priv") || imap_try_word(c, "shared") || imap_try_word(c, "all")) || !imap_sp(c))
      return imap_fail(c, "Invalid MODSEQ entry type") ;
  }
  if (!imap_number64(c, &x->num)) return 0 ;
  s->uses_modseq = 1 ;
  return 1 ;
}

static int parse_key (imap_cursor *c, imap_search *s, imap_search_cs *cs, uint32_t *idx)
{
  static struct { char const *name ; uint8_t op ; uint32_t flag ; } const bare[] =
  {
    { "ALL", IMAP_SK_ALL, 0 },
    { "ANSWERED", IMAP_SK_FLAG, IMAP_FLAG_ANSWERED }, { "DELETED", IMAP_SK_FLAG, IMAP_FLAG_DELETED },
    { "DRAFT", IMAP_SK_FLAG, IMAP_FLAG_DRAFT }, { "FLAGGED", IMAP_SK_FLAG, IMAP_FLAG_FLAGGED },
    { "SEEN", IMAP_SK_FLAG, IMAP_FLAG_SEEN }, { "RECENT", IMAP_SK_FLAG, IMAP_FLAG_RECENT },
    { "UNANSWERED", IMAP_SK_UNFLAG, IMAP_FLAG_ANSWERED }, { "UNDELETED", IMAP_SK_UNFLAG, IMAP_FLAG_DELETED },
    { "UNDRAFT", IMAP_SK_UNFLAG, IMAP_FLAG_DRAFT }, { "UNFLAGGED", IMAP_SK_UNFLAG, IMAP_FLAG_FLAGGED },
    { "UNSEEN", IMAP_SK_UNFLAG, IMAP_FLAG_SEEN }, { "OLD", IMAP_SK_UNFLAG, IMAP_FLAG_RECENT },
    { "NEW", IMAP_SK_NEW, 0 }
  } ;
  static struct { char const *name ; uint8_t op ; } const strs[] =
  {
    { "BCC", IMAP_SK_BCC }, { "CC", IMAP_SK_CC }, { "FROM", IMAP_SK_FROM }, { "TO", IMAP_SK_TO },
    { "SUBJECT", IMAP_SK_SUBJECT }, { "BODY", IMAP_SK_BODY }, { "TEXT", IMAP_SK_TEXT }
  } ;
  static struct { char const *name ; uint8_t op ; } const dates[] =
  {
    { "BEFORE", IMAP_SK_BEFORE }, { "ON", IMAP_SK_ON }, { "SINCE", IMAP_SK_SINCE },
    { "SENTBEFORE", IMAP_SK_SENTBEFORE }, { "SENTON", IMAP_SK_SENTON }, { "SENTSINCE", IMAP_SK_SENTSINCE }
  } ;
  imap_search_node *x ;
  unsigned int i ;
  int ch = imap_peek(c) ;

  if (ch == '(')
  {
    if (!imap_lparen(c) || !new_node(c, s, IMAP_SK_AND, idx)) return 0 ;
    if (!key_list(c, s, cs, *idx)) return 0 ;
    return imap_rparen(c) ;
  }
  if ((ch >= '1' && ch <= '9') || ch == '*' || ch == '$') return seqset_key(c, s, IMAP_SK_SEQSET, idx) ;

  for (i = 0 ; i < sizeof(bare) / sizeof(bare[0]) ; i++)
    if (imap_try_word(c, bare[i].name))
    {
      if (!new_node(c, s, bare[i].op, idx)) return 0 ;
      node_at(s, *idx)->num = bare[i].flag ;
      return 1 ;
    }
  for (i = 0 ; i < sizeof(strs) / sizeof(strs[0]) ; i++)
    if (imap_try_word(c, strs[i].name))
    {
      size_t off, len ;
      if (!str_arg(c, s, cs, &off, &len) || !new_node(c, s, strs[i].op, idx)) return 0 ;
      x = node_at(s, *idx) ;
      x->str = off ;
      x->strlen = len ;
      return 1 ;
    }
  for (i = 0 ; i < sizeof(dates) / sizeof(dates[0]) ; i++)
    if (imap_try_word(c, dates[i].name))
    {
      uint64_t d = 0 ;
      if (!date_arg(c, &d) || !new_node(c, s, dates[i].op, idx)) return 0 ;
      node_at(s, *idx)->num = d ;
      return 1 ;
    }
  {
    int kw = imap_try_word(c, "KEYWORD") ;
    if (kw || imap_try_word(c, "UNKEYWORD"))
    {
      char const *k ;
      size_t klen ;
      if (!imap_sp(c) || !imap_run(c, &imap_is_atom_char, &k, &klen)) return imap_fail(c, "Invalid keyword") ;
      if (!new_node(c, s, kw ? IMAP_SK_KEYWORD : IMAP_SK_UNKEYWORD, idx)) return 0 ;
      x = node_at(s, *idx) ;
      x->str = s->strings.len ;
      x->strlen = klen ;
      if (!stralloc_catb(&s->strings, k, klen) || !stralloc_0(&s->strings)) return oom(c) ;
      return 1 ;
    }
  }
  if (imap_try_word(c, "HEADER"))
  {
    size_t off, len, off2, len2 ;
    if (!str_arg(c, s, cs, &off, &len) || !str_arg(c, s, cs, &off2, &len2) || !new_node(c, s, IMAP_SK_HEADER, idx)) return 0 ;
    x = node_at(s, *idx) ;
    x->str = off ; x->strlen = len ;
    x->str2 = off2 ; x->str2len = len2 ;
    return 1 ;
  }
  {
    int larger = imap_try_word(c, "LARGER") ;
    if (larger || imap_try_word(c, "SMALLER"))
    {
      uint64_t n ;
      if (!imap_sp(c) || !imap_number64(c, &n)) { c->error = 0 ; return imap_fail(c, "Invalid size") ; }
      if (!new_node(c, s, larger ? IMAP_SK_LARGER : IMAP_SK_SMALLER, idx)) return 0 ;
      node_at(s, *idx)->num = n ;
      return 1 ;
    }
  }
  {
    int older = imap_try_word(c, "OLDER") ;
    if (older || imap_try_word(c, "YOUNGER"))
    {
      uint32_t n ;
      if (!imap_sp(c) || !imap_nz_number(c, &n)) { c->error = 0 ; return imap_fail(c, "Invalid interval") ; }
      if (!new_node(c, s, older ? IMAP_SK_OLDER : IMAP_SK_YOUNGER, idx)) return 0 ;
      node_at(s, *idx)->num = n ;
      return 1 ;
    }
  }
  if (imap_try_word(c, "UID"))
  {
    if (!imap_sp(c)) return imap_fail(c, "Invalid UID set") ;
    return seqset_key(c, s, IMAP_SK_UIDSET, idx) ;
  }
  if (imap_try_word(c, "MODSEQ"))
  {
    imap_search_node tmp ;
    memset(&tmp, 0, sizeof(tmp)) ;
    if (!modseq_key(c, s, &tmp) || !new_node(c, s, IMAP_SK_MODSEQ, idx)) return 0 ;
    tmp.op = IMAP_SK_MODSEQ ;
    *node_at(s, *idx) = tmp ;
    return 1 ;
  }
  if (imap_try_word(c, "NOT"))
  {
    uint32_t k ;
    if (c->depth >= IMAP_NEST_MAX) return imap_fail(c, "Too deeply nested") ;
    if (!imap_sp(c)) return imap_fail(c, "Missing search key after NOT") ;
    c->depth++ ;
    if (!parse_key(c, s, cs, &k)) return 0 ;
    c->depth-- ;
    if (!new_node(c, s, IMAP_SK_NOT, idx)) return 0 ;
    node_at(s, *idx)->a = k ;
    return 1 ;
  }
  if (imap_try_word(c, "OR"))
  {
    uint32_t a, b ;
    if (c->depth >= IMAP_NEST_MAX) return imap_fail(c, "Too deeply nested") ;
    if (!imap_sp(c)) return imap_fail(c, "Missing search key after OR") ;
    c->depth++ ;
    if (!parse_key(c, s, cs, &a)) return 0 ;
    if (!imap_sp(c)) return imap_fail(c, "Missing second search key after OR") ;
    if (!parse_key(c, s, cs, &b)) return 0 ;
    c->depth-- ;
    if (!new_node(c, s, IMAP_SK_OR, idx)) return 0 ;
    node_at(s, *idx)->a = a ;
    node_at(s, *idx)->n = b ;
    return 1 ;
  }
  return imap_fail(c, "Unknown search key") ;
}

/* search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")" */
static int return_opts (imap_cursor *c, imap_search *s)
{
  static struct { char const *name ; unsigned int bit ; } const opts[] =
  {
    { "MIN", IMAP_SEARCH_RETURN_MIN }, { "MAX", IMAP_SEARCH_RETURN_MAX }, { "ALL", IMAP_SEARCH_RETURN_ALL },
    { "COUNT", IMAP_SEARCH_RETURN_COUNT }, { "SAVE", IMAP_SEARCH_RETURN_SAVE }
  } ;
  if (!imap_sp(c) || !imap_lparen(c)) return imap_fail(c, "Invalid RETURN options") ;
  s->has_return = 1 ;
  if (imap_peek(c) != ')')
    for (;;)
    {
      unsigned int i = 0 ;
      for (; i < sizeof(opts) / sizeof(opts[0]) ; i++)
        if (imap_try_word(c, opts[i].name)) { s->return_opts |= opts[i].bit ; break ; }
      if (i == sizeof(opts) / sizeof(opts[0])) return imap_fail(c, "Unknown RETURN option") ;
      if (imap_peek(c) != ' ') break ;
      if (!imap_sp(c)) return 0 ;
    }
  if (!imap_rparen(c)) return 0 ;
  if (!s->return_opts) s->return_opts = IMAP_SEARCH_RETURN_ALL ;  /* RFC 4731 §3.1: RETURN () is ALL */
  return 1 ;
}

/* charset = atom / quoted */
static int charset_arg (imap_cursor *c, imap_search_cs *cs)
{
  stralloc name = STRALLOC_ZERO ;
  int r ;
  if (imap_peek(c) == '"') r = imap_string(c, &name) ;
  else r = imap_atom(c, &name) ;
  if (!r) { stralloc_free(&name) ; c->error = 0 ; return imap_fail(c, "Invalid charset") ; }
  r = imap_search_charset_open(cs, name.s) ;
  stralloc_free(&name) ;
  if (r < 0) return oom(c) ;
  if (!r) return imap_fail(c, "[BADCHARSET (UTF-8)] Unsupported charset") ;
  return 1 ;
}

int imap_search_parse (imap_cursor *c, imap_search *s, int charset_required)
{
  imap_search_cs cs = IMAP_SEARCH_CS_ZERO ;
  uint32_t root ;
  int ok = 0 ;
  {
    size_t n = genalloc_len(imap_search_node, &s->nodes), i = 0 ;
    for (; i < n ; i++) imap_seqset_free(&genalloc_s(imap_search_node, &s->nodes)[i].set) ;
  }
  genalloc_setlen(imap_search_node, &s->nodes, 0) ;
  s->strings.len = 0 ;
  s->has_return = s->uses_modseq = s->uses_saved = 0 ;
  s->return_opts = 0 ;
  if (imap_peek(c) == ' ') c->pos++ ;
  if (!charset_required && imap_try_word(c, "RETURN"))
  {
    if (!return_opts(c, s) || !imap_sp(c)) goto end ;
  }
  if (charset_required)
  {
    if (!charset_arg(c, &cs) || !imap_sp(c)) goto end ;
  }
  else if (imap_try_word(c, "CHARSET"))
  {
    if (!imap_sp(c) || !charset_arg(c, &cs) || !imap_sp(c)) goto end ;
  }
  if (!new_node(c, s, IMAP_SK_AND, &root)) goto end ;
  if (!key_list(c, s, &cs, root)) goto end ;
  ok = imap_end(c) ;
 end:
  imap_search_charset_close(&cs) ;
  return ok ;
}

void imap_search_free (imap_search *s)
{
  size_t n = genalloc_len(imap_search_node, &s->nodes), i = 0 ;
  for (; i < n ; i++) imap_seqset_free(&genalloc_s(imap_search_node, &s->nodes)[i].set) ;
  genalloc_free(imap_search_node, &s->nodes) ;
  stralloc_free(&s->strings) ;
}
