/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>

#include "common/preauth.h"

static char const b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" ;

static int b64_cat (stralloc *sa, char const *s, size_t len)
{
  if (!stralloc_readyplus(sa, 4 * ((len + 2) / 3))) return 0 ;
  for (size_t i = 0 ; i < len ; i += 3)
  {
    unsigned char a = s[i], b = i + 1 < len ? s[i + 1] : 0, c = i + 2 < len ? s[i + 2] : 0 ;
    sa->s[sa->len++] = b64[a >> 2] ;
    sa->s[sa->len++] = b64[((a & 3) << 4) | (b >> 4)] ;
    sa->s[sa->len++] = i + 1 < len ? b64[((b & 15) << 2) | (c >> 6)] : '=' ;
    sa->s[sa->len++] = i + 2 < len ? b64[c & 63] : '=' ;
  }
  return 1 ;
}

int preauth_plain_encode (stralloc *enc, char const *user, size_t userlen, char const *pass, size_t passlen)
{
  stralloc plain = STRALLOC_ZERO ;
  int ok = stralloc_catb(&plain, "", 1) && stralloc_catb(&plain, user, userlen)
        && stralloc_catb(&plain, "", 1) && stralloc_catb(&plain, pass, passlen)
        && b64_cat(enc, plain.s, plain.len) ;
  if (plain.s) explicit_bzero(plain.s, plain.len) ;
  stralloc_free(&plain) ;
  return ok ;
}
