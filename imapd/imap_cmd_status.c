/* ISC license. */

/* STATUS (RFC 9051 §6.3.11): MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN,
 * DELETED, SIZE (RFC 8438), RECENT (IMAP4rev1 only), HIGHESTMODSEQ
 * (RFC 7162 §3.1.6), APPENDLIMIT (RFC 7889 §3). The selected mailbox
 * answers from memory; another is opened read-only, without scanning
 * its messages when only the counters are asked for. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

#define NEEDS_SCAN (IMAP_STATUS_MESSAGES | IMAP_STATUS_RECENT | IMAP_STATUS_UNSEEN | IMAP_STATUS_DELETED | IMAP_STATUS_SIZE)

static int item (stralloc *sa, int *first, char const *name, uint64_t value)
{
  if (!*first && !stralloc_catb(sa, " ", 1)) return 0 ;
  *first = 0 ;
  return stralloc_cats(sa, name) && stralloc_catb(sa, " ", 1) && imap_fmt_u64(sa, value) ;
}

int imap_status_fmt (imap_session *s, char const *disk, unsigned int items, stralloc *sa)
{
  mbox other = MBOX_ZERO ;
  mbox *b = &other ;
  int first = 1, r = 0 ;
  uint64_t messages = 0, recent = 0, unseen = 0, deleted = 0, size = 0 ;
  if (s->state == IMAP_STATE_SELECTED && !strcmp(s->box.folder.s, disk)) b = &s->box ;
  else if (!mbox_open(&other, s->login->maildir, disk, MBOX_OPEN_READONLY | (items & NEEDS_SCAN ? 0 : MBOX_OPEN_NOSCAN)))
  {
    int e = errno ;
    mbox_close(&other) ;
    errno = e ;
    return 0 ;
  }
  if (items & NEEDS_SCAN)
  {
    messages = mbox_count(b) ;
    for (size_t i = 0 ; i < messages ; i++)
    {
      mbox_msg const *m = mbox_at(b, i) ;
      recent += m->recent ;
      unseen += !(m->flags & MBOX_SEEN) ;
      deleted += !!(m->flags & MBOX_DELETED) ;
      size += m->size ;
    }
  }
  if (!stralloc_catb(sa, "(", 1)) goto end ;
  if (items & IMAP_STATUS_MESSAGES && !item(sa, &first, "MESSAGES", messages)) goto end ;
  if (items & IMAP_STATUS_RECENT && !imap_sess_rev2(s) && !item(sa, &first, "RECENT", recent)) goto end ;
  if (items & IMAP_STATUS_UIDNEXT && !item(sa, &first, "UIDNEXT", b->uidnext)) goto end ;
  if (items & IMAP_STATUS_UIDVALIDITY && !item(sa, &first, "UIDVALIDITY", b->uidvalidity)) goto end ;
  if (items & IMAP_STATUS_UNSEEN && !item(sa, &first, "UNSEEN", unseen)) goto end ;
  if (items & IMAP_STATUS_DELETED && !item(sa, &first, "DELETED", deleted)) goto end ;
  if (items & IMAP_STATUS_SIZE && !item(sa, &first, "SIZE", size)) goto end ;
  if (items & IMAP_STATUS_HIGHESTMODSEQ && !item(sa, &first, "HIGHESTMODSEQ", b->highestmodseq ? b->highestmodseq : 1)) goto end ;
  if (items & IMAP_STATUS_APPENDLIMIT && !item(sa, &first, "APPENDLIMIT", s->appendlimit)) goto end ;
  if (!stralloc_catb(sa, ")", 1)) goto end ;
  r = 1 ;
 end:
  if (b == &other) mbox_close(&other) ;
  return r ;
}

int imap_cmd_status (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  stralloc *sa = &s->out ;
  unsigned int items = 0 ;
  (void)uid ;
  sa->len = 0 ;
  if (!imap_sp(c) || !imap_mailbox(c, sa) || !imap_sp(c) || !imap_status_items(c, &items) || !imap_end(c)) return imap_bad(s, tag, c) ;
  if (!imap_name_in(s, sa->s, &imap_sio.name)) return imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ;
  if (items & IMAP_STATUS_HIGHESTMODSEQ) s->enabled |= IMAP_ENABLED_CONDSTORE ;   /* RFC 7162 §3.1: a CONDSTORE enabling command */
  sa->len = 0 ;
  if (!stralloc_cats(sa, "* STATUS ") || !imap_name_out(s, imap_sio.name.s, sa) || !stralloc_catb(sa, " ", 1))
    return imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
  if (!imap_status_fmt(s, imap_sio.name.s, items, sa))
  {
    int e = errno ;
    if (e == ENOENT) return imap_tagged(s, tag, "NO [NONEXISTENT] No such mailbox") ;
    if (e == EINVAL || e == ENAMETOOLONG) return imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ;
    imap_log_event(s, "imap_status_fail", "error", strerror(e)) ;
    return imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot read the mailbox") ;
  }
  if (!stralloc_cats(sa, "\r\n")) return imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
  return imap_out(s, sa->s, sa->len) && imap_done(s, tag, "OK STATUS completed") ;
}
