/* ISC license. */

/* ENVELOPE (RFC 3501 §7.4.2, RFC 9051 §7.5.2): date, subject, from,
 * sender, reply-to, to, cc, bcc, in-reply-to, message-id of one message
 * (the top or an encapsulated message/rfc822).
 *
 * The strings are the raw header text, unfolded (RFC 5322 §2.2.3) and
 * with leading white space dropped: encoded words stay as they are, the
 * client decodes them (as Dovecot and Cyrus do). A field that is absent
 * is NIL; one present but empty is "". When a field occurs more than
 * once, the last one counts, but address fields are joined (what
 * Dovecot does; RFC 5322 §3.6 allows one of each). Sender and Reply-To
 * default to From when absent or empty (RFC 3501 §7.4.2).
 *
 * Addresses: (name adl mailbox host); groups as (NIL NIL "name" NIL)
 * members (NIL NIL NIL NIL). The parser is lenient: comments dropped,
 * the obsolete forms of RFC 5322 §4.4 (CFWS around dots, routes)
 * accepted, and what cannot be read comes out with Dovecot's
 * placeholders "MISSING_MAILBOX" / "MISSING_DOMAIN" rather than an
 * empty string (an empty host would mean nothing to a client, and NIL
 * means group syntax). */

#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/bytestr.h>
#include "common/mime.h"
#include "common/mime-internal.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"

#define ADDR_MAX 10000

/* RFC 5322 §3.2.3 specials, plus space and controls: what ends an atom */
static int atom_char (unsigned char c)
{
  if (c <= ' ' || c == 0x7f) return 0 ;
  return !strchr("()<>[]:;@\\,.\"", c) ;
}

/* The value: unfolded, leading white space dropped. */
static int field_text (stralloc *sa, char const *v, size_t vlen)
{
  size_t i = 0 ;
  while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n')) i++ ;
  for (; i < vlen ; i++)
    if (v[i] != '\r' && v[i] != '\n' && v[i] && !stralloc_catb(sa, v + i, 1)) return 0 ;
  return 1 ;
}

static int nstring_field (stralloc *sa, char const *h, size_t hlen, char const *name, int utf8)
{
  char const *v = 0, *w ;
  size_t vlen = 0, wlen ;
  stralloc tmp = STRALLOC_ZERO ;
  int r ;
  {
    size_t pos = 0, fnlen ;
    char const *fn ;
    while (mime_header_next(h, hlen, &pos, &fn, &fnlen, &w, &wlen))
      if (fnlen == strlen(name) && !case_diffb(fn, fnlen, name)) { v = w ; vlen = wlen ; }
  }
  if (!v) return stralloc_cats(sa, "NIL") ;
  if (!field_text(&tmp, v, vlen)) { stralloc_free(&tmp) ; return 0 ; }
  r = imap_fmt_string(sa, tmp.len ? tmp.s : "", tmp.len, utf8) ;
  stralloc_free(&tmp) ;
  return r ;
}

typedef struct alist_s alist ;
struct alist_s
{
  stralloc *out ;
  int utf8 ;
  unsigned int count ;
  stralloc name, adl, mbox, host ;
} ;

static int emit (alist *a, char const *name, size_t namelen, char const *adl, size_t adllen, char const *mb, size_t mblen, char const *host, size_t hostlen)
{
  if (a->count >= ADDR_MAX) return 1 ;
  a->count++ ;
  return stralloc_catb(a->out, "(", 1)
   && (name ? imap_fmt_string(a->out, name, namelen, a->utf8) : stralloc_cats(a->out, "NIL"))
   && stralloc_catb(a->out, " ", 1)
   && (adl ? imap_fmt_string(a->out, adl, adllen, a->utf8) : stralloc_cats(a->out, "NIL"))
   && stralloc_catb(a->out, " ", 1)
   && (mb ? imap_fmt_string(a->out, mb, mblen, a->utf8) : stralloc_cats(a->out, "NIL"))
   && stralloc_catb(a->out, " ", 1)
   && (host ? imap_fmt_string(a->out, host, hostlen, a->utf8) : stralloc_cats(a->out, "NIL"))
   && stralloc_catb(a->out, ")", 1) ;
}

/* A phrase or a local part: words (atoms, quoted strings) and dots.
 * disp gets the display form (a single space where CFWS separated two
 * tokens), raw the tokens joined without space (a local part per the
 * obsolete §4.4 forms). *runs counts the whitespace-separated runs. */
static size_t read_words (char const *s, size_t len, size_t pos, stralloc *disp, stralloc *raw, unsigned int *runs)
{
  int first = 1 ;
  *runs = 0 ;
  for (unsigned int guard = 0 ; guard < len + 1 ; guard++)
  {
    size_t p = mime_skip_cfws(s, len, pos) ;
    int gap = p > pos ;
    if (p >= len) { pos = p ; break ; }
    if (s[p] == '"' || s[p] == '.' || atom_char(s[p]))
    {
      if (!first && gap && !stralloc_catb(disp, " ", 1)) return (size_t)-1 ;
      if (first || gap) (*runs)++ ;
      first = 0 ;
      if (s[p] == '"')
      {
        size_t before = disp->len ;
        pos = mime_quoted(disp, s, len, p) ;
        if (pos == (size_t)-1 || (disp->len > before && !stralloc_catb(raw, disp->s + before, disp->len - before))) return (size_t)-1 ;
      }
      else if (s[p] == '.')
      {
        if (!stralloc_catb(disp, ".", 1) || !stralloc_catb(raw, ".", 1)) return (size_t)-1 ;
        pos = p + 1 ;
      }
      else
      {
        size_t e = p ;
        while (e < len && atom_char(s[e])) e++ ;
        if (!stralloc_catb(disp, s + p, e - p) || !stralloc_catb(raw, s + p, e - p)) return (size_t)-1 ;
        pos = e ;
      }
      continue ;
    }
    pos = p ;
    break ;
  }
  return pos ;
}

/* domain = dot-atom / domain-literal, CFWS allowed around the dots (§4.4) */
static size_t read_domain (char const *s, size_t len, size_t pos, stralloc *host)
{
  for (unsigned int guard = 0 ; guard < len + 1 ; guard++)
  {
    size_t p = mime_skip_cfws(s, len, pos) ;
    if (p >= len) return pos ;
    if (s[p] == '[')
    {
      size_t e = p + 1 ;
      while (e < len && s[e] != ']')
      {
        if (s[e] == '\\' && e + 1 < len) e++ ;
        e++ ;
      }
      if (e < len) e++ ;
      for (size_t k = p ; k < e ; k++)
        if (s[k] != '\r' && s[k] != '\n' && s[k] && !stralloc_catb(host, s + k, 1)) return (size_t)-1 ;
      pos = e ;
    }
    else if (s[p] == '.' || atom_char(s[p]))
    {
      size_t e = p ;
      while (e < len && (s[e] == '.' || atom_char(s[e]))) e++ ;
      if (!stralloc_catb(host, s + p, e - p)) return (size_t)-1 ;
      pos = e ;
    }
    else return pos ;   /* before the CFWS: a comment there may be the name */
  }
  return pos ;
}

/* "addr@host (Name)": the RFC 822 habit of a comment for the name,
 * which Dovecot and most clients honour when there is no display name.
 * Appends the first comment's text after pos (up to the next ',') to
 * name; returns 1 if there was one. */
static int trailing_comment (char const *s, size_t len, size_t pos, stralloc *name)
{
  unsigned int depth = 0 ;
  while (pos < len && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\r' || s[pos] == '\n')) pos++ ;
  if (pos >= len || s[pos] != '(') return 0 ;
  for (; pos < len ; pos++)
  {
    char c = s[pos] ;
    if (c == '\\' && pos + 1 < len) c = s[++pos] ;
    else if (c == '(') { if (depth++) { if (!stralloc_catb(name, &c, 1)) return -1 ; } continue ; }
    else if (c == ')') { if (!--depth) break ; }
    if (c == '\r' || c == '\n' || !c) continue ;
    if (!stralloc_catb(name, &c, 1)) return -1 ;
  }
  return name->len > 0 ;
}

/* angle-addr after '<': [obs-route] addr-spec '>' */
static size_t read_angle (alist *a, char const *s, size_t len, size_t pos, char const *name, size_t namelen)
{
  unsigned int runs ;
  stralloc disp = STRALLOC_ZERO ;
  a->adl.len = a->mbox.len = a->host.len = 0 ;
  pos = mime_skip_cfws(s, len, pos) ;
  if (pos < len && s[pos] == '@')
  {
    /* obs-route = obs-domain-list ":" : kept as "@a,@b" */
    while (pos < len && s[pos] != ':' && s[pos] != '>')
    {
      if (s[pos] != ' ' && s[pos] != '\t' && s[pos] != '\r' && s[pos] != '\n' && s[pos] && !stralloc_catb(&a->adl, s + pos, 1)) goto nomem ;
      pos++ ;
    }
    if (pos < len && s[pos] == ':') pos++ ;
  }
  pos = read_words(s, len, pos, &disp, &a->mbox, &runs) ;
  if (pos == (size_t)-1) goto nomem ;
  pos = mime_skip_cfws(s, len, pos) ;
  if (pos < len && s[pos] == '@')
  {
    pos = read_domain(s, len, pos + 1, &a->host) ;
    if (pos == (size_t)-1) goto nomem ;
  }
  /* anything else up to the '>' is dropped */
  while (pos < len && s[pos] != '>')
  {
    if (s[pos] == '"') pos = mime_quoted(0, s, len, pos) ;
    else if (s[pos] == ',' ) break ;
    else pos++ ;
  }
  if (pos < len && s[pos] == '>') pos++ ;
  stralloc_free(&disp) ;
  if (!emit(a, name, namelen, a->adl.len ? a->adl.s : 0, a->adl.len,
    a->mbox.len ? a->mbox.s : "MISSING_MAILBOX", a->mbox.len ? a->mbox.len : 15,
    a->host.len ? a->host.s : "MISSING_DOMAIN", a->host.len ? a->host.len : 14)) return (size_t)-1 ;
  return pos ;
 nomem:
  stralloc_free(&disp) ;
  return (size_t)-1 ;
}

/* One address list value; ingroup: between a group's ':' and ';'. */
static int parse_list (alist *a, char const *s, size_t len)
{
  int ingroup = 0 ;
  size_t pos = 0 ;
  for (unsigned int guard = 0 ; pos < len && guard < len + 1 ; guard++)
  {
    unsigned int runs ;
    size_t p ;
    pos = mime_skip_cfws(s, len, pos) ;
    if (pos >= len) break ;
    if (s[pos] == ',') { pos++ ; continue ; }
    if (s[pos] == ';')
    {
      if (ingroup && !emit(a, 0, 0, 0, 0, 0, 0, 0, 0)) return 0 ;
      ingroup = 0 ;
      pos++ ;
      continue ;
    }
    a->name.len = 0 ;
    a->mbox.len = 0 ;
    p = read_words(s, len, pos, &a->name, &a->mbox, &runs) ;
    if (p == (size_t)-1) return 0 ;
    p = mime_skip_cfws(s, len, p) ;
    if (p < len && s[p] == ':' && !ingroup)
    {
      /* group = display-name ":" [group-list] ";" */
      if (!emit(a, 0, 0, 0, 0, a->name.len ? a->name.s : "", a->name.len, 0, 0)) return 0 ;
      ingroup = 1 ;
      pos = p + 1 ;
      continue ;
    }
    if (p < len && s[p] == '<')
    {
      size_t e = read_angle(a, s, len, p + 1, a->name.len ? a->name.s : 0, a->name.len) ;
      if (e == (size_t)-1) return 0 ;
      pos = e ;
      continue ;
    }
    if (p < len && s[p] == '@' && runs <= 1)
    {
      /* addr-spec; the local part as read (obs-local-part joins CFWS away) */
      a->host.len = 0 ;
      pos = read_domain(s, len, p + 1, &a->host) ;
      if (pos == (size_t)-1) return 0 ;
      a->name.len = 0 ;
      {
        int c = trailing_comment(s, len, pos, &a->name) ;
        if (c < 0) return 0 ;
        if (!emit(a, c ? a->name.s : 0, a->name.len, 0, 0, a->mbox.len ? a->mbox.s : "MISSING_MAILBOX", a->mbox.len ? a->mbox.len : 15,
          a->host.len ? a->host.s : "MISSING_DOMAIN", a->host.len ? a->host.len : 14)) return 0 ;
      }
      continue ;
    }
    if (p < len && s[p] == '@')
    {
      /* "a b@c": words then an '@' (obsolete local part with spaces) */
      a->host.len = 0 ;
      pos = read_domain(s, len, p + 1, &a->host) ;
      if (pos == (size_t)-1) return 0 ;
      if (!emit(a, 0, 0, 0, 0, a->mbox.len ? a->mbox.s : "MISSING_MAILBOX", a->mbox.len ? a->mbox.len : 15,
        a->host.len ? a->host.s : "MISSING_DOMAIN", a->host.len ? a->host.len : 14)) return 0 ;
      continue ;
    }
    if (runs == 1)
    {
      /* a bare local part */
      if (!emit(a, 0, 0, 0, 0, a->mbox.len ? a->mbox.s : "MISSING_MAILBOX", a->mbox.len ? a->mbox.len : 15, "MISSING_DOMAIN", 14)) return 0 ;
    }
    else if (runs > 1)
    {
      /* a phrase with no address */
      if (!emit(a, a->name.len ? a->name.s : 0, a->name.len, 0, 0, "MISSING_MAILBOX", 15, "MISSING_DOMAIN", 14)) return 0 ;
    }
    pos = p ;
    /* junk: skip one character that cannot start anything */
    if (pos < len && s[pos] != ',' && s[pos] != ';' && s[pos] != '<') pos++ ;
  }
  if (ingroup && !emit(a, 0, 0, 0, 0, 0, 0, 0, 0)) return 0 ;
  return 1 ;
}

/* The address list of every field named name, joined; "NIL" if none. */
static int address_field (stralloc *sa, char const *h, size_t hlen, char const *name, int utf8, int *empty)
{
  alist a = { .out = sa, .utf8 = utf8, .count = 0, .name = STRALLOC_ZERO, .adl = STRALLOC_ZERO, .mbox = STRALLOC_ZERO, .host = STRALLOC_ZERO } ;
  size_t start = sa->len ;
  char const *v ;
  size_t vlen ;
  int ok = 1 ;
  if (!stralloc_catb(sa, "(", 1)) return 0 ;
  {
    /* one pass over the header: a message may carry thousands of fields */
    size_t pos = 0, fnlen ;
    char const *fn ;
    while (mime_header_next(h, hlen, &pos, &fn, &fnlen, &v, &vlen))
      if (fnlen == strlen(name) && !case_diffb(fn, fnlen, name) && !parse_list(&a, v, vlen)) { ok = 0 ; break ; }
  }
  stralloc_free(&a.name) ;
  stralloc_free(&a.adl) ;
  stralloc_free(&a.mbox) ;
  stralloc_free(&a.host) ;
  if (!ok) return 0 ;
  *empty = !a.count ;
  if (!a.count)
  {
    sa->len = start ;
    return stralloc_cats(sa, "NIL") ;
  }
  return stralloc_catb(sa, ")", 1) ;
}

int imap_envelope (stralloc *sa, mime_tree const *t, uint32_t part, int utf8)
{
  mime_part const *p = mime_at(t, part) ;
  char const *h = t->msg + p->hstart ;
  size_t hlen = p->hlen ;
  size_t start = sa->len ;
  size_t fromstart, fromlen ;
  int empty ;
  if (!stralloc_catb(sa, "(", 1)
   || !nstring_field(sa, h, hlen, "date", utf8)
   || !stralloc_catb(sa, " ", 1)
   || !nstring_field(sa, h, hlen, "subject", utf8)
   || !stralloc_catb(sa, " ", 1)) goto err ;
  fromstart = sa->len ;
  if (!address_field(sa, h, hlen, "from", utf8, &empty)) goto err ;
  fromlen = sa->len - fromstart ;
  {
    static char const *const defaulted[2] = { "sender", "reply-to" } ;
    for (unsigned int i = 0 ; i < 2 ; i++)
    {
      size_t here ;
      if (!stralloc_catb(sa, " ", 1)) goto err ;
      here = sa->len ;
      if (!address_field(sa, h, hlen, defaulted[i], utf8, &empty)) goto err ;
      if (empty)
      {
        /* the From list again (copied: sa may move) */
        sa->len = here ;
        if (!stralloc_readyplus(sa, fromlen)) goto err ;
        memmove(sa->s + sa->len, sa->s + fromstart, fromlen) ;
        sa->len += fromlen ;
      }
    }
  }
  {
    static char const *const rest[3] = { "to", "cc", "bcc" } ;
    for (unsigned int i = 0 ; i < 3 ; i++)
      if (!stralloc_catb(sa, " ", 1) || !address_field(sa, h, hlen, rest[i], utf8, &empty)) goto err ;
  }
  if (!stralloc_catb(sa, " ", 1)
   || !nstring_field(sa, h, hlen, "in-reply-to", utf8)
   || !stralloc_catb(sa, " ", 1)
   || !nstring_field(sa, h, hlen, "message-id", utf8)
   || !stralloc_catb(sa, ")", 1)) goto err ;
  return 1 ;
 err:
  sa->len = start ;
  return 0 ;
}
