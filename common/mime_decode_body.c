/* ISC license. */

/* Content-Transfer-Encoding decoding (RFC 2045 §6). Lenient, as §6.8
 * asks of base64 readers: characters outside the alphabet are skipped,
 * decoding stops at the first '=' pad. In quoted-printable, a '=' not
 * followed by two hex digits or a line end is kept as it is (§6.7 note
 * 1), and trailing white space on a line is dropped (§6.7 rule 3). */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>
#include "common/hexdigit.h"
#include "common/mime.h"

static int b64val (unsigned char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return c - 'a' + 26 ;
  if (c >= '0' && c <= '9') return c - '0' + 52 ;
  if (c == '+') return 62 ;
  if (c == '/') return 63 ;
  return -1 ;
}

static int base64 (stralloc *sa, char const *s, size_t len)
{
  uint32_t acc = 0 ;
  unsigned int bits = 0 ;
  if (!stralloc_readyplus(sa, len / 4 * 3 + 3)) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    int v ;
    if (s[i] == '=') break ;
    v = b64val(s[i]) ;
    if (v < 0) continue ;
    acc = (acc << 6 | v) & 0xffffff ;
    bits += 6 ;
    if (bits >= 8)
    {
      bits -= 8 ;
      sa->s[sa->len++] = (char)(acc >> bits) ;
    }
  }
  return 1 ;
}

static int qp (stralloc *sa, char const *s, size_t len)
{
  size_t i = 0 ;
  if (!stralloc_readyplus(sa, len)) return 0 ;
  while (i < len)
  {
    /* one line, without its line end */
    char const *nl = memchr(s + i, '\n', len - i) ;
    size_t e = nl ? (size_t)(nl - s) : len ;
    size_t le = e ;
    int soft = 0 ;
    if (le > i && s[le - 1] == '\r') le-- ;
    while (le > i && (s[le - 1] == ' ' || s[le - 1] == '\t')) le-- ;
    if (le > i && s[le - 1] == '=') { soft = 1 ; le-- ; }
    for (size_t k = i ; k < le ; k++)
    {
      char c = s[k] ;
      int b ;
      if (c == '=' && k + 2 < le && (b = hex_pair(s + k + 1)) >= 0)
      {
        c = (char)b ;
        k += 2 ;
      }
      sa->s[sa->len++] = c ;
    }
    if (!nl) break ;
    if (!soft)
    {
      /* the line end as it was: CRLF stays CRLF, LF stays LF */
      if (e > i && s[e - 1] == '\r') sa->s[sa->len++] = '\r' ;
      sa->s[sa->len++] = '\n' ;
    }
    i = e + 1 ;
  }
  return 1 ;
}

int mime_decode_body (stralloc *sa, char const *body, size_t len, char const *encoding)
{
  if (!strcasecmp(encoding, "base64")) return base64(sa, body, len) ;
  if (!strcasecmp(encoding, "quoted-printable")) return qp(sa, body, len) ;
  if (!stralloc_catb(sa, body, len)) return 0 ;
  if (!*encoding || !strcasecmp(encoding, "7bit") || !strcasecmp(encoding, "8bit") || !strcasecmp(encoding, "binary")) return 1 ;
  errno = EILSEQ ;
  return 0 ;
}
