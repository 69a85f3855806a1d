/* ISC license. */

#include <stdlib.h>
#include <fcntl.h>
#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/cdbwrite.h"

int cdbwrite_start (cdbwrite *w, char const *path)
{
  w->path = path ;
  w->tmp.len = 0 ;
  if (!stralloc_cats(&w->tmp, path)
   || !stralloc_cats(&w->tmp, ".tmp.XXXXXX")
   || !stralloc_0(&w->tmp)) return 0 ;
  /* Same directory as the target, so that rename() is atomic. mkostemp
   * creates the file with O_EXCL and mode 0600: nobody reads a map before
   * cdbwrite_finish() gives it its final mode. */
  w->fd = mkostemp(w->tmp.s, O_CLOEXEC) ;
  if (w->fd < 0) return 0 ;
  if (!cdbmake_start(&w->maker, w->fd))
  {
    cdbwrite_abort(w) ;
    return 0 ;
  }
  return 1 ;
}
