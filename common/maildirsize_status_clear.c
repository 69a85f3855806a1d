/* ISC license. */

#include <errno.h>
#include <unistd.h>

#include "common/maildirsize.h"

int maildirsize_status_clear (int dirfd, char const *maildir)
{
  char name[MAILDIRSIZE_STATUS_NAME] ;
  maildirsize_status_name(name, maildir) ;
  return unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ;
}
