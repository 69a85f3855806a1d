/* ISC license. */

/* Untagged updates (RFC 9051 §7): what others changed in the selected
 * mailbox since we last looked.
 *
 * mbox_sync applies expunges to the message array at once, so a sync
 * is only done where EXPUNGE may be sent: during FETCH, STORE and
 * SEARCH by sequence number (allow_expunge 0) nothing is synced and
 * every update waits for the next command that allows them, which RFC
 * 9051 §7 permits ("the server MAY ... wait"). */

#include <errno.h>
#include <string.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include "imapd/imap_session-internal.h"

static int cat_fetch (imap_session *s, stralloc *sa, size_t i)
{
  mbox_msg const *m = mbox_at(&s->box, i) ;
  if (!stralloc_cats(sa, "* ") || !imap_fmt_u64(sa, i + 1) || !stralloc_cats(sa, " FETCH (")) return 0 ;
  /* RFC 7162 §3.2.4: with QRESYNC an unsolicited FETCH carries the UID */
  if (s->enabled & IMAP_ENABLED_QRESYNC)
    if (!stralloc_cats(sa, "UID ") || !imap_fmt_u64(sa, m->uid) || !stralloc_catb(sa, " ", 1)) return 0 ;
  if (!stralloc_cats(sa, "FLAGS ") || !imap_fmt_msgflags(s, sa, i)) return 0 ;
  if (s->enabled & IMAP_ENABLED_CONDSTORE)
    if (!stralloc_cats(sa, " MODSEQ (") || !imap_fmt_u64(sa, m->modseq) || !stralloc_catb(sa, ")", 1)) return 0 ;
  return stralloc_cats(sa, ")\r\n") ;
}

int imap_report_changes (imap_session *s, mbox_changes const *ch)
{
  stralloc *sa = &imap_sio.nout ;
  size_t n = mbox_count(&s->box) ;
  sa->len = 0 ;
  if (s->enabled & IMAP_ENABLED_QRESYNC)
  {
    size_t nu = genalloc_len(uint32_t, &ch->expunged_uid) ;
    if (nu && (!stralloc_cats(sa, "* VANISHED ") || !imap_fmt_uids(sa, genalloc_s(uint32_t, &ch->expunged_uid), nu) || !stralloc_cats(sa, "\r\n"))) return 0 ;
  }
  else
  {
    uint32_t const *seq = genalloc_s(uint32_t, &ch->expunged_seq) ;
    size_t ns = genalloc_len(uint32_t, &ch->expunged_seq) ;
    for (size_t k = 0 ; k < ns ; k++)
    {
      if (!stralloc_cats(sa, "* ") || !imap_fmt_u64(sa, seq[k]) || !stralloc_cats(sa, " EXPUNGE\r\n")) return 0 ;
      if (sa->len >= IMAP_SIO_OUT_HIGH)
      {
        if (!imap_out(s, sa->s, sa->len)) return 0 ;
        sa->len = 0 ;
      }
    }
  }
  if (ch->keywords_changed)
  {
    if (!stralloc_cats(sa, "* FLAGS ") || !imap_fmt_boxflags(s, sa, 0) || !stralloc_cats(sa, "\r\n")
     || !stralloc_cats(sa, "* OK [PERMANENTFLAGS ") || !imap_fmt_boxflags(s, sa, 1) || !stralloc_cats(sa, "] Flags permitted\r\n")) return 0 ;
  }
  if (ch->added)
  {
    if (!stralloc_cats(sa, "* ") || !imap_fmt_u64(sa, n) || !stralloc_cats(sa, " EXISTS\r\n")) return 0 ;
  }
  if (ch->added && !imap_sess_rev2(s))
  {
    size_t recent = 0 ;
    for (size_t i = 0 ; i < n ; i++) recent += mbox_at(&s->box, i)->recent ;
    if (!stralloc_cats(sa, "* ") || !imap_fmt_u64(sa, recent) || !stralloc_cats(sa, " RECENT\r\n")) return 0 ;
  }
  {
    uint32_t const *c = genalloc_s(uint32_t, &ch->changed) ;
    size_t nc = genalloc_len(uint32_t, &ch->changed) ;
    for (size_t k = 0 ; k < nc ; k++)
    {
      if (c[k] >= n - ch->added) continue ;   /* new ones were announced by EXISTS */
      if (!cat_fetch(s, sa, c[k])) return 0 ;
      if (sa->len >= IMAP_SIO_OUT_HIGH)
      {
        if (!imap_out(s, sa->s, sa->len)) return 0 ;
        sa->len = 0 ;
      }
    }
  }
  return sa->len ? imap_out(s, sa->s, sa->len) : 1 ;
}

int imap_session_notify (imap_session *s, int allow_expunge)
{
  mbox_changes ch = MBOX_CHANGES_ZERO ;
  int r ;
  if (s->state != IMAP_STATE_SELECTED || !allow_expunge) return 1 ;
  imap_sio.dirty = 0 ;
  if (!mbox_sync(&s->box, &ch))
  {
    int e = errno ;
    mbox_changes_free(&ch) ;
    if (e == ENOENT)
    {
      /* the folder was deleted or renamed under us: nothing sensible can
       * be said about it any more */
      imap_log_event(s, "imap_mailbox_gone", "mailbox", s->box.folder.s) ;
      imap_untagged(s, "BYE [UNAVAILABLE] The selected mailbox was deleted or renamed") ;
      imap_sio_flush() ;
      imap_sio.dead = 1 ;
      return 0 ;
    }
    imap_log_event(s, "imap_sync_fail", "error", strerror(e)) ;
    return 1 ;   /* try again at the next command */
  }
  imap_session_synced() ;
  r = imap_report_changes(s, &ch) ;
  mbox_changes_free(&ch) ;
  return r ;
}

void imap_session_synced (void)
{
  tain_now_g() ;
  tain_addsec_g(&imap_sio.fullsync_due, IMAP_FAST_SYNC_SECS) ;
}

int imap_session_notify_fast (imap_session *s, int allow_expunge)
{
  if (s->state != IMAP_STATE_SELECTED || !allow_expunge) return 1 ;
  tain_now_g() ;
  if (tain_less(&STAMP, &imap_sio.fullsync_due)) return 1 ;
  return imap_session_notify(s, 1) ;
}

char const *const *imap_session_keywords (imap_session *s, unsigned int *n)
{
  char const *k = s->box.keywords.s ;
  imap_sio.kwptr.len = 0 ;
  for (unsigned int i = 0 ; i < s->box.nkeywords ; i++)
  {
    if (!genalloc_append(char const *, &imap_sio.kwptr, &k)) { *n = i ; return genalloc_s(char const *, &imap_sio.kwptr) ; }
    k += strlen(k) + 1 ;
  }
  *n = s->box.nkeywords ;
  return genalloc_s(char const *, &imap_sio.kwptr) ;
}
