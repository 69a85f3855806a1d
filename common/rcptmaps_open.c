/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "common/cdbmap.h"
#include "common/rcpt.h"

 /* The four paths live in m->paths, which is sized once so that the
    cdbmap path pointers into it never move. */

int rcptmaps_open (rcptmaps *m, char const *dir)
{
  static char const *const names[4] = { "/domains.cdb", "/users.cdb", "/aliases.cdb", "/regexp.map" } ;
  size_t dirlen = strlen(dir) ;
  size_t off[4] ;
  int e ;
  m->paths.len = 0 ;
  if (!stralloc_ready(&m->paths, 4 * (dirlen + 14))) return 0 ;
  for (unsigned int i = 0 ; i < 4 ; i++)
  {
    off[i] = m->paths.len ;
    stralloc_catb(&m->paths, dir, dirlen) ;
    stralloc_cats(&m->paths, names[i]) ;
    stralloc_0(&m->paths) ;
  }
   /* cdbmap_open leaves a usable (empty, retrying) map even on failure */
  if (!cdbmap_open(&m->domains, m->paths.s + off[0])) goto err1 ;
  if (!cdbmap_open(&m->users, m->paths.s + off[1])) goto err2 ;
  if (!cdbmap_open(&m->aliases, m->paths.s + off[2])) goto err3 ;
   /* a regexp.map that does not parse is reported at each lookup */
  regexpmap_open(&m->regexps, m->paths.s + off[3]) ;
  return 1 ;

 err3:
  e = errno ;
  cdbmap_close(&m->aliases) ;
  cdbmap_close(&m->users) ;
  goto err ;
 err2:
  e = errno ;
  cdbmap_close(&m->users) ;
 err:
  cdbmap_close(&m->domains) ;
  errno = e ;
  return 0 ;
 err1:
  e = errno ;
  cdbmap_close(&m->domains) ;
  errno = e ;
  return 0 ;
}
