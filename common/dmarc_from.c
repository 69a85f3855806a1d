/* ISC license. */

/* The author domain (RFC 7489 §3.1, §6.6.1): the domain of the From
 * field's address. A message with several From fields or several
 * addresses yields every distinct domain; the caller evaluates each
 * and keeps the strictest outcome (§6.6.1: "apply the DMARC check
 * using each of those domains ... and apply the most strict policy"),
 * so a second From field cannot hide a failing first one. */

#include <string.h>

#include <skalibs/genalloc.h>

#include "common/dmarc.h"

static int hostchar (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c >= 0x80 ;
}

static void add (char const *s, size_t len, size_t at, char (*all)[DNS_NAME_MAX + 1], unsigned int max, unsigned int *nall)
{
  char d[DNS_NAME_MAX + 1] ;
  size_t n = 0 ;
  for (size_t i = at + 1 ; i < len && hostchar(s[i]) ; i++)
  {
    if (n >= DNS_NAME_MAX) return ;   /* an address, but no usable domain */
    d[n++] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i] ;
  }
  while (n && d[n-1] == '.') n-- ;
  d[n] = 0 ;
  if (!n) return ;
  for (unsigned int k = 0 ; k < *nall ; k++) if (!strcmp(all[k], d)) return ;
  if (*nall < max) memcpy(all[(*nall)++], d, n + 1) ;
}

/* One part (between commas), quoted strings and comments blanked. The
 * address is the last "@" inside angle brackets; a malformed part with
 * an "@" outside them as well ("<a@x.test> b@y.test") yields both
 * domains: a reader could be shown either, so both are judged. */
static int part (char const *s, size_t len, char (*all)[DNS_NAME_MAX + 1], unsigned int max, unsigned int *nall)
{
  size_t in = len, out = len ;
  unsigned int angle = 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    if (s[i] == '<') angle++ ;
    else if (s[i] == '>') { if (angle) angle-- ; }
    else if (s[i] == '@') { if (angle) in = i ; else out = i ; }
  }
  if (in == len && out == len) return 0 ;
  if (in < len) add(s, len, in, all, max, nall) ;
  if (out < len) add(s, len, out, all, max, nall) ;
  return 1 ;
}

unsigned int dmarc_from_value (char const *s, size_t len, char (*all)[DNS_NAME_MAX + 1], unsigned int max, unsigned int *nall)
{
  static char buf[DKIM_FIELD_MAX] ;
  size_t w = 0 ;
  unsigned int naddr = 0, depth = 0 ;
  int quoted = 0 ;
  for (size_t i = 0 ; i <= len ; i++)
  {
    char c = i < len ? s[i] : ',' ;
    if (quoted || depth)
    {
      if (c == '\\' && i + 1 < len) { i++ ; continue ; }
      if (quoted && c == '"') quoted = 0 ;
      else if (!quoted && c == '(') depth++ ;
      else if (!quoted && c == ')') depth-- ;
      if (i == len) c = ',' ; else continue ;
    }
    if (c == '"') { quoted = 1 ; if (w < sizeof(buf)) buf[w++] = ' ' ; continue ; }
    if (c == '(') { depth = 1 ; if (w < sizeof(buf)) buf[w++] = ' ' ; continue ; }
    if (c == ',')
    {
      naddr += part(buf, w, all, max, nall) ;
      w = 0 ;
      continue ;
    }
    if (w < sizeof(buf)) buf[w++] = c ;
  }
  return naddr ;
}

unsigned int dmarc_from_domains (char const *msg, size_t len, char (*out)[DNS_NAME_MAX + 1], unsigned int max, unsigned int *nfrom)
{
  genalloc fields = GENALLOC_ZERO ;
  size_t body ;
  char const *why ;
  unsigned int n = 0 ;
  *nfrom = 0 ;
  if (!dkim_split(msg, len, &fields, &body, &why)) { genalloc_free(dkim_field, &fields) ; return 0 ; }
  {
    dkim_field const *f = genalloc_s(dkim_field, &fields) ;
    size_t nf = genalloc_len(dkim_field, &fields) ;
    for (size_t i = 0 ; i < nf ; i++)
    {
      size_t colon ;
      if (!dkim_field_is(msg, f + i, "from", 4)) continue ;
      (*nfrom)++ ;
      colon = 0 ;
      while (colon < f[i].len && msg[f[i].off + colon] != ':') colon++ ;
      if (colon < f[i].len)
        dmarc_from_value(msg + f[i].off + colon + 1, f[i].len - colon - 1, out, max, &n) ;
    }
  }
  genalloc_free(dkim_field, &fields) ;
  return n ;
}
