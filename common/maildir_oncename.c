/* ISC license. */

#include <string.h>

#include <skalibs/sha256.h>

#include "common/maildir.h"

 /* A cryptographic hash, cut to 64 bits: the key holds addresses a
    sender chooses, and two destinations of one message whose names
    collided would get one copy between them. 64 bits among the few
    destinations of one queue id cannot collide by chance, and SHA-256
    cannot be steered into it. */
size_t maildir_oncename (char *s, char const *qid, char const *key, size_t keylen)
{
  static char const hex[16] = "0123456789abcdef" ;
  SHA256Schedule ctx = SHA256_INIT() ;
  char digest[32] ;
  size_t n = strlen(qid) ;
  if (!n || n > MAILDIR_QID_MAX) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = qid[i] ;
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return 0 ;
  }
  sha256_update(&ctx, key, keylen) ;
  sha256_final(&ctx, digest) ;
  memcpy(s, qid, n) ;
  s[n++] = '.' ;
  for (unsigned int i = 0 ; i < 8 ; i++)
  {
    s[n++] = hex[(unsigned char)digest[i] >> 4] ;
    s[n++] = hex[(unsigned char)digest[i] & 15] ;
  }
  s[n] = 0 ;
  return n ;
}
