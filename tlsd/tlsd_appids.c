/* ISC license. */

#include <stdlib.h>
#include <errno.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/strerr.h>
#include <skalibs/setgroups.h>

#include "tlsd.h"

/* tlsd -U: the protocol program's ids, applied by tlsd itself rather
 * than by `s6-setuidgid user prog`, which costs three more execs per
 * connection (s6-setuidgid, s6-envuidgid with a getpwnam, and
 * s6-applyuidgid). The service resolves the user once, at start, with
 * s6-envuidgid; this is s6-applyuidgid -U's job: UID, GID and GIDLIST
 * (comma-separated, possibly empty), all required. Root is refused:
 * the point is to leave it. */

void tlsd_appids_scan (tlsd_appids *ids)
{
  char const *x = getenv("UID") ;
  if (!x) strerr_dienotset(100, "UID") ;
  if (!uid0_scan(x, &ids->uid)) strerr_dieinvalid(100, "UID") ;
  x = getenv("GID") ;
  if (!x) strerr_dienotset(100, "GID") ;
  if (!gid0_scan(x, &ids->gid)) strerr_dieinvalid(100, "GID") ;
  x = getenv("GIDLIST") ;
  if (!x) strerr_dienotset(100, "GIDLIST") ;
  ids->ngids = 0 ;
  if (*x)
  {
    size_t len = gid_scanlist(ids->gids, TLSD_GIDLIST_MAX, x, &ids->ngids) ;
    if (!len || x[len]) strerr_dieinvalid(100, "GIDLIST") ;
  }
  if (!ids->uid || !ids->gid) strerr_dief1x(100, "refusing to run the program as uid or gid 0") ;
}

/* Groups and gid while still root, uid last; then the kernel must agree,
 * and setuid(0) must fail, or the program does not run. */
void tlsd_appids_apply (tlsd_appids const *ids)
{
  if (setgroups_and_gid(ids->gid, ids->ngids, ids->gids) < 0) strerr_diefu1sys(111, "set supplementary groups") ;
  if (setgid(ids->gid) < 0) strerr_diefu1sys(111, "setgid") ;
  if (setuid(ids->uid) < 0) strerr_diefu1sys(111, "setuid") ;
  if (getuid() != ids->uid || geteuid() != ids->uid || getgid() != ids->gid || getegid() != ids->gid)
    strerr_dief1x(111, "privileges were not dropped: ids differ from the requested ones") ;
  if (setuid(0) == 0) strerr_dief1x(111, "privileges were not dropped: setuid(0) succeeded") ;
  if (errno != EPERM) strerr_dief1sys(111, "privileges: setuid(0) failed in an unexpected way") ;
}
