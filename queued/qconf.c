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

static unsigned int count (char const *name, uint64_t def, uint64_t max)
{
  uint64_t u ;
  if (!config_get_uint(name, def, &u) || !u || u > max) strerr_dieinvalid(100, name) ;
  return (unsigned int)u ;
}

static char const *in_dir (char const *dir, char const *name)
{
  size_t n = strlen(dir), k = strlen(name) ;
  char *s = malloc(n + k + 2) ;
  if (!s) strerr_diefusys(111, "allocate") ;
  memcpy(s, dir, n) ;
  s[n] = '/' ;
  memcpy(s + n + 1, name, k + 1) ;
  return s ;
}

/* docker-mailserver's default is postmaster@$DOMAINNAME, the host name
 * without its first label: mail.example.test -> postmaster@example.test. */
static char const *default_postmaster (char const *host)
{
  char const *dot = strchr(host, '.') ;
  char const *dom = dot && strchr(dot + 1, '.') ? dot + 1 : host ;
  size_t n = strlen(dom) ;
  char *s = malloc(n + 12) ;
  if (!s) strerr_diefusys(111, "allocate") ;
  memcpy(s, "postmaster@", 11) ;
  memcpy(s + 11, dom, n + 1) ;
  return s ;
}

void qconf_read (void)
{
  char const *rundir ;
  conf.retry_min = duration("PH_RETRY_MIN", 60, 1) ;
  conf.retry_max = duration("PH_RETRY_MAX", 3600, 1) ;
  if (conf.retry_max < conf.retry_min) conf.retry_max = conf.retry_min ;
  conf.lifetime = duration("PH_QUEUE_LIFETIME", 5 * 86400, 1) ;
  conf.timeout = duration("PH_DELIVERY_TIMEOUT", 600, 1) ;
  /* A remote SMTP transaction may legally take far longer than a local
   * delivery (RFC 5321 4.5.3.2: 5 min greeting, 5 per command and per
   * RCPT, 2 for DATA, 3 per block, 10 for the final dot), and a request
   * given up while the remote side still works is sent again: a second
   * copy. So remote requests get their own, longer backstop. */
  conf.remote_timeout = duration("PH_REMOTE_DELIVERY_TIMEOUT", 3600, 1) ;
  conf.rescan = duration("PH_QUEUE_RESCAN", 300, 1) ;
  conf.delay_warning = duration("PH_DELAY_WARNING_TIME", 0, 0) ;
  conf.filter_timeout = duration("PH_FILTER_TIMEOUT", 120, 1) ;
  if (!config_get_size("PH_BOUNCE_SIZE_LIMIT", 50000, &conf.bounce_size) || conf.bounce_size > (64U << 20))
    strerr_dieinvalid(100, "PH_BOUNCE_SIZE_LIMIT") ;
  conf.concurrency = count("PH_DELIVERY_CONCURRENCY", 10, 1000) ;
  conf.remote_concurrency = count("PH_REMOTE_CONCURRENCY", 50, 1000) ;
  conf.domain_concurrency = count("PH_REMOTE_CONCURRENCY_PER_DOMAIN", 20, 1000) ;
  conf.remote_rcpt_max = count("PH_REMOTE_RCPT_MAX", 50, 1000) ;
  conf.filter_concurrency = count("PH_FILTER_CONCURRENCY", 10, 1000) ;
  {
    uint64_t u ;
    if (!config_get_uint("PH_QUEUE_ACTIVE_LIMIT", 10000, &u) || !u)
      strerr_dieinvalid(100, "PH_QUEUE_ACTIVE_LIMIT") ;
    conf.active_max = u ;
  }
  conf.qdir = config_get("PH_QUEUE_DIR") ;
  if (!conf.qdir) strerr_dienotset(100, "PH_QUEUE_DIR") ;
  conf.cdbdir = config_get("PH_CDB_DIR") ;
  if (!conf.cdbdir) strerr_dienotset(100, "PH_CDB_DIR") ;
  rundir = config_get("PH_RUN_DIR") ;
  if (!rundir) strerr_dienotset(100, "PH_RUN_DIR") ;
  conf.socket = in_dir(rundir, "deliverd.sock") ;
  conf.remote_socket = in_dir(rundir, "remote.sock") ;
  conf.filter_socket = in_dir(rundir, "filter.sock") ;
  conf.filters_in = config_get("PH_FILTERS_INBOUND") ;
  conf.filters_out = config_get("PH_FILTERS_OUTBOUND") ;
  conf.hostname = config_hostname() ;
  conf.postmaster = config_get("POSTMASTER_ADDRESS") ;
  if (!conf.postmaster) conf.postmaster = default_postmaster(conf.hostname) ;
}
