/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <skalibs/strerr.h>
#include <skalibs/ip46.h>

#include "common/accessrules.h"
#include "common/cdbmap.h"
#include "common/log.h"
#include "tcpd.h"

/* Runs in the parent, before fork: the maps are mmapped, so a lookup is a
 * few memory reads and cannot stall the loop, and a refused client costs
 * no fork. Each connection first re-maps a file that mailctl or banwatch
 * replaced (one stat), so bans apply without a restart.
 *
 * Anything that prevents an answer (a corrupt file, a malformed record, a
 * file that cannot be mapped) refuses the connection: an SMTP client
 * retries later, while letting a banned client in cannot be undone. */

static cdbmap accessmap = CDBMAP_ZERO ;
static cdbmap bansmap = CDBMAP_ZERO ;
static int useaccess = 0 ;
static int usebans = 0 ;

void tcpd_admit_init (char const *accesspath, char const *banspath)
{
  if (accesspath)
  {
    if (!cdbmap_open(&accessmap, accesspath)) strerr_diefu2sys(111, "open ", accesspath) ;
    useaccess = 1 ;
  }
  if (banspath)
  {
    if (!cdbmap_open(&bansmap, banspath)) strerr_diefu2sys(111, "open ", banspath) ;
    usebans = 1 ;
  }
}

static void log_map_error (tcpd_peer const *p, char const *path)
{
  logline l ;
  int e = errno ;
  log_begin(&l, "cdb_error") ;
  log_kv(&l, "ip", p->remotefmt) ;
  log_kv(&l, "file", path) ;
  log_kv(&l, "error", strerror(e)) ;
  log_commit(&l) ;
}

/* event=denied or event=banned: the client and the key that matched */
static void log_refusal (logline *l, char const *event, tcpd_peer const *p, unsigned int bits)
{
  char key[ACCESSRULES_KEY_MAX] ;
  size_t keylen = accessrules_key(key, &p->remote, bits) ;
  log_begin(l, event) ;
  log_kv(l, "ip", p->remotefmt) ;
  log_kvu(l, "port", p->remoteport) ;
  log_kvn(l, "key", key, keylen) ;
}

static void log_bad_record (tcpd_peer const *p, char const *path, unsigned int bits)
{
  logline l ;
  char key[ACCESSRULES_KEY_MAX] ;
  size_t keylen = accessrules_key(key, &p->remote, bits) ;
  log_begin(&l, "bad_record") ;
  log_kv(&l, "ip", p->remotefmt) ;
  log_kv(&l, "file", path) ;
  log_kvn(&l, "key", key, keylen) ;
  log_commit(&l) ;
}

/* A failed re-map keeps the previous map (cdbmap.h), which is still a
 * good answer; with no map at all there is no answer, so refuse. */
static int refresh (cdbmap *m, tcpd_peer const *p)
{
  if (cdbmap_refresh(m)) return 1 ;
  log_map_error(p, m->path) ;
  return m->present ;
}

/* Best effort and never blocking: the socket was just accepted, so its
 * send buffer is empty and a short message fits; if not, it is cut. */
static void send_banned_message (int fd, char const *msg, size_t len)
{
  if (!len) return ;
  if (send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) return ;
  shutdown(fd, SHUT_WR) ;
}

static int check_bans (int fd, tcpd_peer const *p, char const *banmsg, size_t banmsglen)
{
  ban b ;
  int r ;
  if (!refresh(&bansmap, p)) return 0 ;
  if (!bansmap.present) return 1 ;
  r = bans_check(&bansmap.c, &p->remote, (uint64_t)time(0), &b) ;
  if (r < 0)
  {
    log_map_error(p, bansmap.path) ;
    return 0 ;
  }
  if (r == BANS_BADRECORD)
  {
    log_bad_record(p, bansmap.path, b.bits) ;
    return 0 ;
  }
  if (r == BANS_BANNED)
  {
    logline l ;
    send_banned_message(fd, banmsg, banmsglen) ;
    log_refusal(&l, "banned", p, b.bits) ;
    if (b.until) log_kvu(&l, "until", b.until) ;
    else log_kv(&l, "until", "permanent") ;
    log_commit(&l) ;
    return 0 ;
  }
  return 1 ;
}

static int check_access (tcpd_peer const *p, accessrule *rule)
{
  logline l ;
  int r ;
  if (!refresh(&accessmap, p)) return 0 ;
  if (!accessmap.present) return 1 ;
  r = accessrules_check(&accessmap.c, &p->remote, rule) ;
  switch (r)
  {
    case ACCESSRULES_NOMATCH :
    case ACCESSRULES_ALLOW :
      return 1 ;
    case ACCESSRULES_DENY :
      log_refusal(&l, "denied", p, rule->bits) ;
      log_commit(&l) ;
      return 0 ;
    case ACCESSRULES_BADRECORD :
      log_bad_record(p, accessmap.path, rule->bits) ;
      return 0 ;
    default :
      log_map_error(p, accessmap.path) ;
      return 0 ;
  }
}

int tcpd_admit (int fd, tcpd_peer const *p, accessrule *rule, char const *banmsg, size_t banmsglen)
{
  accessrule none = ACCESSRULE_ZERO ;
  *rule = none ;
  if (usebans && !check_bans(fd, p, banmsg, banmsglen)) return 0 ;
  if (useaccess && !check_access(p, rule)) return 0 ;
  return 1 ;
}
