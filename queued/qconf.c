/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/types.h>
#include <skalibs/strerr.h>

#include "common/config.h"
#include "queued/qconf.h"

qconf conf ;

int qconf_duration (char const *s, uint64_t *out)
{
  uint64_t u, mult = 1 ;
  size_t n = uint64_scan(s, &u) ;
  if (!n) return 0 ;
  switch (s[n])
  {
    case 0 : break ;
    case 's' : n++ ; break ;
    case 'm' : mult = 60 ; n++ ; break ;
    case 'h' : mult = 3600 ; n++ ; break ;
    case 'd' : mult = 86400 ; n++ ; break ;
    case 'w' : mult = 604800 ; n++ ; break ;
    default : return 0 ;
  }
  if (s[n] || u > UINT32_MAX) return 0 ;
  *out = u * mult ;
  return 1 ;
}

static uint64_t duration (char const *name, uint64_t def, uint64_t min)
{
  char const *s = config_get(name) ;
  uint64_t u ;
  if (!s) return def ;
  /* Deadlines are computed with int seconds: keep well inside that. */
  if (!qconf_duration(s, &u) || u < min || u > (1U << 30)) strerr_dieinvalid(100, name) ;
  return u ;
}

void qconf_read (void)
{
  static char *sock = 0 ;
  uint64_t u ;
  char const *rundir ;
  conf.retry_min = duration("PH_RETRY_MIN", 60, 1) ;
  conf.retry_max = duration("PH_RETRY_MAX", 3600, 1) ;
  if (conf.retry_max < conf.retry_min) conf.retry_max = conf.retry_min ;
  conf.lifetime = duration("PH_QUEUE_LIFETIME", 5 * 86400, 1) ;
  conf.timeout = duration("PH_DELIVERY_TIMEOUT", 600, 1) ;
  conf.rescan = duration("PH_QUEUE_RESCAN", 300, 1) ;
  if (!config_get_uint("PH_DELIVERY_CONCURRENCY", 10, &u) || !u || u > 1000)
    strerr_dieinvalid(100, "PH_DELIVERY_CONCURRENCY") ;
  conf.concurrency = (unsigned int)u ;
  if (!config_get_uint("PH_QUEUE_ACTIVE_LIMIT", 10000, &u) || !u)
    strerr_dieinvalid(100, "PH_QUEUE_ACTIVE_LIMIT") ;
  conf.active_max = u ;
  conf.qdir = config_get("PH_QUEUE_DIR") ;
  if (!conf.qdir) strerr_dienotset(100, "PH_QUEUE_DIR") ;
  rundir = config_get("PH_RUN_DIR") ;
  if (!rundir) strerr_dienotset(100, "PH_RUN_DIR") ;
  {
    size_t n = strlen(rundir) ;
    sock = malloc(n + 15) ;
    if (!sock) strerr_diefusys(111, "allocate") ;
    memcpy(sock, rundir, n) ;
    memcpy(sock + n, "/deliverd.sock", 15) ;
  }
  conf.socket = sock ;
}
