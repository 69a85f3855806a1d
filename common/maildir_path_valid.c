/* ISC license. */

#include <stddef.h>

#include "common/maildir.h"

 /* users.cdb says where a mailbox lives; a corrupt or hostile value must
    not make deliverd (uid vmail) write outside the mail root, so refuse
    anything that could climb out or point elsewhere: absolute paths and
    empty, "." or ".." components. Symlinks below the root are never
    followed (maildir_opendir_beneath). */

int maildir_path_valid (char const *s, size_t len)
{
  size_t start = 0 ;
  if (!len || len > MAILDIR_PATH_MAX) return 0 ;
  for (size_t i = 0 ; i <= len ; i++)
  {
    if (i == len || s[i] == '/')
    {
      size_t n = i - start ;
      if (!n) return 0 ;
      if (s[start] == '.' && (n == 1 || (n == 2 && s[start+1] == '.'))) return 0 ;
      start = i + 1 ;
    }
    else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0 ;
  }
  return 1 ;
}
