/* ISC license. */

/* authd: the Dovecot authentication protocol server (docs/internals.md,
 * Authentication), for our own daemons and for an outside Postfix with
 * smtpd_sasl_type = dovecot.
 *
 * Security: s6-ipcserver runs one authd per connection on
 * $PH_RUN_DIR/auth.sock (mode 0666: any local program may try a
 * password), as uid phauth. It trusts nothing from the client: every line
 * is bounded (AUTHD_LINE_MAX, fields, requests, queued answers), every
 * SASL response strictly base64-checked, and the connection has an idle
 * deadline. Every failed attempt is answered only after
 * PH_AUTH_FAIL_DELAY. The client's address (rip=) is believed, logged
 * and sent to banwatch only from the daemons of PH_AUTH_RIP_UIDS and
 * root, known by the peer's uid (IPCREMOTEEUID, from the kernel). Any
 * other local user may try passwords, but its rip= is only logged as
 * claimed_rip=, it holds at most AUTHD_LOCAL_CONNS connections, and its
 * answers are spaced per uid with a delay growing with its failures
 * (authd_local.c), so it can neither get an address banned nor guess
 * faster with more connections. It reads $PH_CDB_DIR/passwd.cdb (mode
 * 0640 root:phauth), writes one-time tickets into $PH_STATE/tickets
 * (0700 phauth) when a client asks for one, the local peers' counters in
 * $PH_STATE/authd-local (0700 phauth), and nothing else but its socket
 * and its log. A
 * compromise gives the password hashes of every account, the passwords
 * of the clients that log in while it lasts, and (with tickets) any
 * mailbox through the session spawners.
 *
 * With -m it serves $PH_RUN_DIR/auth-master.sock instead (authd_master.c):
 * peers are limited to PH_AUTH_MASTER_UIDS and root (the session
 * spawners); it claims tickets and reads users.cdb, never passwords. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/fmtscan.h>
#include <skalibs/iopause.h>
#include <skalibs/random.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/cdbmap.h"
#include "common/config.h"
#include "common/log.h"
#include "authd.h"

#define USAGE "authd [ -m ] (under s6-ipcserver, with PH_CDB_DIR set)"
#define dieusage() strerr_dieusage(100, USAGE)

/* Postfix gives the auth server 10 s per answer (AUTH_TIMEOUT in
 * xsasl_dovecot_server.c); a longer failure delay turns every failed
 * login into a "temporary" error on its side. */
#define FAIL_DELAY_MAX 9
#define IDLE_DEFAULT 300

static int lookup (void *ctx, char const *key, size_t keylen, char *hash)
{
  cdb_data d ;
  char const *nul ;
  int r = cdbmap_find((cdbmap *)ctx, key, keylen, &d) ;
  if (r <= 0) return r ;
  /* passwd.cdb values are "{SCHEME}hash\0extra" (docs/internals.md). */
  nul = memchr(d.s, 0, d.len) ;
  if (!nul || (size_t)(nul - d.s) >= AUTHD_HASH_MAX) return (errno = EPROTO, -1) ;
  memcpy(hash, d.s, nul - d.s) ;
  hash[nul - d.s] = 0 ;
  return 1 ;
}

static authd a ;
static char out[AUTHD_REPLY_SLOTS * AUTHD_REPLY_MAX] ;

int main (int argc, char const *const *argv)
{
  static stralloc path = STRALLOC_ZERO ;
  cdbmap map = CDBMAP_ZERO ;
  tain faildelay, idle, idle_deadline ;
  size_t outlen = 0 ;
  int eof = 0 ;
  static stralloc ticketdir = STRALLOC_ZERO ;
  static authd_tickets tickets ;
  static authd_local local = { .fd = -1, .conn = -1 } ;
  static stralloc localdir = STRALLOC_ZERO ;
  int trusted ;
  PROG = "authd" ;
  if (argc > 2 || (argc == 2 && strcmp(argv[1], "-m"))) dieusage() ;

  if (!config_init())
  {
    if (config_error_line()) strerr_dief1x(100, "syntax error in $PH_ENVFILE") ;
    strerr_diefu1sys(111, "read $PH_ENVFILE") ;
  }
  if (argc == 2)
  {
    PROG = "authd-master" ;
    return authd_master_main() ;
  }
  {
    uint64_t n ;
    if (!config_get_uint("PH_AUTH_FAIL_DELAY", 2, &n) || n > FAIL_DELAY_MAX)
      strerr_dief1x(100, "PH_AUTH_FAIL_DELAY must be a number of seconds from 0 to 9") ;
    tain_uint(&faildelay, (unsigned int)n) ;
    if (!config_get_uint("PH_AUTH_IDLE_TIMEOUT", IDLE_DEFAULT, &n) || !n || n > 86400)
      strerr_dief1x(100, "PH_AUTH_IDLE_TIMEOUT must be a number of seconds from 1 to 86400") ;
    tain_uint(&idle, (unsigned int)n) ;
    if (!config_get_uint("PH_TICKET_TTL", 30, &n) || !n || n > 3600)
      strerr_dief1x(100, "PH_TICKET_TTL must be a number of seconds from 1 to 3600") ;
    tickets.ttl = (unsigned int)n ;
  }
  {
    char const *state = config_get("PH_STATE") ;
    if (state)
    {
      if (!stralloc_cats(&ticketdir, state) || !stralloc_cats(&ticketdir, "/tickets") || !stralloc_0(&ticketdir))
        strerr_diefu1sys(111, "allocate memory") ;
      tickets.dir = ticketdir.s ;
    }
  }
  {
    /* The peer's uid says whether rip= can be believed. s6-ipcserver
     * always sets it; without it we do not know who speaks. */
    char const *peer = getenv("IPCREMOTEEUID") ;
    uint64_t uid ;
    if (!peer || !*peer || uint640_scan(peer, &uid) != strlen(peer))
      strerr_dief1x(100, "IPCREMOTEEUID must be set: run authd under s6-ipcserver") ;
    trusted = authd_uid_listed(config_get("PH_AUTH_RIP_UIDS"), uid) ;
    if (trusted < 0) strerr_dief1x(100, "PH_AUTH_RIP_UIDS must be comma-separated uids") ;
    if (!trusted)
    {
      /* the admin's additions (an outside Postfix), in mailserver.env */
      trusted = authd_uid_listed(config_get("PH_AUTH_RIP_EXTRA_UIDS"), uid) ;
      if (trusted < 0) strerr_dief1x(100, "PH_AUTH_RIP_EXTRA_UIDS must be comma-separated uids") ;
    }
    if (!trusted)
    {
      char const *state = config_get("PH_STATE") ;
      if (!state) strerr_dief1x(100, "PH_STATE must be set for peers outside PH_AUTH_RIP_UIDS") ;
      if (!stralloc_cats(&localdir, state) || !stralloc_cats(&localdir, "/authd-local") || !stralloc_0(&localdir))
        strerr_diefu1sys(111, "allocate memory") ;
      local.dir = localdir.s ;
      local.uid = peer ;
      local.base = (unsigned int)tain_to_millisecs(&faildelay) / 1000 ;
      switch (authd_local_connect(&local))
      {
        case 1 : break ;
        case 0 :
          log_event2("auth_local_busy", "uid", peer, "reason", "too many connections from this uid") ;
          return 1 ;
        default : strerr_diefu2sys(111, "lock a connection slot in ", local.dir) ;
      }
    }
  }
  {
    char const *dir = config_get("PH_CDB_DIR") ;
    if (!dir) strerr_dienotset(100, "PH_CDB_DIR") ;
    if (!stralloc_cats(&path, dir) || !stralloc_cats(&path, "/passwd.cdb") || !stralloc_0(&path))
      strerr_diefu1sys(111, "allocate memory") ;
  }
  if (!cdbmap_open(&map, path.s)) strerr_diefu2sys(111, "open ", path.s) ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "make the socket non-blocking") ;
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(111, "ignore SIGPIPE") ;

  tain_now_set_stopwatch_g() ;
  tain_add_g(&idle_deadline, &idle) ;
  {
    char rnd[16] ;
    char cookie[33] ;
    random_buf(rnd, sizeof(rnd)) ;
    cookie[ucharn_fmt(cookie, rnd, sizeof(rnd))] = 0 ;
    /* SPID names the server (the s6-ipcserverd that spawned us, the same
     * for every connection), CUID this connection. */
    authd_init(&a, &STAMP, &faildelay, &lookup, &map, (uint32_t)getppid(), (uint32_t)getpid(), cookie) ;
    if (tickets.dir) authd_set_ticket(&a, &authd_ticket_issue, &tickets) ;
    if (!trusted) authd_set_local(&a, local.uid, &authd_local_begin, &authd_local_end, &local) ;
  }

  for (;;)
  {
    iopause_fd x[2] = { { .fd = 0, .events = 0 }, { .fd = 1, .events = 0 } } ;
    tain deadline, giveup = idle_deadline ;
    tain when ;
    int r ;

    outlen += authd_release(&a, &STAMP, out + outlen, sizeof(out) - outlen) ;
    /* Lines left over when the answer queue was full. */
    if (a.inlen && authd_wants_input(&a) && !authd_feed(&a, &STAMP)) return 1 ;
    if (eof && !outlen && !a.rcount) return 0 ;
    deadline = idle_deadline ;
    if (authd_pending(&a, &when))
    {
      /* Waiting for our own failure delay is not the client idling: the
       * idle time counts from the answer's due time too. A client that
       * never reads still runs out of time once everything is due. */
      tain t ;
      tain_add(&t, &when, &idle) ;
      if (tain_less(&giveup, &t)) giveup = t ;
      deadline = giveup ;
      /* An answer already due is only held back by a full output buffer:
       * then it is writability we wait for, not the clock. */
      if (tain_less(&STAMP, &when) && tain_less(&when, &deadline)) deadline = when ;
    }
    if (!eof && authd_wants_input(&a)) x[0].events = IOPAUSE_READ ;
    if (outlen) x[1].events = IOPAUSE_WRITE ;

    r = iopause_g(x, 2, &deadline) ;
    if (r < 0) strerr_diefu1sys(111, "iopause") ;
    if (!r)
    {
      if (!tain_less(&STAMP, &giveup))
      {
        log_event1("auth_idle_timeout", "pending", a.rcount || a.inlen || outlen ? "yes" : "no") ;
        return 99 ;
      }
      continue ;  /* an answer came due */
    }

    if (x[1].revents & (IOPAUSE_WRITE | IOPAUSE_EXCEPT) && outlen)
    {
      ssize_t w = fd_write(1, out, outlen) ;
      if (w < 0)
      {
        if (error_isagain(errno)) continue ;
        /* the client went away: nothing left to do for it */
        return 0 ;
      }
      memmove(out, out + w, outlen - w) ;
      outlen -= w ;
      if (w) tain_add_g(&idle_deadline, &idle) ;
    }

    if (x[0].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT) && !eof)
    {
      ssize_t n = sanitize_read(fd_read(0, a.in + a.inlen, AUTHD_LINE_MAX - a.inlen)) ;
      if (n < 0)
      {
        if (errno != EPIPE) return 0 ;  /* reset by the client */
        eof = 1 ;
        if (a.inlen)
        {
          log_event1("auth_proto_error", "reason", "EOF in the middle of a line") ;
          a.inlen = 0 ;
          a.scanned = 0 ;
        }
      }
      else if (n)
      {
        a.inlen += n ;
        tain_add_g(&idle_deadline, &idle) ;
        if (!authd_feed(&a, &STAMP)) return 1 ;
      }
    }
  }
}
