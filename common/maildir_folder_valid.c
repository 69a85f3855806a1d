/* ISC license. */

#include <stddef.h>

#include <skalibs/bytestr.h>

#include "common/maildir.h"

 /* A Maildir++ folder is the directory ".<name>" beside cur/new/tmp, the
    hierarchy separator being '.' (Dovecot's default layout). The name
    comes from an address's +tag, so it is untrusted: one directory entry
    only, no empty level (which would also allow ".." and "..."), no
    control bytes. INBOX is the Maildir itself, never a dot-folder. */

int maildir_folder_valid (char const *s, size_t len)
{
  size_t start = 0 ;
  if (!len || len + 1 > MAILDIR_FOLDER_MAX) return 0 ;
  if (len == 5 && !case_diffb(s, 5, "inbox")) return 0 ;
  for (size_t i = 0 ; i <= len ; i++)
  {
    if (i == len || s[i] == '.')
    {
      if (i == start) return 0 ;
      start = i + 1 ;
    }
    else if (s[i] == '/' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0 ;
  }
  return 1 ;
}
