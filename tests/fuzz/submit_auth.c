/* ISC license. */

/* libFuzzer harness for submitd's AUTH readers (submitd/sub_authproto.c):
 * the AUTH argument, base64 checking and decoding, and the user name
 * pulled out for the log. Input: one byte choosing the mechanism for
 * sub_auth_user, then the bytes.
 * Invariants:
 *  - a parsed mechanism is 1-20 upper-case sasl-mech characters, and the
 *    initial response lies inside the argument and is valid base64;
 *  - base64 that is valid decodes to exactly 3/4 of its length minus the
 *    padding, and encodes back to the same text when canonical;
 *  - anything not valid is refused by the decoder;
 *  - the user name is NUL-terminated, at most SUB_AUTHUSER_MAX long. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "submitd/sub_authproto.h"

#define die() abort()

static size_t encode (char const *in, size_t len, char *out)
{
  static char const a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" ;
  size_t w = 0 ;
  for (size_t i = 0 ; i < len ; i += 3)
  {
    unsigned int v = (unsigned char)in[i] << 16 ;
    if (i + 1 < len) v |= (unsigned char)in[i + 1] << 8 ;
    if (i + 2 < len) v |= (unsigned char)in[i + 2] ;
    out[w++] = a[(v >> 18) & 63] ;
    out[w++] = a[(v >> 12) & 63] ;
    out[w++] = i + 1 < len ? a[(v >> 6) & 63] : '=' ;
    out[w++] = i + 2 < len ? a[v & 63] : '=' ;
  }
  return w ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s ;
  sub_authcmd c ;
  unsigned int mech ;
  if (!size) return 0 ;
  mech = data[0] % 3 ;
  s = (char const *)data + 1 ;
  size-- ;

  if (sub_authcmd_parse(s, size, &c) == SUB_AUTHCMD_OK)
  {
    size_t n = strlen(c.mech) ;
    if (!n || n > SUB_MECH_MAX) die() ;
    for (size_t i = 0 ; i < n ; i++)
      if (!((c.mech[i] >= 'A' && c.mech[i] <= 'Z') || (c.mech[i] >= '0' && c.mech[i] <= '9') || c.mech[i] == '-' || c.mech[i] == '_')) die() ;
    if (c.resplen && (c.resp < s || c.resp + c.resplen > s + size)) die() ;
    if (!sub_base64_valid(c.resp, c.resplen)) die() ;
    if ((c.mechid == SUB_MECH_PLAIN) != !strcmp(c.mech, "PLAIN")) die() ;
  }

  {
    char *out = malloc(size + 1) ;
    size_t outlen = 0 ;
    int valid = sub_base64_valid(s, size) ;
    int ok ;
    if (!out) die() ;
    ok = sub_base64_decode(s, size, out, size + 1, &outlen) ;
    if (ok != valid) die() ;
    if (ok)
    {
      size_t pad = size && s[size - 1] == '=' ? (size >= 2 && s[size - 2] == '=' ? 2 : 1) : 0 ;
      char *back ;
      if (outlen != size / 4 * 3 - pad) die() ;
      back = malloc(size + 4) ;
      if (!back) die() ;
      if (encode(out, outlen, back) != size) die() ;
      /* equal unless the last digit carried bits the padding drops */
      if (memcmp(back, s, size - (pad ? pad + 1 : 0))) die() ;
      free(back) ;
    }
    free(out) ;
  }

  {
    char user[SUB_AUTHUSER_MAX + 1] ;
    size_t n = sub_auth_user(mech, s, size, user) ;
    if (n > SUB_AUTHUSER_MAX || strlen(user) > n || user[n]) die() ;
  }
  return 0 ;
}
