/* ISC license. */

#include <string.h>
#include <errno.h>

#include "common/log.h"
#include "tlsd.h"

/* The log lines tlsd's child writes before any TLS library is loaded
 * (and which tlsd-io and tlsc write too): configuration errors and
 * failed handshakes. Those that carry an OpenSSL error are in
 * tlsd_report.c. */

char const *tlsd_ip = 0 ;

void tlsd_log_fail (char const *reason)
{
  log_event2("tls_fail", "ip", tlsd_ip, "reason", reason) ;
}

void tlsd_log_config_error (char const *reason, char const *file, char const *error)
{
  logline l ;
  log_begin(&l, "tls_config_error") ;
  log_kv(&l, "ip", tlsd_ip) ;
  log_kv(&l, "reason", reason) ;
  if (file) log_kv(&l, "file", file) ;
  if (error) log_kv(&l, "error", error) ;
  log_commit(&l) ;
}

void tlsd_log_config (char const *reason, char const *file)
{
  tlsd_log_config_error(reason, file, 0) ;
}

void tlsd_log_configsys (char const *reason, char const *file)
{
  int e = errno ;
  tlsd_log_config_error(reason, file, e ? strerror(e) : 0) ;
  errno = e ;
}
