/* ISC license. */

#include "common/pwhash.h"

char const *pwhash_scheme_name (int scheme)
{
  switch (scheme)
  {
    case PWHASH_SCHEME_SHA512_CRYPT : return "SHA512-CRYPT" ;
    case PWHASH_SCHEME_SHA256_CRYPT : return "SHA256-CRYPT" ;
    case PWHASH_SCHEME_BLF_CRYPT : return "BLF-CRYPT" ;
    case PWHASH_SCHEME_PLAIN : return "PLAIN" ;
    default : return "CRYPT" ;
  }
}
