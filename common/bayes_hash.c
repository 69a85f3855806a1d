/* ISC license. */

#include <stdint.h>

#include "common/bayes.h"

/* FNV-1a, 64 bits (Fowler, Noll, Vo; IETF draft-eastlake-fnv): cheap,
 * well spread for short words. An adversary who makes two of his words
 * collide only confuses his own two tokens. */

uint64_t bayes_hash (char const *prefix, char const *word, size_t len)
{
  uint64_t h = 0xcbf29ce484222325ULL ;
  for (char const *p = prefix ; *p ; p++)
  {
    h ^= (unsigned char)*p ;
    h *= 0x100000001b3ULL ;
  }
  for (size_t i = 0 ; i < len ; i++)
  {
    h ^= (unsigned char)word[i] ;
    h *= 0x100000001b3ULL ;
  }
  return h ;
}
