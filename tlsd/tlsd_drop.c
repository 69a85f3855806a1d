/* ISC license. */

#include <errno.h>
#include <unistd.h>

#include <skalibs/strerr.h>
#include <skalibs/setgroups.h>

#include "tlsd.h"

/* The engine keeps root only to open the key files. Order: supplementary
 * groups and gid while still root, uid last; then make sure the kernel
 * agrees, and that setuid(0) fails, so that a compromised engine cannot
 * climb back. Never continue as root: with no ids given, root refuses
 * and an unprivileged user keeps its own ids (tests, inetd setups). */

void tlsd_drop (uid_t uid, gid_t gid, int hasids)
{
  if (!hasids)
  {
    if (!getuid() || !geteuid() || !getgid() || !getegid())
      strerr_dief1x(100, "refusing to run the TLS engine as root: set -u/-g or TLS_UID/TLS_GID") ;
    return ;
  }
  if (!uid || !gid) strerr_dief1x(100, "refusing to run the TLS engine as uid or gid 0") ;
  if (setgroups_and_gid(gid, 0, 0) < 0 && errno != EPERM) strerr_diefu1sys(111, "set supplementary groups") ;
  if (setgid(gid) < 0) strerr_diefu1sys(111, "setgid") ;
  if (setuid(uid) < 0) strerr_diefu1sys(111, "setuid") ;
  if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
    strerr_dief1x(111, "privileges were not dropped: ids differ from the requested ones") ;
  if (setuid(0) == 0) strerr_dief1x(111, "privileges were not dropped: setuid(0) succeeded") ;
  if (errno != EPERM) strerr_dief1sys(111, "privileges: setuid(0) failed in an unexpected way") ;
}
