/* ISC license. */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common/pwhash.h"

static struct { char const *name ; int scheme ; } const schemes[] =
{
  { "SHA512-CRYPT", PWHASH_SCHEME_SHA512_CRYPT },
  { "SHA256-CRYPT", PWHASH_SCHEME_SHA256_CRYPT },
  { "BLF-CRYPT", PWHASH_SCHEME_BLF_CRYPT },
  { "CRYPT", PWHASH_SCHEME_CRYPT },
  { "PLAIN", PWHASH_SCHEME_PLAIN },
  { "CLEAR", PWHASH_SCHEME_PLAIN },
  { "CLEARTEXT", PWHASH_SCHEME_PLAIN },
} ;

int pwhash_scheme (char const *stored, size_t len, size_t *hashpos)
{
  char const *end ;
  size_t namelen ;
  if (!len || stored[0] != '{')
  {
    *hashpos = 0 ;
    return PWHASH_SCHEME_CRYPT ;
  }
  end = memchr(stored, '}', len) ;
  if (!end) return (errno = EINVAL, -1) ;
  namelen = end - stored - 1 ;
  for (size_t i = 0 ; i < sizeof(schemes) / sizeof(schemes[0]) ; i++)
    if (strlen(schemes[i].name) == namelen && !strncasecmp(schemes[i].name, stored + 1, namelen))
    {
      *hashpos = namelen + 2 ;
      return schemes[i].scheme ;
    }
  return (errno = EINVAL, -1) ;
}
