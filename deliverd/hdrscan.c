/* ISC license. */

#include <string.h>

#include <skalibs/bytestr.h>

#include "hdrscan.h"

 /* Long enough for any address (RFC 5321 4.5.3.1.3: 256) with blanks,
    brackets and folding; a longer value cannot be equal. */
#define VALUE_MAX 1024

typedef struct value_s value ;
struct value_s
{
  size_t len ;
  int overflow ;
  char s[VALUE_MAX] ;
} ;

static void value_add (value *v, char const *s, size_t n)
{
  if (v->overflow || n > VALUE_MAX - v->len) { v->overflow = 1 ; return ; }
  memcpy(v->s + v->len, s, n) ;
  v->len += n ;
}

static int value_equals (value const *v, char const *addr, size_t addrlen)
{
  size_t a = 0, b = v->len ;
  if (v->overflow) return 0 ;
  while (a < b && (v->s[a] == ' ' || v->s[a] == '\t')) a++ ;
  while (b > a && (v->s[b-1] == ' ' || v->s[b-1] == '\t')) b-- ;
  if (b - a >= 2 && v->s[a] == '<' && v->s[b-1] == '>') { a++ ; b-- ; }
  return b - a == addrlen && !case_diffb(v->s + a, addrlen, addr) ;
}

 /* The line at pos: sets *end (before CR LF or LF) and returns the start
    of the next line. */
static size_t line_at (char const *s, size_t len, size_t pos, size_t *end)
{
  size_t eol = pos + byte_chr(s + pos, len - pos, '\n') ;
  *end = eol > pos && s[eol-1] == '\r' ? eol - 1 : eol ;
  return eol < len ? eol + 1 : len ;
}

 /* RFC 5322 3.6.8: field names are printable ASCII but ':'; obsolete
    syntax (4.5) allows blanks before the colon. */
static int field_name_ok (char const *s, size_t n)
{
  while (n && (s[n-1] == ' ' || s[n-1] == '\t')) n-- ;
  if (!n) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
    if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126) return 0 ;
  return 1 ;
}

int hdrscan_delivered_to (char const *s, size_t len, char const *addr, size_t addrlen)
{
  size_t pos = 0 ;
  while (pos < len)
  {
    size_t end, colon, next ;
    int wanted ;
    value v = { .len = 0, .overflow = 0 } ;
    next = line_at(s, len, pos, &end) ;
    if (end == pos) return 0 ;                       /* end of the header section */
    if (s[pos] == ' ' || s[pos] == '\t') return 0 ;  /* folded line with no field */
    colon = byte_chr(s + pos, end - pos, ':') ;
    if (colon == end - pos || !field_name_ok(s + pos, colon)) return 0 ;
    wanted = colon >= 12 && !case_diffb(s + pos, 12, "delivered-to") && field_name_ok(s + pos, colon) ;
    if (wanted)
    {
      size_t n = colon ;
      while (n > 12 && (s[pos+n-1] == ' ' || s[pos+n-1] == '\t')) n-- ;
      wanted = n == 12 ;
    }
    if (wanted) value_add(&v, s + pos + colon + 1, end - pos - colon - 1) ;
    pos = next ;
    while (pos < len && (s[pos] == ' ' || s[pos] == '\t'))
    {
      next = line_at(s, len, pos, &end) ;
      if (wanted) value_add(&v, s + pos, end - pos) ;
      pos = next ;
    }
    if (wanted && value_equals(&v, addr, addrlen)) return 1 ;
  }
  return 0 ;
}

 /* Is the field name s[0..n) (blanks before the colon allowed, RFC 5322
    4.5) equal to name, ignoring case? */
static int name_is (char const *s, size_t n, char const *name)
{
  size_t k = strlen(name) ;
  while (n > k && (s[n-1] == ' ' || s[n-1] == '\t')) n-- ;
  return n == k && !case_diffb(s, k, name) ;
}

unsigned int hdrscan_hops (char const *s, size_t len, unsigned int stop)
{
  size_t pos = 0 ;
  unsigned int hops = 0 ;
  while (pos < len && hops < stop)
  {
    size_t end, colon, next = line_at(s, len, pos, &end) ;
    if (end == pos) break ;                        /* end of the header section */
    if (s[pos] == ' ' || s[pos] == '\t')
    {
      if (!pos) break ;                            /* folded line with no field */
      pos = next ;                                 /* the rest of a field */
      continue ;
    }
    colon = byte_chr(s + pos, end - pos, ':') ;
    if (colon == end - pos || !field_name_ok(s + pos, colon)) break ;
    if (name_is(s + pos, colon, "received") || name_is(s + pos, colon, "delivered-to")) hops++ ;
    pos = next ;
  }
  return hops ;
}
