/* ISC license. */

#include <unistd.h>
#include <stdlib.h>
#include <errno.h>
#include <limits.h>

#include <skalibs/types.h>
#include <skalibs/strerr.h>
#include <skalibs/setgroups.h>

#include "tcpd.h"

/* Order matters: groups and gid while still root, uid last. Then make sure
 * the kernel agrees: real and effective ids are the target ones, and
 * setuid(0) fails, so a compromised handler cannot climb back. */

static gid_t gidlist[NGROUPS_MAX] ;

static void apply (uid_t uid, gid_t gid, gid_t const *gids, size_t gidn)
{
  if (!uid) strerr_dief1x(100, "refusing to run handlers as uid 0") ;
  if (!gid) strerr_dief1x(100, "refusing to run handlers as gid 0") ;
  if (setgroups_and_gid(gid, gidn, gids) < 0) strerr_diefu1sys(111, "set supplementary groups") ;
  if (setgid(gid) < 0) strerr_diefu1sys(111, "setgid") ;
  if (setuid(uid) < 0) strerr_diefu1sys(111, "setuid") ;
  if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
    strerr_dief1x(111, "privileges were not dropped: ids differ from the requested ones") ;
  if (setuid(0) == 0) strerr_dief1x(111, "privileges were not dropped: setuid(0) succeeded") ;
  if (errno != EPERM) strerr_dief1sys(111, "privileges: setuid(0) failed in an unexpected way") ;
}

void tcpd_drop (uid_t uid, gid_t gid)
{
  apply(uid, gid, 0, 0) ;
}

void tcpd_drop_env (void)
{
  uid_t uid ;
  gid_t gid ;
  size_t gidn = 0 ;
  char const *x = getenv("UID") ;
  if (!x) strerr_dienotset(100, "UID") ;
  if (!uid0_scan(x, &uid)) strerr_dieinvalid(100, "UID") ;
  x = getenv("GID") ;
  if (!x) strerr_dienotset(100, "GID") ;
  if (!gid0_scan(x, &gid)) strerr_dieinvalid(100, "GID") ;
  x = getenv("GIDLIST") ;
  if (!x) strerr_dienotset(100, "GIDLIST") ;
  if (*x)
  {
    size_t len = gid_scanlist(gidlist, NGROUPS_MAX, x, &gidn) ;
    if (!len || x[len]) strerr_dieinvalid(100, "GIDLIST") ;
  }
  apply(uid, gid, gidlist, gidn) ;
}
