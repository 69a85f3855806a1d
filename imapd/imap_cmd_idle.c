/* ISC license. */

/* IDLE (RFC 2177, RFC 9051 §6.3.13): the handler only answers "+ idling"
 * and marks the session; the loop then waits on the client and on
 * inotify, and every change wakes imap_idle_wake, which sends the
 * updates at once. The next line must be DONE. */

#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include "imapd/imap_session-internal.h"

static void schedule (tain *t, unsigned int ms)
{
  tain d ;
  tain_from_millisecs(&d, ms) ;
  tain_add_g(t, &d) ;
}

int imap_cmd_idle (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  if (!imap_end(c)) return imap_bad(s, tag, c) ;
  if (!stralloc_copys(&imap_sio.idletag, tag) || !stralloc_0(&imap_sio.idletag)) return 0 ;
  imap_sio_watch_drain() ;
  if (!imap_session_notify(s, 1)) return 0 ;
  imap_sio.idling = 1 ;
  schedule(&imap_sio.recheck, IMAP_IDLE_POLL * 1000) ;
  return imap_outs(s, "+ idling\r\n") ;
}

int imap_idle_wake (imap_session *s)
{
  int changed = imap_sio.dirty ;
  if (!imap_session_notify(s, 1) || !imap_sio_flush()) return 0 ;
  /* a change seen now may have a sibling in the same second that the
   * mtime check of the next sync cannot tell: look once more shortly */
  schedule(&imap_sio.recheck, changed ? IMAP_IDLE_RECHECK_MS : IMAP_IDLE_POLL * 1000) ;
  return 1 ;
}

int imap_idle_line (imap_session *s, char const *cmd, size_t len)
{
  imap_sio.idling = 0 ;
  while (len && (cmd[len-1] == '\n' || cmd[len-1] == '\r')) len-- ;
  if (len == 4 && !strncasecmp(cmd, "DONE", 4))
    return imap_done(s, imap_sio.idletag.s, "OK IDLE terminated") ;
  return imap_tagged(s, imap_sio.idletag.s, "BAD Expected DONE") ;
}
