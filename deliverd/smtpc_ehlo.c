/* ISC license. */

#include <stdint.h>
#include <string.h>

#include <skalibs/bytestr.h>

#include "smtpc.h"

 /* A 250 reply to EHLO (RFC 5321 4.1.1.1): the first line is the
    server's domain and a greeting, each further line an ehlo-keyword
    and its parameters, separated by spaces. */

static int word_is (char const *s, size_t len, char const *kw)
{
  size_t n = strlen(kw) ;
  return len == n && !case_diffb(s, n, kw) ;
}

static size_t word (char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len && s[i] != ' ' && s[i] != '=') i++ ;
  return i ;
}

 /* RFC 1870: SIZE [number]; 0 or none means no fixed limit. */
static uint64_t size_arg (char const *s, size_t len)
{
  uint64_t v = 0 ;
  size_t i = 0 ;
  while (i < len && s[i] == ' ') i++ ;
  if (i == len) return 0 ;
  for (; i < len && s[i] >= '0' && s[i] <= '9' ; i++)
  {
    if (v > (UINT64_MAX - 9) / 10) return 0 ;
    v = v * 10 + (uint64_t)(s[i] - '0') ;
  }
  return i == len ? v : 0 ;
}

 /* RFC 4954 4: AUTH mechanism names separated by spaces; the old
    "AUTH=" form of some servers lists the same. */
static unsigned int auth_args (char const *s, size_t len)
{
  unsigned int m = 0 ;
  size_t i = 0 ;
  while (i < len)
  {
    size_t n ;
    while (i < len && (s[i] == ' ' || s[i] == '=')) i++ ;
    n = i ;
    while (n < len && s[n] != ' ') n++ ;
    if (word_is(s + i, n - i, "PLAIN")) m |= SMTPC_AUTH_PLAIN ;
    else if (word_is(s + i, n - i, "LOGIN")) m |= SMTPC_AUTH_LOGIN ;
    i = n ;
  }
  return m ;
}

static void server_name (char const *s, size_t len, char *out)
{
  size_t n = 0 ;
  while (n < len && n < DNS_NAME_MAX && s[n] != ' ')
  {
    char c = s[n] ;
    out[n++] = (c >= 'A' && c <= 'Z') ? c + 32 : c ;
  }
  out[n] = 0 ;
}

void smtpc_ehlo_parse (smtpc_reply const *r, smtpc_caps *caps)
{
  char const *s = r->text ;
  size_t left = r->len ;
  unsigned int line = 0 ;
  caps->flags = 0 ;
  caps->auth = 0 ;
  caps->sizemax = 0 ;
  caps->name[0] = 0 ;
  while (left)
  {
    char const *nl = memchr(s, '\n', left) ;
    size_t len = nl ? (size_t)(nl - s) : left ;
    if (!line++) server_name(s, len, caps->name) ;
    else
    {
      size_t k = word(s, len) ;
      char const *arg = s + k ;
      size_t alen = len - k ;
      if (word_is(s, k, "PIPELINING")) caps->flags |= SMTPC_PIPELINING ;
      else if (word_is(s, k, "SIZE")) { caps->flags |= SMTPC_SIZE ; caps->sizemax = size_arg(arg, alen) ; }
      else if (word_is(s, k, "8BITMIME")) caps->flags |= SMTPC_8BITMIME ;
      else if (word_is(s, k, "SMTPUTF8")) caps->flags |= SMTPC_SMTPUTF8 ;
      else if (word_is(s, k, "DSN")) caps->flags |= SMTPC_DSN ;
      else if (word_is(s, k, "CHUNKING")) caps->flags |= SMTPC_CHUNKING ;
      else if (word_is(s, k, "STARTTLS")) caps->flags |= SMTPC_STARTTLS ;
      else if (word_is(s, k, "REQUIRETLS")) caps->flags |= SMTPC_REQUIRETLS ;
      else if (word_is(s, k, "ENHANCEDSTATUSCODES")) caps->flags |= SMTPC_ENHANCED ;
      else if (word_is(s, k, "BINARYMIME")) caps->flags |= SMTPC_BINARYMIME ;
      else if (word_is(s, k, "AUTH"))
      {
        unsigned int m = auth_args(arg, alen) ;
        if (m) { caps->flags |= SMTPC_AUTH ; caps->auth |= m ; }
      }
    }
    if (!nl) break ;
    left -= len + 1 ;
    s = nl + 1 ;
  }
}
