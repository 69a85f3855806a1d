/* ISC license. */

/* inotify on the Maildir root (INBOX's uidlist, folders appearing and
 * going) and on the selected folder's directory, new/ and cur/: a
 * delivery (link into new/), another session's flag change (rename in
 * cur/) or expunge wakes an IDLE at once. Without inotify (no watches
 * left, EMFILE) IDLE still polls every IMAP_IDLE_POLL seconds. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_session-internal.h"

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR | IN_EXCL_UNLINK | IN_DELETE_SELF | IN_MOVE_SELF)

static stralloc path = STRALLOC_ZERO ;

static int add (char const *root, char const *folder, char const *sub)
{
  path.len = 0 ;
  if (!stralloc_cats(&path, root)) return -1 ;
  if (folder && (!stralloc_cats(&path, "/.") || !stralloc_cats(&path, folder))) return -1 ;
  if (sub && (!stralloc_catb(&path, "/", 1) || !stralloc_cats(&path, sub))) return -1 ;
  if (!stralloc_0(&path)) return -1 ;
  return inotify_add_watch(imap_sio.ifd, path.s, WATCH_MASK) ;
}

void imap_sio_watch_init (char const *root)
{
  imap_sio.wd_root = imap_sio.wd_box[0] = imap_sio.wd_box[1] = imap_sio.wd_box[2] = -1 ;
  imap_sio.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC) ;
  if (imap_sio.ifd < 0) return ;
  imap_sio.wd_root = add(root, 0, 0) ;
}

void imap_sio_watch_box (char const *root, char const *folder)
{
  if (imap_sio.ifd < 0) return ;
  for (unsigned int i = 0 ; i < 3 ; i++)
  {
    if (imap_sio.wd_box[i] >= 0 && imap_sio.wd_box[i] != imap_sio.wd_root)
      inotify_rm_watch(imap_sio.ifd, imap_sio.wd_box[i]) ;
    imap_sio.wd_box[i] = -1 ;
  }
  if (!folder) return ;
  {
    int inbox = !strcmp(folder, "INBOX") ;
    char const *f = inbox ? 0 : folder ;
    imap_sio.wd_box[0] = add(root, f, "new") ;
    imap_sio.wd_box[1] = add(root, f, "cur") ;
    imap_sio.wd_box[2] = inbox ? -1 : add(root, f, 0) ;
  }
}

void imap_sio_watch_drain (void)
{
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event)))) ;
  if (imap_sio.ifd < 0) return ;
  for (unsigned int i = 0 ; i < 1024 ; i++)   /* bounded: at worst a full queue (IN_Q_OVERFLOW) */
  {
    ssize_t r = read(imap_sio.ifd, buf, sizeof buf) ;
    if (r <= 0) break ;
    imap_sio.dirty = 1 ;
  }
}
