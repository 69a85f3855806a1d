/* ISC license. */

/* The small cursor moves: spaces, the end, parentheses, keywords. */

#include <string.h>
#include <strings.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

int imap_peek (imap_cursor const *c)
{
  return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1 ;
}

static int at_end (imap_cursor const *c)
{
  return c->pos == c->len
   || (c->pos + 2 == c->len && c->s[c->pos] == '\r' && c->s[c->pos + 1] == '\n') ;
}

int imap_peek_sp_or_end (imap_cursor const *c)
{
  return at_end(c) || c->s[c->pos] == ' ' ;
}

int imap_sp (imap_cursor *c)
{
  if (c->pos >= c->len || c->s[c->pos] != ' ') return imap_fail(c, "Expected a space") ;
  c->pos++ ;
  return 1 ;
}

int imap_end (imap_cursor *c)
{
  if (!at_end(c))
    return imap_fail(c, c->pos < c->len && c->s[c->pos] == ' ' ? "Unexpected extra arguments" : "Unexpected characters at end of command") ;
  c->pos = c->len ;
  return 1 ;
}

int imap_lparen (imap_cursor *c)
{
  if (c->pos >= c->len || c->s[c->pos] != '(') return imap_fail(c, "Expected (") ;
  if (c->depth >= IMAP_NEST_MAX) return imap_fail(c, "Too deeply nested") ;
  c->depth++ ;
  c->pos++ ;
  return 1 ;
}

int imap_rparen (imap_cursor *c)
{
  if (c->pos >= c->len || c->s[c->pos] != ')') return imap_fail(c, "Expected )") ;
  if (c->depth) c->depth-- ;
  c->pos++ ;
  return 1 ;
}

int imap_try (imap_cursor *c, char ch)
{
  if (c->pos >= c->len || c->s[c->pos] != ch) return 0 ;
  c->pos++ ;
  return 1 ;
}

/* A keyword ends where a keyword character would continue it: "BODY"
 * matches "BODY[" and "BODY " but not "BODYSTRUCTURE" or "BODY.PEEK". */
static int keyword_char (unsigned char ch)
{
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
   || ch == '.' || ch == '-' || ch == '_' || ch == '=' || ch == '$' || ch == '\\' ;
}

int imap_try_word (imap_cursor *c, char const *word)
{
  size_t n = strlen(word) ;
  if (c->len - c->pos < n || strncasecmp(c->s + c->pos, word, n)) return 0 ;
  if (c->pos + n < c->len && keyword_char((unsigned char)c->s[c->pos + n])) return 0 ;
  c->pos += n ;
  return 1 ;
}
