/* ISC license. */

#include <stdio.h>  /* rename */
#include <sys/stat.h>
#include <unistd.h>
#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/cdbwrite.h"

int cdbwrite_finish (cdbwrite *w, mode_t mode, uid_t uid, gid_t gid)
{
  /* Owner before mode: chown may clear mode bits, and the file must not
   * be readable by its final group before it has its final owner. */
  if (!cdbmake_finish(&w->maker)) goto err ;
  if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(w->fd, uid, gid) < 0) goto err ;
  if (fchmod(w->fd, mode) < 0) goto err ;
  if (fd_sync(w->fd) < 0) goto err ;
  {
    /* close() itself can report a write error (NFS); on Linux the fd is
     * gone either way. */
    int r = close(w->fd) ;
    w->fd = -1 ;
    if (r < 0) { unlink(w->tmp.s) ; goto err ; }
  }
  if (rename(w->tmp.s, w->path) < 0) { unlink(w->tmp.s) ; goto err ; }
  genalloc_free(diuint32, &w->maker.hplist) ;
  stralloc_free(&w->tmp) ;
  return cdbwrite_dirsync(w->path) ;

 err:
  cdbwrite_abort(w) ;
  return 0 ;
}
