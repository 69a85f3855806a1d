/* ISC license. */

#include <errno.h>
#include <string.h>
#include <crypt.h>

#include <skalibs/random.h>

#include "common/pwhash.h"

#define PREFIX "{SHA512-CRYPT}"
#define PREFIXLEN (sizeof(PREFIX) - 1)

/* See pwhash.h for why SHA512-CRYPT at the default 5000 rounds: the
 * count 0 asks libxcrypt for its default and leaves "rounds=" out of the
 * setting, exactly as doveadm pw writes it. libxcrypt turns 16 random
 * bytes into a 16-character salt, SHA-crypt's maximum (fewer bytes give
 * a shorter salt). */
size_t pwhash_make (char *out, char const *password, size_t pwlen)
{
  struct crypt_data data ;
  char rbytes[16] ;
  char setting[CRYPT_GENSALT_OUTPUT_SIZE] ;
  char phrase[PWHASH_PASSWORD_MAX + 1] ;
  char const *h ;
  size_t len = 0 ;
  if (!pwlen || pwlen > PWHASH_PASSWORD_MAX || memchr(password, 0, pwlen))
    return (errno = EINVAL, 0) ;
  random_buf(rbytes, sizeof(rbytes)) ;
  if (!crypt_gensalt_rn("$6$", 0, rbytes, sizeof(rbytes), setting, sizeof(setting)))
    return 0 ;
  memcpy(phrase, password, pwlen) ; phrase[pwlen] = 0 ;
  memset(&data, 0, sizeof(data)) ;
  errno = 0 ;
  h = crypt_rn(phrase, setting, &data, sizeof(data)) ;
  if (!h) { if (!errno) errno = EINVAL ; }
  else
  {
    size_t hlen = strlen(h) ;
    if (PREFIXLEN + hlen >= PWHASH_OUTPUT_MAX) errno = ERANGE ;
    else
    {
      memcpy(out, PREFIX, PREFIXLEN) ;
      memcpy(out + PREFIXLEN, h, hlen + 1) ;
      len = PREFIXLEN + hlen ;
    }
  }
  explicit_bzero(phrase, sizeof(phrase)) ;
  explicit_bzero(&data, sizeof(data)) ;
  explicit_bzero(rbytes, sizeof(rbytes)) ;
  return len ;
}
