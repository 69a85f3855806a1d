/* ISC license. */

/* Mailbox names cross here between the client's form and the disk's.
 * On disk they are modified UTF-7 with '.' as hierarchy delimiter
 * (Maildir++, as Dovecot). A client that enabled UTF8=ACCEPT speaks
 * UTF-8 (RFC 6855 §3), converted both ways; any other client speaks
 * modified UTF-7 (RFC 3501 §5.1.3), which is checked and passed through. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

static stralloc check = STRALLOC_ZERO ;

int imap_name_in (imap_session const *s, char const *client, stralloc *sa)
{
  size_t len = strlen(client) ;
  sa->len = 0 ;
  if (!strcmp(client, "INBOX")) return stralloc_copyb(sa, "INBOX", 6) ;
  if (s->enabled & IMAP_ENABLED_UTF8)
  {
    if (!utf8_to_mutf7(sa, client, len)) return (errno = EINVAL, 0) ;
  }
  else
  {
    for (size_t i = 0 ; i < len ; i++)
      if ((unsigned char)client[i] >= 0x80 || (unsigned char)client[i] < 0x20) return (errno = EINVAL, 0) ;
    check.len = 0 ;
    if (!mutf7_to_utf8(&check, client, len)) return (errno = EINVAL, 0) ;
    if (!stralloc_catb(sa, client, len)) return 0 ;
  }
  if (!stralloc_0(sa)) return 0 ;
  if (!strcmp(sa->s, "INBOX")) return 1 ;
  if (!mbox_folder_name_valid(sa->s)) return (errno = EINVAL, 0) ;
  return 1 ;
}

int imap_name_out (imap_session const *s, char const *disk, stralloc *sa)
{
  size_t len = strlen(disk) ;
  if (s->enabled & IMAP_ENABLED_UTF8)
  {
    check.len = 0 ;
    if (mutf7_to_utf8(&check, disk, len))
      return imap_fmt_string(sa, check.s, check.len, 1) ;
  }
  return imap_fmt_string(sa, disk, len, 0) ;
}
