/* ISC license. */

#include <string.h>

#include <skalibs/sha256.h>

#include "common/maildirsize.h"

 /* A hash, not the path itself: one file name for any Maildir path, of
    fixed length, with no '/' or dot to worry about. */
void maildirsize_status_name (char *name, char const *maildir)
{
  static char const hex[] = "0123456789abcdef" ;
  SHA256Schedule ctx = SHA256_INIT() ;
  char digest[32] ;
  sha256_update(&ctx, maildir, strlen(maildir)) ;
  sha256_final(&ctx, digest) ;
  for (unsigned int i = 0 ; i < 32 ; i++)
  {
    name[2*i] = hex[(unsigned char)digest[i] >> 4] ;
    name[2*i+1] = hex[(unsigned char)digest[i] & 15] ;
  }
  name[64] = 0 ;
}
