/* ISC license. */

#include <errno.h>
#include <string.h>

#include "common/rfc5322addr-internal.h"

/* A recursive-descent parser over the tokens of rfc5322addr_token(),
 * with one look-ahead scan per list element to tell its kind: a '<'
 * before any ',' ';' ':' means name-addr, a ':' first means a group,
 * anything else an addr-spec. Each token is read at most twice, so the
 * work is linear in the input. */

typedef struct parser_s parser ;
struct parser_s
{
  char const *s ;
  size_t len ;
  size_t pos ;
  unsigned int flags ;
  rfc5322addr a ;
} ;

static int next (parser *p, rfc5322tok *t)
{
  return rfc5322addr_token(p->s, p->len, &p->pos, t) ;
}

static int peek (parser *p, rfc5322tok *t)
{
  size_t pos = p->pos ;
  return rfc5322addr_token(p->s, p->len, &pos, t) ;
}

static int syntax (void)
{
  errno = EINVAL ;
  return 0 ;
}

/* Appends a token's text without its folds; in a literal, without its
 * white space too. */
static int append (parser *p, rfc5322tok const *t)
{
  for (size_t i = t->start ; i < t->start + t->len ; i++)
  {
    char c = p->s[i] ;
    if (c == '\r' || c == '\n') continue ;
    if (t->type == RFC5322TOK_LITERAL && (c == ' ' || c == '\t')) continue ;
    if (p->a.len >= RFC5322ADDR_MAX) return (errno = ENAMETOOLONG, 0) ;
    p->a.s[p->a.len++] = c ;
  }
  return 1 ;
}

static int append_char (parser *p, char c)
{
  if (p->a.len >= RFC5322ADDR_MAX) return (errno = ENAMETOOLONG, 0) ;
  p->a.s[p->a.len++] = c ;
  return 1 ;
}

static int is_word (int type)
{
  return type == RFC5322TOK_ATOM || type == RFC5322TOK_QUOTED ;
}

/* domain = dot-atom / domain-literal / obs-domain. When keep is 0 (a
 * source route), it is read and dropped. */
static int domain (parser *p, int keep)
{
  rfc5322tok t ;
  int type = next(p, &t) ;
  if (type == RFC5322TOK_LITERAL) return keep ? append(p, &t) : 1 ;
  if (type != RFC5322TOK_ATOM) return syntax() ;
  if (keep && !append(p, &t)) return 0 ;
  while (peek(p, &t) == '.')
  {
    next(p, &t) ;
    if (keep && !append_char(p, '.')) return 0 ;
    if (next(p, &t) != RFC5322TOK_ATOM) return syntax() ;
    if (keep && !append(p, &t)) return 0 ;
  }
  return 1 ;
}

/* addr-spec = local-part "@" domain; local-part = word *("." word) */
static int addr_spec (parser *p)
{
  rfc5322tok t ;
  p->a.len = 0 ;
  if (!is_word(next(p, &t))) return syntax() ;
  if (!append(p, &t)) return 0 ;
  while (peek(p, &t) == '.')
  {
    next(p, &t) ;
    if (!append_char(p, '.')) return 0 ;
    if (!is_word(next(p, &t))) return syntax() ;
    if (!append(p, &t)) return 0 ;
  }
  if (peek(p, &t) == '@')
  {
    next(p, &t) ;
    p->a.at = p->a.len ;
    if (!append_char(p, '@') || !domain(p, 1)) return 0 ;
  }
  else if (p->flags & RFC5322ADDR_BARE_OK) p->a.at = p->a.len ;
  else return syntax() ;
  p->a.s[p->a.len] = 0 ;
  return 1 ;
}

/* display-name = phrase = 1*word, with obs-phrase's dots after the first
 * word. Reads up to (not including) the token of type end. */
static int phrase (parser *p, int end, int required)
{
  rfc5322tok t ;
  int n = 0 ;
  for (;;)
  {
    int type = peek(p, &t) ;
    if (type == end) break ;
    if (!(is_word(type) || (type == '.' && n))) return syntax() ;
    next(p, &t) ;
    n++ ;
  }
  return n || !required ? 1 : syntax() ;
}

/* [phrase] "<" [obs-route] addr-spec ">" */
static int name_addr (parser *p)
{
  rfc5322tok t ;
  if (!phrase(p, '<', 0)) return 0 ;
  next(p, &t) ;
  if (peek(p, &t) == '@')
  {
    /* obs-route = obs-domain-list ":" ;
     * obs-domain-list = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]) */
    for (;;)
    {
      int type = next(p, &t) ;
      if (type == '@') { if (!domain(p, 0)) return 0 ; }
      else return syntax() ;
      while (peek(p, &t) == ',') next(p, &t) ;
      type = peek(p, &t) ;
      if (type == ':') { next(p, &t) ; break ; }
      if (type != '@') return syntax() ;
    }
  }
  if (!addr_spec(p)) return 0 ;
  return next(p, &t) == '>' ? 1 : syntax() ;
}

/* What the element starting here is: '<' name-addr, ':' group, 0
 * addr-spec; -1 on a token error. */
static int kind (parser *p)
{
  size_t pos = p->pos ;
  for (;;)
  {
    rfc5322tok t ;
    int type = rfc5322addr_token(p->s, p->len, &pos, &t) ;
    if (type < 0) return -1 ;
    if (type == '<' || type == ':') return type ;
    if (type == ',' || type == ';' || type == RFC5322TOK_END) return 0 ;
  }
}

int rfc5322addr_parse (char const *s, size_t len, unsigned int flags, rfc5322addr_func *f, void *ctx)
{
  parser p = { .s = s, .len = len, .pos = 0, .flags = flags } ;
  int ingroup = 0 ;
  for (;;)
  {
    rfc5322tok t ;
    int type = peek(&p, &t) ;
    int k ;
    if (type < 0) return 0 ;
    if (type == RFC5322TOK_END) return ingroup ? syntax() : 1 ;
    if (type == ',') { next(&p, &t) ; continue ; }   /* obs: empty element */
    if (type == ';')
    {
      if (!ingroup) return syntax() ;
      next(&p, &t) ;
      ingroup = 0 ;
      type = peek(&p, &t) ;
      if (type != ',' && type != RFC5322TOK_END) return type < 0 ? 0 : syntax() ;
      continue ;
    }
    k = kind(&p) ;
    if (k < 0) return 0 ;
    if (k == ':')
    {
      if (ingroup || !phrase(&p, ':', 1)) return ingroup ? syntax() : 0 ;
      next(&p, &t) ;
      ingroup = 1 ;
      continue ;
    }
    if (!(k == '<' ? name_addr(&p) : addr_spec(&p))) return 0 ;
    p.a.ingroup = ingroup ;
    if (!(*f)(&p.a, ctx)) return -1 ;
    type = peek(&p, &t) ;
    if (type == ',') next(&p, &t) ;
    else if (!(type == RFC5322TOK_END || (ingroup && type == ';'))) return type < 0 ? 0 : syntax() ;
  }
}
