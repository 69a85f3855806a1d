/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>  /* renameat */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/cdbmap.h"
#include "common/config.h"
#include "common/lineio.h"
#include "common/log.h"
#include "common/maildir.h"
#include "common/rcpt.h"
#include "authd.h"

/* authd -m: $PH_RUN_DIR/auth-master.sock (docs/internals.md, "Tickets").
 *
 *   C: REQUEST <id> <ticket> service=<imap|pop3> [rip=<client address>]
 *   S: USER <id> <address> maildir=<domain/user> [quota=<bytes>]
 *   S: FAIL <id> reason=<text> [temp]
 *
 * The peer is a session spawner (PH_AUTH_MASTER_UIDS, or root); anyone
 * else is dropped before a byte is read. A ticket is claimed by renaming
 * it to <hex>.claimed: rename(2) is atomic, so of two claimers only one
 * finds the file; the claimer then reads and unlinks it, so a ticket
 * works once whatever the outcome. "temp" (our extension, ignored by a
 * reader that does not know it) marks a failure that is ours, not the
 * ticket's: users.cdb could not be read. */

#define LINE_MAX_MASTER 1024
#define IDLE_SECS 10

static int peer_allowed (char const *list)
{
  char const *peer = getenv("IPCREMOTEEUID") ;
  uint64_t uid ;
  size_t n ;
  if (!peer || !*peer || uint640_scan(peer, &uid) != strlen(peer)) return 0 ;
  if (!uid) return 1 ;
  if (!list) return 0 ;
  while (*list)
  {
    uint64_t u ;
    n = uint64_scan(list, &u) ;
    if (!n) return -1 ;
    if (u == uid) return 1 ;
    list += n ;
    if (*list == ',') list++ ;
    else if (*list) return -1 ;
  }
  return 0 ;
}

static int fail (buffer *out, char const *id, char const *reason, int temp, tain const *deadline)
{
  stralloc sa = STRALLOC_ZERO ;
  int ok = stralloc_cats(&sa, "FAIL\t") && stralloc_cats(&sa, id)
    && stralloc_cats(&sa, "\treason=") && stralloc_cats(&sa, reason)
    && (!temp || stralloc_cats(&sa, "\ttemp")) && stralloc_catb(&sa, "\n", 1)
    && lineio_put(out, sa.s, sa.len, deadline) ;
  stralloc_free(&sa) ;
  return ok ;
}

static void log_fail (char const *reason, char const *service, char const *user)
{
  logline l ;
  log_begin(&l, "ticket_fail") ;
  log_kv(&l, "reason", reason) ;
  if (service) log_kv(&l, "service", service) ;
  if (user) log_kv(&l, "user", user) ;
  log_commit(&l) ;
}

/* users.cdb: the account's Maildir (relative, checked) and quota.
 * Returns 1 found, 0 no such account, -1 lookup error or a malformed
 * entry (a corrupt map is ours to fix: temporary). */
static int account (cdbmap *users, char const *user, char const **maildir, size_t *mlen, uint64_t *quota)
{
  cdb_data v ;
  size_t pos = 0 ;
  int r = cdbmap_find(users, user, strlen(user), &v) ;
  if (r < 0) return -1 ;
  if (!users->present) return (errno = ENOENT, -1) ;
  if (!r) return 0 ;
  if (!v.len || v.s[v.len - 1] || !rcpt_user_quota(v.s, v.len, quota)) return (errno = EINVAL, -1) ;
  while (pos < v.len)
  {
    char const *f = v.s + pos ;
    size_t flen = strlen(f) ;
    if (flen > 8 && !memcmp(f, "maildir=", 8))
    {
      if (!maildir_path_valid(f + 8, flen - 8)) break ;
      *maildir = f + 8 ;
      *mlen = flen - 8 ;
      return 1 ;
    }
    pos += flen + 1 ;
  }
  return (errno = EINVAL, -1) ;
}

/* Handles one REQUEST; 1 to go on, 0 when the answer cannot be sent. */
static int request (buffer *out, int dfd, cdbmap *users, char const *id, char const *hex, char const *service, char const *rip, tain const *deadline)
{
  char claimed[AUTHD_TICKET_HEX + 9] ;
  char buf[AUTHD_TICKET_FILE_MAX] ;
  authd_ticket t ;
  char const *maildir ;
  size_t mlen ;
  uint64_t quota = 0 ;
  int fd, ok, r ;
  memcpy(claimed, hex, AUTHD_TICKET_HEX) ;
  memcpy(claimed + AUTHD_TICKET_HEX, ".claimed", 9) ;
  if (renameat(dfd, hex, dfd, claimed) < 0)
  {
    if (errno != ENOENT) { log_fail(strerror(errno), service, 0) ; return fail(out, id, "ticket store unavailable", 1, deadline) ; }
    log_fail("unknown or used ticket", service, 0) ;
    return fail(out, id, "unknown ticket", 0, deadline) ;
  }
  fd = openat(dfd, claimed, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) ;
  ok = fd >= 0 && authd_ticket_read(fd, buf, &t) ;
  if (fd >= 0) fd_close(fd) ;
  unlinkat(dfd, claimed, 0) ;
  if (!ok) { log_fail("unreadable ticket", service, 0) ; return fail(out, id, "unknown ticket", 0, deadline) ; }
  if (strcmp(t.service, service)) { log_fail("wrong service", service, t.user) ; return fail(out, id, "ticket for another service", 0, deadline) ; }
  if (t.expires < (uint64_t)time(0)) { log_fail("expired", service, t.user) ; return fail(out, id, "ticket expired", 0, deadline) ; }
  /* a ticket is for the client that logged in: when both the spawner and
   * the ticket name one, they must agree */
  if (rip[0] && t.rip[0] && strcmp(rip, t.rip)) { log_fail("another client address", service, t.user) ; return fail(out, id, "ticket for another client", 0, deadline) ; }
  r = account(users, t.user, &maildir, &mlen, &quota) ;
  if (r < 0)
  {
    logline l ;
    log_begin(&l, "ticket_error") ;
    log_kv(&l, "user", t.user) ;
    log_kv(&l, "error", strerror(errno)) ;
    log_commit(&l) ;
    return fail(out, id, "user database unavailable", 1, deadline) ;
  }
  if (!r) { log_fail("no such account", service, t.user) ; return fail(out, id, "no such account", 0, deadline) ; }
  {
    stralloc sa = STRALLOC_ZERO ;
    char fmt[UINT64_FMT] ;
    /* the user name came from our own file, made from a parsed address;
     * still, nothing in it may split the line */
    if (strpbrk(t.user, "\t\n\r")) { log_fail("malformed user in ticket", service, 0) ; return fail(out, id, "unknown ticket", 0, deadline) ; }
    ok = stralloc_cats(&sa, "USER\t") && stralloc_cats(&sa, id) && stralloc_catb(&sa, "\t", 1)
      && stralloc_cats(&sa, t.user) && stralloc_cats(&sa, "\tmaildir=") && stralloc_catb(&sa, maildir, mlen)
      && (!quota || (stralloc_cats(&sa, "\tquota=") && stralloc_catb(&sa, fmt, uint64_fmt(fmt, quota))))
      && stralloc_catb(&sa, "\n", 1) ;
    if (!ok) strerr_diefu1sys(111, "allocate memory") ;
    log_event3("ticket_ok", "user", t.user, "service", service, "ip", t.rip) ;
    ok = lineio_put(out, sa.s, sa.len, deadline) ;
    stralloc_free(&sa) ;
    return ok ;
  }
}

int authd_master_main (void)
{
  static stralloc path = STRALLOC_ZERO ;
  char inbuf[4096], outbuf[4096] ;
  char line[LINE_MAX_MASTER + 2] ;
  buffer in, out ;
  cdbmap users = CDBMAP_ZERO ;
  char const *x ;
  int dfd ;

  {
    int r = peer_allowed(config_get("PH_AUTH_MASTER_UIDS")) ;
    if (r < 0) strerr_dief1x(100, "PH_AUTH_MASTER_UIDS must be comma-separated uids") ;
    if (!r)
    {
      x = getenv("IPCREMOTEEUID") ;
      log_event2("refused", "euid", x ? x : "unknown", "reason", "peer uid not allowed") ;
      return 1 ;
    }
  }
  x = config_get("PH_STATE") ;
  if (!x) strerr_dienotset(100, "PH_STATE") ;
  if (!stralloc_cats(&path, x) || !stralloc_cats(&path, "/tickets") || !stralloc_0(&path))
    strerr_diefu1sys(111, "allocate memory") ;
  dfd = open(path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (dfd < 0) strerr_diefu2sys(111, "open ", path.s) ;
  x = config_get("PH_CDB_DIR") ;
  if (!x) strerr_dienotset(100, "PH_CDB_DIR") ;
  path.len = 0 ;
  if (!stralloc_cats(&path, x) || !stralloc_cats(&path, "/users.cdb") || !stralloc_0(&path))
    strerr_diefu1sys(111, "allocate memory") ;
  if (!cdbmap_open(&users, path.s)) strerr_diefu2sys(111, "open ", path.s) ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "make the socket non-blocking") ;
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  buffer_init(&in, &buffer_read, 0, inbuf, sizeof(inbuf)) ;
  buffer_init(&out, &buffer_write, 1, outbuf, sizeof(outbuf)) ;

  for (;;)
  {
    char *f[6] ;
    unsigned int n = 0 ;
    unsigned int flags ;
    size_t len ;
    tain deadline ;
    int r ;
    tain_now_g() ;
    tain_addsec_g(&deadline, IDLE_SECS) ;
    r = lineio_get(&in, line, sizeof(line) - 1, &len, &flags, &deadline) ;
    if (!r) return 0 ;
    if (r < 0)
    {
      if (errno == ETIMEDOUT) { log_event1("master_idle_timeout", "seconds", "10") ; return 99 ; }
      if (errno == ERANGE) { log_event1("master_proto_error", "reason", "line too long") ; return 1 ; }
      return 0 ;
    }
    if (len > LINE_MAX_MASTER || flags & (LINEIO_NUL | LINEIO_BARECR)) { log_event1("master_proto_error", "reason", "malformed line") ; return 1 ; }
    f[n++] = line ;
    for (size_t i = 0 ; i < len ; i++)
      if (line[i] == '\t')
      {
        if (n >= 6) { log_event1("master_proto_error", "reason", "too many fields") ; return 1 ; }
        line[i] = 0 ;
        f[n++] = line + i + 1 ;
      }
    if (n < 4 || strcmp(f[0], "REQUEST")) { log_event1("master_proto_error", "reason", "not a REQUEST line") ; return 1 ; }
    if (n == 5 && strncmp(f[4], "rip=", 4)) { log_event1("master_proto_error", "reason", "unknown REQUEST field") ; return 1 ; }
    {
      size_t idlen = strlen(f[1]) ;
      uint32_t id ;
      if (!idlen || idlen > 10 || uint32_scan(f[1], &id) != idlen) { log_event1("master_proto_error", "reason", "malformed id") ; return 1 ; }
    }
    if (strncmp(f[3], "service=", 8) || (strcmp(f[3] + 8, "imap") && strcmp(f[3] + 8, "pop3")))
    {
      log_fail("unknown service", 0, 0) ;
      if (!fail(&out, f[1], "unknown service", 0, &deadline)) return 0 ;
      continue ;
    }
    /* checked before the name reaches the file system */
    if (!authd_ticket_hex_valid(f[2], strlen(f[2])))
    {
      log_fail("malformed ticket", f[3] + 8, 0) ;
      if (!fail(&out, f[1], "unknown ticket", 0, &deadline)) return 0 ;
      continue ;
    }
    r = request(&out, dfd, &users, f[1], f[2], f[3] + 8, n == 5 ? f[4] + 4 : "", &deadline) ;
    explicit_bzero(line, sizeof(line)) ;
    if (!r) return 0 ;
  }
}
