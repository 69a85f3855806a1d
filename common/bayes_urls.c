/* ISC license. */

#include <string.h>
#include <strings.h>

#include <skalibs/stralloc.h>

#include "common/bayes-internal.h"

/* The host names of URLs in text: after "http://", "https://" (any
 * case; userinfo before an '@' skipped) or a bare "www.". Each name,
 * lower-cased and without a final dot, is kept once in t->domains (at
 * most BAYES_DOMAINS_MAX: the URI blocklists look them up) and gives
 * the tokens "url:<name>" and "url:<parent>" for each parent with at
 * least two labels: spam changes its host names faster than its
 * domains. IP-address hosts are tokens too, not domains. */

#define HOST_MAX 253

static int is_host (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ;
}

static int known (bayes_tokens const *t, char const *h, size_t n)
{
  for (size_t p = 0 ; p < t->domains.len ; p += strlen(t->domains.s + p) + 1)
    if (strlen(t->domains.s + p) == n && !memcmp(t->domains.s + p, h, n)) return 1 ;
  return 0 ;
}

static int all_digits_and_dots (char const *h, size_t n)
{
  for (size_t i = 0 ; i < n ; i++) if (h[i] != '.' && (h[i] < '0' || h[i] > '9')) return 0 ;
  return 1 ;
}

static int host (bayes_tokens *t, char const *s, size_t len)
{
  char h[HOST_MAX + 1] ;
  size_t n = 0, dots = 0 ;
  while (n < len && is_host((unsigned char)s[n]))
  {
    if (n >= HOST_MAX) return 1 ;
    h[n] = s[n] >= 'A' && s[n] <= 'Z' ? s[n] + 32 : s[n] ;
    n++ ;
  }
  while (n && h[n - 1] == '.') n-- ;
  while (n && h[0] == '.') { memmove(h, h + 1, --n) ; }
  for (size_t i = 0 ; i < n ; i++) if (h[i] == '.') dots++ ;
  if (!dots) return 1 ;
  if (!bayes_token_add(t, "url:", h, n)) return 0 ;
  if (all_digits_and_dots(h, n)) return 1 ;
  if (!known(t, h, n))
  {
    if (t->ndomains >= BAYES_DOMAINS_MAX) return 1 ;
    if (!stralloc_catb(&t->domains, h, n) || !stralloc_0(&t->domains)) return 0 ;
    t->ndomains++ ;
  }
  for (size_t i = 0 ; i < n && dots > 1 ; i++)
    if (h[i] == '.')
    {
      dots-- ;
      if (!bayes_token_add(t, "url:", h + i + 1, n - i - 1)) return 0 ;
    }
  return 1 ;
}

int bayes_urls (bayes_tokens *t, char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    size_t skip = 0 ;
    if (s[i] != 'h' && s[i] != 'H' && s[i] != 'w' && s[i] != 'W') continue ;
    if (i && is_host((unsigned char)s[i - 1])) continue ;   /* inside a word */
    if (len - i > 7 && !strncasecmp(s + i, "http://", 7)) skip = 7 ;
    else if (len - i > 8 && !strncasecmp(s + i, "https://", 8)) skip = 8 ;
    else if (len - i > 4 && !strncasecmp(s + i, "www.", 4)) skip = 0 ;
    else continue ;
    {
      size_t a = i + skip, end = a ;
      /* userinfo: up to an '@' before the end of the authority */
      while (end < len && end - a < 512 && s[end] != '/' && s[end] != '?' && s[end] != '#' && s[end] != ' ' && s[end] != '\n' && s[end] != '"' && s[end] != '\'' && s[end] != '>') end++ ;
      if (skip)
        for (size_t k = end ; k > a ; k--)
          if (s[k - 1] == '@') { a = k ; break ; }
      if (!host(t, s + a, len - a)) return 0 ;
      i = a ;
    }
  }
  return 1 ;
}
