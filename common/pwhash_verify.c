/* ISC license. */

#include <errno.h>
#include <string.h>
#include <crypt.h>

#include "common/pwhash.h"

/* A named scheme must carry the hash it names: a "{SHA512-CRYPT}" field
 * holding, say, a DES hash is a broken account line, not a login to try. */
static int prefix_fits (int scheme, char const *h, size_t len)
{
  switch (scheme)
  {
    case PWHASH_SCHEME_SHA512_CRYPT :
      return len >= 3 && !memcmp(h, "$6$", 3) ;
    case PWHASH_SCHEME_SHA256_CRYPT :
      return len >= 3 && !memcmp(h, "$5$", 3) ;
    case PWHASH_SCHEME_BLF_CRYPT :
      return len >= 4 && h[0] == '$' && h[1] == '2' && h[3] == '$'
        && (h[2] == 'y' || h[2] == 'b' || h[2] == 'a') ;
    default :
      return len > 0 ;
  }
}

static int verify_plain (char const *stored, size_t len, char const *password, size_t pwlen)
{
  /* Compare over the stored length either way, so the time does not tell
   * how many leading bytes matched. */
  int same = pwhash_equal(stored, pwlen == len ? password : stored, len) ;
  return same && pwlen == len ;
}

static int verify_crypt (char const *stored, size_t len, char const *password, size_t pwlen)
{
  struct crypt_data data ;
  char setting[CRYPT_OUTPUT_SIZE] ;
  char phrase[PWHASH_PASSWORD_MAX + 1] ;
  char const *out ;
  int r = -1 ;
  if (len >= sizeof(setting) || memchr(stored, 0, len)) return (errno = EINVAL, -1) ;
  /* crypt(3) takes C strings: a NUL would cut the password short, and
   * libxcrypt refuses anything longer. Neither can match. */
  if (pwlen > PWHASH_PASSWORD_MAX || memchr(password, 0, pwlen)) return 0 ;
  memcpy(setting, stored, len) ; setting[len] = 0 ;
  memcpy(phrase, password, pwlen) ; phrase[pwlen] = 0 ;
  memset(&data, 0, sizeof(data)) ;
  errno = 0 ;
  out = crypt_rn(phrase, setting, &data, sizeof(data)) ;
  if (!out) { if (!errno) errno = EINVAL ; }
  else
  {
    size_t outlen = strlen(out) ;
    r = outlen == len && pwhash_equal(out, stored, len) ;
  }
  explicit_bzero(phrase, sizeof(phrase)) ;
  explicit_bzero(&data, sizeof(data)) ;
  return r ;
}

int pwhash_verify (char const *stored, size_t len, char const *password, size_t pwlen, int *schemep)
{
  size_t pos ;
  int scheme = pwhash_scheme(stored, len, &pos) ;
  if (scheme < 0) return -1 ;
  if (schemep) *schemep = scheme ;
  stored += pos ; len -= pos ;
  if (scheme == PWHASH_SCHEME_PLAIN) return verify_plain(stored, len, password, pwlen) ;
  if (!prefix_fits(scheme, stored, len)) return (errno = EINVAL, -1) ;
  return verify_crypt(stored, len, password, pwlen) ;
}
