/* ISC license. */

#include <string.h>

#include <skalibs/bytestr.h>

#include "common/maildir.h"

 /* RFC 6154 special-use mailboxes, by the names docker-mailserver's
    Dovecot configuration gives them (Drafts, Junk, Trash, Sent, "Sent
    Messages"), plus Archive. Their contents are the user's own doing
    (drafts, sent copies, deletions, spam); a "+tag" from an outside
    sender must never put a message there. A folder marked special-use
    later goes into this list. */

static char const *const special[] =
{
  "Drafts", "Sent", "Sent Messages", "Trash", "Junk", "Archive", 0
} ;

int maildir_folder_special_use (char const *name, size_t len)
{
  for (unsigned int i = 0 ; special[i] ; i++)
    if (strlen(special[i]) == len && !case_diffb(name, len, special[i])) return 1 ;
  return 0 ;
}
