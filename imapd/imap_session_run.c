/* ISC license. */

/* The session loop: one iopause over the client (fd 0) and, while
 * idling, the inotify fd, with the autologout deadline (RFC 9051 §5.4)
 * and, in IDLE, a re-check timer. Commands are assembled by imap_reader
 * from the staged input (the bytes the pre-auth half had already read
 * come first), run to completion one at a time, and their responses
 * flushed before the loop waits again. */

#include <errno.h>
#include <malloc.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/sig.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include "common/config.h"
#include "common/log.h"
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

imap_sio_t imap_sio = { .s = 0, .raw = STRALLOC_ZERO, .rawpos = 0, .inq = STRALLOC_ZERO, .inpos = 0, .ineof = 0, .rd = IMAP_READER_ZERO, .plain = STRALLOC_ZERO, .wire = STRALLOC_ZERO, .dead = 0, .compress = 0, .ifd = -1, .wd_root = -1, .wd_box = { -1, -1, -1 }, .dirty = 0, .idling = 0, .idletag = STRALLOC_ZERO, .idle_timeout = IMAP_IDLE_TIMEOUT_DEFAULT, .max_bad = IMAP_MAX_BAD_DEFAULT, .rootfd = -1, .nout = STRALLOC_ZERO, .name = STRALLOC_ZERO, .tmp = STRALLOC_ZERO, .kwptr = GENALLOC_ZERO, .recent_sent = 0 } ;

static void finish (imap_session *s, int code, char const *reason)
{
  imap_sio_flush() ;
  imap_log_event(s, "imap_logout", "reason", reason) ;
  _exit(code) ;
}

/* Returns 0 or the name of the setting that does not parse. */
static char const *settings (imap_session *s)
{
  uint64_t u ;
  if (!config_get_uint("PH_IMAP_IDLE_TIMEOUT", IMAP_IDLE_TIMEOUT_DEFAULT, &u) || !u || u > 86400)
    return "PH_IMAP_IDLE_TIMEOUT" ;
  imap_sio.idle_timeout = u ;
  if (!config_get_uint("PH_IMAP_MAX_BAD", IMAP_MAX_BAD_DEFAULT, &u) || !u || u > 100000)
    return "PH_IMAP_MAX_BAD" ;
  imap_sio.max_bad = u ;
  /* APPENDLIMIT (RFC 7889): what the MX would take, docker-mailserver's setting */
  if (!config_get_size("POSTFIX_MESSAGE_SIZE_LIMIT", 10240000, &u))
    return "POSTFIX_MESSAGE_SIZE_LIMIT" ;
  if (!u || u > 0x7fffffff) u = 0x7fffffff ;   /* 0 means unlimited for Postfix; a literal is bounded anyway */
  s->appendlimit = u ;
  return 0 ;
}

static int zone_minutes (void)
{
  time_t now = time(0) ;
  struct tm tm ;
  if (!localtime_r(&now, &tm)) return 0 ;
  return (int)(tm.tm_gmtoff / 60) ;
}

/* A big FETCH, LIST or APPEND leaves big buffers behind; a session
 * about to wait (perhaps for 30 minutes in IDLE) gives them back. Only
 * empty ones: nothing staged or half-read is touched. */
#define SHRINK_ABOVE 65536
static void shrink (imap_session *s)
{
  stralloc *const sas[] = { &imap_sio.plain, &imap_sio.wire, &s->out, &imap_sio.nout, &imap_sio.inq, &imap_sio.raw, &imap_sio.rd.cmd } ;
  for (size_t i = 0 ; i < sizeof(sas) / sizeof(*sas) ; i++)
    if (!sas[i]->len && sas[i]->a > SHRINK_ABOVE) stralloc_free(sas[i]) ;
  if (s->msg.text.a > SHRINK_ABOVE) imap_msg_free(&s->msg) ;
  /* the header cache: new records written, the file unmapped */
  if (s->state == IMAP_STATE_SELECTED) mbox_cache_release(&s->box) ;
}

/* A session that waits long (IDLE, or a client quiet for
 * IMAP_TRIM_QUIET_MS) gives back everything it can rebuild: scratch
 * buffers of any size, the folder's modseq state and header cache
 * (mbox_idle), and the free heap (malloc_trim: what the folder scan
 * allocated and freed stays mapped otherwise). Memory per idle
 * connection is then the message list and little else. */
#define IMAP_TRIM_QUIET_MS 1000
static void trim (imap_session *s)
{
  stralloc *const sas[] = { &imap_sio.plain, &imap_sio.wire, &s->out, &imap_sio.nout, &imap_sio.tmp, &imap_sio.inq, &imap_sio.raw, &imap_sio.rd.cmd } ;
  for (size_t i = 0 ; i < sizeof(sas) / sizeof(*sas) ; i++)
    if (!sas[i]->len) stralloc_free(sas[i]) ;
  imap_msg_free(&s->msg) ;
  genalloc_free(char const *, &imap_sio.kwptr) ;
  if (s->state == IMAP_STATE_SELECTED) mbox_idle(&s->box) ;
  malloc_trim(0) ;
}

/* Before the trimmed session uses its mailbox again: the packed
 * message list back (mbox_resume). Without it, the session cannot go
 * on with the numbers its client knows. */
static void finish (imap_session *, int, char const *) gccattr_noreturn ;
static void resume (imap_session *s)
{
  if (s->state != IMAP_STATE_SELECTED || mbox_resume(&s->box)) return ;
  if (!mbox_count(&s->box) && errno == ENOMEM)
  {
    imap_untagged(s, "BYE [UNAVAILABLE] Out of memory") ;
    finish(s, 111, "nomem") ;
  }
  /* the names could not be found again: the next sync lists the folder */
  imap_log_event(s, "imap_resume_fail", "error", strerror(errno)) ;
}

/* The reader failed: answer as imap_parse.h says, from the tag it kept. */
static int reader_error (imap_session *s)
{
  imap_reader *r = &imap_sio.rd ;
  char tag[IMAP_TAG_MAX + 1] = "*" ;
  {
    size_t n = 0 ;
    while (n < r->cmd.len && n < IMAP_TAG_MAX && r->cmd.s[n] > ' ' && r->cmd.s[n] < 127 && r->cmd.s[n] != '{' && r->cmd.s[n] != '+') n++ ;
    if (n && n < r->cmd.len && r->cmd.s[n] == ' ')
    {
      memcpy(tag, r->cmd.s, n) ;
      tag[n] = 0 ;
    }
  }
  switch (r->error)
  {
    case IMAP_READER_LITERAL_TOOBIG :
      /* synchronizing: the client waits for a "+" that never comes and
       * goes on (RFC 7889 §4); LITERAL+: the bytes are on their way and
       * the reader may not be able to skip them (RFC 7888 §4) */
      if (imap_reader_must_close(r))
      {
        imap_tagged(s, tag, "BAD Literal too large") ;
        imap_untagged(s, "BYE Literal too large for this server") ;
        return 0 ;
      }
      return imap_tagged(s, tag, imap_reader_nonsync(r) ? "BAD [TOOBIG] Literal too large" : "NO [TOOBIG] Message too large") ;
    case IMAP_READER_TOOLONG : return imap_tagged(s, tag, "BAD Command line too long") ;
    case IMAP_READER_BADLITERAL : return imap_tagged(s, tag, "BAD Malformed literal") ;
    case IMAP_READER_BARELINE : return imap_tagged(s, tag, "BAD Malformed command line") ;
    default : return imap_tagged(s, tag, "BAD Invalid command") ;
  }
}

static char const *end_reason = "disconnected" ;

static int too_many_bad (imap_session *s)
{
  imap_log_event(s, "too_many_bad", 0, 0) ;
  imap_untagged(s, "BYE Too many invalid commands") ;
  end_reason = "too_many_bad" ;
  return 0 ;
}

/* Runs every command the staged input completes. 1 go on, 0 end
 * (end_reason says why). */
static int run_commands (imap_session *s, tain *deadline)
{
  for (unsigned int guard = 0 ; guard < 1000000 ; guard++)
  {
    int r ;
    if (!imap_sio_stage())
    {
      end_reason = "bad_compressed_stream" ;
      return 0 ;
    }
    if (imap_sio.inpos < imap_sio.inq.len && buffer_available(&imap_sio.b)) buffer_fill(&imap_sio.b) ;
    r = imap_reader_get(&imap_sio.rd, &imap_sio.b) ;
    if (r > 0)
    {
      int go ;
      tain_addsec_g(deadline, imap_sio.idle_timeout) ;
      go = imap_sio.idling
        ? imap_idle_line(s, imap_sio.rd.cmd.s, imap_sio.rd.cmd.len)
        : imap_dispatch(s, imap_sio.rd.cmd.s, imap_sio.rd.cmd.len) ;
      imap_reader_reset(&imap_sio.rd) ;
      imap_sio.rd.literal_max = s->appendlimit ;
      if (!go || imap_sio.dead)
      {
        end_reason = imap_sio.dead ? "disconnected" : s->state == IMAP_STATE_LOGOUT ? "logout" : "closed" ;
        return 0 ;
      }
      if (s->bad_commands >= imap_sio.max_bad) return too_many_bad(s) ;
      continue ;
    }
    if (r < 0)
    {
      /* no reset: the reader skips the rest of the refused command itself */
      int go = reader_error(s) ;
      if (!go || imap_sio.dead || imap_reader_must_close(&imap_sio.rd))
      {
        if (go) imap_untagged(s, "BYE Cannot resynchronize with the client") ;
        end_reason = imap_sio.dead ? "disconnected" : "protocol_error" ;
        return 0 ;
      }
      if (s->bad_commands >= imap_sio.max_bad) return too_many_bad(s) ;
      continue ;
    }
    if (imap_sio.rd.want_continuation)
    {
      imap_sio.rd.want_continuation = 0 ;
      tain_addsec_g(deadline, imap_sio.idle_timeout) ;
      if (!imap_outs(s, "+ Ready for literal data\r\n") || !imap_sio_flush())
      {
        end_reason = "disconnected" ;
        return 0 ;
      }
      continue ;
    }
    if (imap_sio.inpos >= imap_sio.inq.len && imap_sio.rawpos >= imap_sio.raw.len) return 1 ;
  }
  return 1 ;
}

void imap_session_run (imap_login const *login)
{
  imap_session s =
  {
    .login = login,
    .state = IMAP_STATE_AUTH,
    .enabled = 0,
    .box = MBOX_ZERO,
    .readonly = 0,
    .saved = GENALLOC_ZERO,
    .msg = IMAP_MSG_ZERO,
    .tzmin = 0,
    .appendlimit = 0,
    .bad_commands = 0,
    .out = STRALLOC_ZERO
  } ;
  tain deadline ;
  tain quiet ;                /* when a quiet client's session trims itself */
  int trimmed = 0 ;

  imap_sio.s = &s ;
  {
    /* the client already heard from imapd that the login is being
     * handed over: it gets a tagged answer whatever happens */
    char const *bad = settings(&s) ;
    if (bad)
    {
      imap_log_event(&s, "imap_config_error", "setting", bad) ;
      imap_tagged(&s, login->tag, "NO [UNAVAILABLE] Server configuration error") ;
      finish(&s, 100, "config") ;
    }
  }
  s.tzmin = zone_minutes() ;
  sig_altignore(SIGPIPE) ;
  socket_tcpnodelay(1) ;   /* one write per answer: nothing to gain from Nagle (fails harmlessly on tlsd-io's pipes) */
  buffer_init(&imap_sio.b, &imap_sio_readop, 0, imap_sio.bbuf, IMAP_SIO_BUFSIZE) ;
  imap_sio.rd.literal_max = s.appendlimit ;
  tain_now_set_stopwatch_g() ;

  if (!mbox_setup_defaults(login->maildir))
  {
    imap_log_event(&s, "imap_setup_fail", "error", strerror(errno)) ;
    imap_tagged(&s, login->tag, "NO [UNAVAILABLE] Your mailbox cannot be opened now, try again later") ;
    finish(&s, 111, "setup_failed") ;
  }
  imap_sio.rootfd = open_read(login->maildir) ;
  if (imap_sio.rootfd < 0)
  {
    imap_log_event(&s, "imap_setup_fail", "error", strerror(errno)) ;
    imap_tagged(&s, login->tag, "NO [UNAVAILABLE] Your mailbox cannot be opened now, try again later") ;
    finish(&s, 111, "setup_failed") ;
  }
  coe(imap_sio.rootfd) ;
  imap_sio_watch_init(login->maildir) ;
  if (!stralloc_copys(&s.out, "OK [CAPABILITY ") || !stralloc_cats(&s.out, imap_capability(&s))
   || !stralloc_cats(&s.out, "] Logged in") || !stralloc_0(&s.out)) finish(&s, 111, "nomem") ;
  imap_tagged(&s, login->tag, s.out.s) ;
  imap_log_event(&s, "imap_session", "tls", login->tls ? "1" : "0") ;
  if (login->pendinglen && !stralloc_catb(&imap_sio.inq, login->pending, login->pendinglen))
    finish(&s, 111, "nomem") ;

  tain_addsec_g(&deadline, imap_sio.idle_timeout) ;
  for (;;)
  {
    iopause_fd x[2] ;
    unsigned int n = 0 ;
    tain const *until = &deadline ;
    int r ;

    if (!run_commands(&s, &deadline) || imap_sio.dead) finish(&s, 0, end_reason) ;
    if (!imap_sio_flush()) finish(&s, 0, "disconnected") ;
    if (imap_sio.ineof && imap_sio.inpos >= imap_sio.inq.len && imap_sio.rawpos >= imap_sio.raw.len) finish(&s, 0, "disconnected") ;
    shrink(&s) ;
    if (!trimmed && imap_sio.idling)
    {
      trim(&s) ;
      trimmed = 1 ;
    }
    if (!trimmed)
    {
      tain d ;
      tain_from_millisecs(&d, IMAP_TRIM_QUIET_MS) ;
      tain_add_g(&quiet, &d) ;
      if (tain_less(&quiet, until)) until = &quiet ;
    }

    x[n].fd = 0 ; x[n].events = imap_sio.ineof ? 0 : IOPAUSE_READ ; x[n].revents = 0 ; n++ ;
    if (imap_sio.idling && imap_sio.ifd >= 0)
    {
      x[n].fd = imap_sio.ifd ; x[n].events = IOPAUSE_READ ; x[n].revents = 0 ; n++ ;
    }
    if (imap_sio.idling && tain_less(&imap_sio.recheck, until)) until = &imap_sio.recheck ;
    r = iopause_g(x, n, until) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      strerr_diefu1sys(111, "iopause") ;
    }
    if (!r)
    {
      if (!trimmed && !tain_less(&STAMP, &quiet))
      {
        trim(&s) ;
        trimmed = 1 ;
        continue ;
      }
      if (!tain_less(&STAMP, &deadline))
      {
        imap_log_event(&s, "imap_autologout", 0, 0) ;
        imap_untagged(&s, "BYE Autologout; idle for too long") ;
        finish(&s, 99, "timeout") ;
      }
      if (imap_sio.idling)
      {
        if (trimmed) resume(&s) ;
        trimmed = 0 ;
        if (!imap_idle_wake(&s)) finish(&s, 0, "disconnected") ;
      }
      continue ;
    }
    /* a wake-up or input: the session works again (and trims when it next waits) */
    if (trimmed) resume(&s) ;
    trimmed = 0 ;
    if (n > 1 && x[1].revents)
    {
      imap_sio_watch_drain() ;
      if (!imap_idle_wake(&s)) finish(&s, 0, "disconnected") ;
    }
    if (x[0].revents)
    {
      /* read only when the staged input is used up: a slow reader of
       * its answers or a compression bomb cannot make us hold more */
      if (imap_sio.rawpos >= imap_sio.raw.len && imap_sio.inq.len - imap_sio.inpos < IMAP_SIO_INQ_LOW)
      {
        if (imap_sio_read() > 0) tain_addsec_g(&deadline, imap_sio.idle_timeout) ;
      }
    }
  }
}
