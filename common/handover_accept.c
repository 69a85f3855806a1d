/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/djbunix.h>
#include <skalibs/gccattributes.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/authmaster.h"
#include "common/config.h"
#include "common/handover.h"
#include "common/handover_accept.h"
#include "common/log.h"

#define MASTER_SECS 10

static void refuse (handover_session *s, char code, char const *text, char const *why) gccattr_noreturn ;
static void refuse (handover_session *s, char code, char const *text, char const *why)
{
  tain deadline ;
  logline l ;
  log_begin(&l, "session_refused") ;
  log_kv(&l, "reason", why) ;
  if (s->h.body.s)
  {
    char const *x = handover_get(&s->h, "rip") ;
    if (x) log_kv(&l, "ip", x) ;
    x = handover_get(&s->h, "session") ;
    if (x) log_kv(&l, "session", x) ;
  }
  log_commit(&l) ;
  tain_now_g() ;
  tain_addsec_g(&deadline, HANDOVER_TIMEOUT) ;
  handover_answer(1, code, text, &deadline) ;
  handover_free(&s->h) ;
  _exit(code == 'Z' ? 111 : 1) ;
}

static void check_peer (void)
{
  int r = handover_peer_ok(config_get("PH_SESSION_UIDS")) ;
  if (r < 0) strerr_dief1x(100, "PH_SESSION_UIDS must be comma-separated uids") ;
  if (!r)
  {
    char const *x = getenv("IPCREMOTEEUID") ;
    log_event2("refused", "euid", x ? x : "unknown", "reason", "peer uid not allowed") ;
    _exit(1) ;
  }
}

/* authd's word, never the handover's: on USER, the Maildir is under
 * PH_MAILROOT by construction (maildir_path_valid in
 * authmaster_reply_parse) */
static void check_ticket (handover_service const *service, handover_session *s, char const *masterpath)
{
  tain deadline ;
  tain_now_g() ;
  tain_addsec_g(&deadline, MASTER_SECS) ;
  switch (authmaster_request_rip(masterpath, handover_session_field(s, "ticket"), service->name, handover_session_field(s, "rip"), &s->u, &deadline))
  {
    case AUTHMASTER_USER : break ;
    case AUTHMASTER_FAIL :
      if (s->u.temp) refuse(s, 'Z', s->u.reason, s->u.reason) ;
      refuse(s, 'D', s->u.reason, s->u.reason) ;
    default :
      if (errno == EINVAL) refuse(s, 'D', "malformed ticket", "malformed ticket") ;
      refuse(s, 'Z', "authentication service unavailable", strerror(errno)) ;
  }
  if (!stralloc_cats(&s->maildir, config_get("PH_MAILROOT")) || !stralloc_catb(&s->maildir, "/", 1)
   || !stralloc_cats(&s->maildir, s->u.maildir) || !stralloc_0(&s->maildir))
    refuse(s, 'Z', "out of memory", "out of memory") ;
}

/* the client's fds become 0 and 1 (dup2 clears close-on-exec); the
 * spawner's socket goes with them */
static void take_client (handover_session *s)
{
  if (fd_move(0, s->h.fd[0]) < 0) strerr_diefu1sys(111, "move the client's read fd") ;
  s->h.fd[0] = -1 ;
  if (s->h.fd[1] == 0) strerr_dief1x(101, "client write fd collides") ;
  if (fd_move(1, s->h.fd[1]) < 0) strerr_diefu1sys(111, "move the client's write fd") ;
  s->h.fd[1] = -1 ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "make the client's fds non-blocking") ;
}

void handover_accept (handover_service const *service, handover_session *s)
{
  stralloc path = STRALLOC_ZERO ;
  char const *x ;
  tain deadline ;
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  check_peer() ;
  x = config_get("PH_RUN_DIR") ;
  if (!x) strerr_dienotset(100, "PH_RUN_DIR") ;
  if (!stralloc_cats(&path, x) || !stralloc_cats(&path, "/auth-master.sock") || !stralloc_0(&path))
    strerr_diefu1sys(111, "allocate memory") ;
  if (!config_get("PH_MAILROOT")) strerr_dienotset(100, "PH_MAILROOT") ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "make the socket non-blocking") ;

  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, HANDOVER_TIMEOUT) ;
  if (!handover_receive(0, &s->h, &deadline))
  {
    log_event1("handover_fail", "error", strerror(errno)) ;
    _exit(errno == ETIMEDOUT ? 99 : 1) ;
  }
  if (strcmp(handover_session_field(s, "service"), service->name))
    refuse(s, 'D', service->wrong_text, "wrong service") ;
  if (service->need_tag && !handover_session_field(s, "tag")[0]) refuse(s, 'D', "no tag", "no tag") ;
  check_ticket(service, s, path.s) ;
  stralloc_free(&path) ;

  tain_now_g() ;
  tain_addsec_g(&deadline, HANDOVER_TIMEOUT) ;
  if (!handover_answer(1, 'K', 0, &deadline))
  {
    /* the pre-auth half is gone: the client will never hear from us */
    log_event2("handover_fail", "error", strerror(errno), "user", s->u.user) ;
    handover_free(&s->h) ;
    _exit(1) ;
  }
  take_client(s) ;
  s->tls = !strcmp(handover_session_field(s, "tls"), "1") ;
  {
    logline l ;
    log_begin(&l, "session_start") ;
    log_kv(&l, "user", s->u.user) ;
    log_kv(&l, "ip", handover_session_field(s, "rip")) ;
    log_kv(&l, "session", handover_session_field(s, "session")) ;
    if (s->tls) log_kv(&l, "tls", handover_session_field(s, "SSL_PROTOCOL")) ;
    log_commit(&l) ;
  }
}
