/* ISC license. */

/* CLOSE (RFC 9051 §6.4.1): expunges silently (no EXPUNGE responses)
 * unless the mailbox is read-only, then leaves it. UNSELECT (RFC 3691)
 * leaves it without expunging. */

#include <errno.h>
#include <string.h>
#include "common/maildirsize.h"
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

int imap_cmd_close (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  if (!imap_end(c)) return imap_bad(s, tag, c) ;
  if (!s->readonly)
  {
    mbox_changes ch = MBOX_CHANGES_ZERO ;
    int64_t bytes = 0, count = 0 ;
    for (size_t i = 0 ; i < mbox_count(&s->box) ; i++)
      if (mbox_at(&s->box, i)->flags & MBOX_DELETED) { bytes += mbox_at(&s->box, i)->fsize ; count++ ; }
    if (count)
    {
      if (!mbox_expunge(&s->box, 0, 0, 0, &ch))
      {
        int e = errno ;
        mbox_changes_free(&ch) ;
        imap_log_event(s, "imap_expunge_fail", "error", strerror(e)) ;
        imap_deselect(s) ;
        return imap_tagged(s, tag, "NO [UNAVAILABLE] Mailbox closed, but the deleted messages could not be expunged") ;
      }
      maildirsize_append(imap_sio.rootfd, -bytes, -count) ;
    }
    mbox_changes_free(&ch) ;
  }
  imap_deselect(s) ;
  return imap_tagged(s, tag, "OK CLOSE completed") ;
}

int imap_cmd_unselect (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  if (!imap_end(c)) return imap_bad(s, tag, c) ;
  imap_deselect(s) ;
  return imap_tagged(s, tag, "OK UNSELECT completed") ;
}
