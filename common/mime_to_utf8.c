/* ISC license. */

/* Charset conversion with iconv(3). What iconv cannot convert (an
 * unknown charset, an invalid or unconvertible byte) becomes U+FFFD, so
 * a message always yields text. UTF-8 and US-ASCII skip iconv. */

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>
#include "common/mime.h"
#include "common/mime-internal.h"

static int replace_invalid_utf8 (stralloc *sa, char const *s, size_t len)
{
  unsigned char const *u = (unsigned char const *)s ;
  size_t i = 0 ;
  while (i < len)
  {
    uint32_t cp ;
    unsigned int n = mime_utf8_seq(u + i, len - i, &cp) ;
    if (!n) { if (!mime_utf8_put(sa, 0xfffd)) return 0 ; i++ ; continue ; }
    if (!stralloc_catb(sa, s + i, n)) return 0 ;
    i += n ;
  }
  return 1 ;
}

int mime_to_utf8 (stralloc *sa, char const *s, size_t len, char const *charset)
{
  iconv_t cd ;
  char cs[64] ;
  size_t cl = strlen(charset) ;
  if (cl >= sizeof(cs)) cl = sizeof(cs) - 1 ;
  memcpy(cs, charset, cl) ; cs[cl] = 0 ;
  /* RFC 2231 §5: "charset*language" in encoded words */
  {
    char *star = strchr(cs, '*') ;
    if (star) *star = 0 ;
  }
  if (!strcasecmp(cs, "utf-8") || !strcasecmp(cs, "utf8") || !strcasecmp(cs, "us-ascii") || !strcasecmp(cs, "ascii"))
    return replace_invalid_utf8(sa, s, len) ;
  /* Windows-1252 is what mail labelled ISO-8859-1 usually is (WHATWG Encoding) */
  cd = iconv_open("UTF-8", !strcasecmp(cs, "iso-8859-1") || !strcasecmp(cs, "latin1") ? "WINDOWS-1252" : cs) ;
  if (cd == (iconv_t)-1)
  {
    /* unknown charset: every 8-bit byte is unreadable */
    for (size_t i = 0 ; i < len ; i++)
    {
      if ((unsigned char)s[i] < 0x80) { if (!stralloc_catb(sa, s + i, 1)) return 0 ; }
      else if (!mime_utf8_put(sa, 0xfffd)) return 0 ;
    }
    return 1 ;
  }
  {
    char *in = (char *)s ;
    size_t inleft = len ;
    int ok = 1 ;
    for (unsigned int guard = 0 ; inleft && guard < len + 16 ; guard++)
    {
      char buf[1024] ;
      char *out = buf ;
      size_t outleft = sizeof(buf) ;
      size_t r = iconv(cd, &in, &inleft, &out, &outleft) ;
      int e = errno ;
      if (!stralloc_catb(sa, buf, out - buf)) { ok = 0 ; break ; }
      if (r != (size_t)-1) break ;
      if (e == E2BIG) continue ;
      /* EILSEQ or EINVAL (truncated input): one replacement, skip a byte */
      if (!mime_utf8_put(sa, 0xfffd)) { ok = 0 ; break ; }
      in++ ; inleft-- ;
      iconv(cd, 0, 0, 0, 0) ;
    }
    if (ok)
    {
      char buf[64] ;
      char *out = buf ;
      size_t outleft = sizeof(buf) ;
      iconv(cd, 0, 0, &out, &outleft) ;
      ok = stralloc_catb(sa, buf, out - buf) ;
    }
    iconv_close(cd) ;
    return ok ;
  }
}
