/* ISC license. */

/* queued-inject: the server side of one injection connection
 * (docs/internals.md "Injection", docs/queue.md).
 *
 * Security. Runs as phqueue, one process per connection, under
 * s6-ipcserver on $PH_RUN_DIR/inject.sock (a mode 0666 socket). It trusts
 * IPCREMOTEEUID, which s6-ipcserverd takes from SO_PEERCRED (the kernel's
 * word), and records it as X peeruid= (a client's own peeruid field is
 * dropped). The envelope claims of root and of PH_INJECT_UIDS (smtpd's
 * uid) are kept as sent; any other local uid (PH_INJECT_ANY_LOCAL, on by
 * default as in Postfix) loses its U, P, C and H fields and gets P LOCAL.
 * Nothing else the client sends is trusted: every netstring is bounded (field
 * 4096, 10000 recipients, 64 KiB chunks, the message size limit), every
 * read has a deadline (PH_INJECT_IDLE_TIMEOUT, 600 s) and every message a
 * 24 h one. It writes only
 * under $PH_QUEUE_DIR: tmp/<pid>/ and the commit rename into incoming/.
 * A compromise gives the phqueue uid, which queued shares: it could read,
 * forge or drop queued mail, but not touch mailboxes, keys or config.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <signal.h>
#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "common/log.h"
#include "queued/inject_parse.h"
#include "queued/inject_store.h"

#define USAGE "queued-inject"

/* Paired constants: queued removes a tmp/<pid>/ whose process is alive
 * only once it is older than its TMP_OSSIFIED (36 h), which must stay
 * above MESSAGE_DEATH, so it never removes a message still being read. */
#define MESSAGE_DEATH 86400
/* No progress from the client (PH_INJECT_IDLE_TIMEOUT). smtpd passes each
 * client block on as it comes, and RFC 5321 4.5.3.2.5 gives a client
 * 3 min per data block (smtpd's PH_SMTP_DATA_BLOCK_TIMEOUT): the default
 * stays well above, so only smtpd's own deadline ever ends a slow DATA. */
#define IDLE_TIMEOUT_DEFAULT 600
#define ANSWER_TIMEOUT 60

#define SIZE_LIMIT_DEFAULT 10240000   /* docker-mailserver's default */
#define SIZE_SLACK 65536              /* headers smtpd adds (Received:) */

static injparse parser ;
static injstore store ;
static char inbuf[INJ_CHUNK_MAX] ;
static char const *peer = "" ;

/* Who the peer is, from IPCREMOTEEUID alone (the kernel's word). */
#define PEER_REFUSED 0
#define PEER_TRUSTED 1   /* root or PH_INJECT_UIDS: its envelope is kept as sent */
#define PEER_LOCAL 2     /* any other local uid (PH_INJECT_ANY_LOCAL) */
static int peerclass = PEER_REFUSED ;
static uint64_t peeruid = 0 ;

/* The client fields of the current message the injector did not keep,
 * as bits of DROP_TAGS, for the log. */
#define DROP_TAGS "CHPUX"
static unsigned int dropped = 0 ;

static int answer (char letter, char const *text)
{
  char line[256] ;
  size_t n = strlen(text) ;
  size_t w = 0 ;
  tain deadline ;
  iopause_fd x = { .fd = 1, .events = IOPAUSE_WRITE } ;
  if (n > sizeof(line) - 2) n = sizeof(line) - 2 ;
  line[0] = letter ;
  memcpy(line + 1, text, n) ;
  line[++n] = '\n' ;
  n++ ;
  tain_now_g() ;
  tain_addsec_g(&deadline, ANSWER_TIMEOUT) ;
  while (w < n)
  {
    ssize_t r = fd_write(1, line + w, n - w) ;
    if (r > 0) { w += r ; continue ; }
    if (r < 0 && !error_isagain(errno)) return 0 ;
    r = iopause_g(&x, 1, &deadline) ;
    if (r <= 0) return 0 ;
  }
  return 1 ;
}

static void log_refusal (char const *event, char const *reason)
{
  logline l ;
  log_begin(&l, event) ;
  log_kv(&l, "uid", peer) ;
  log_kv(&l, "reason", reason) ;
  log_commit(&l) ;
}

/* A system error while the client is still sending: answer at once and
 * close; the client reads the early answer (qinject_early). */
static void gccattr_noreturn die_temp (char const *what)
{
  int e = errno ;
  char const *text = (e == ENOSPC || e == EDQUOT) ? "4.3.1 insufficient system storage" : "4.3.0 queue write error" ;
  injstore_abort(&store) ;
  {
    logline l ;
    log_begin(&l, "tempfail") ;
    log_kv(&l, "uid", peer) ;
    log_kv(&l, "op", what) ;
    log_kv(&l, "error", strerror(e)) ;
    log_commit(&l) ;
  }
  answer('Z', text) ;
  _exit(111) ;
}

/* Returns the peer's class, or -1 when PH_INJECT_UIDS does not parse: a
 * configuration error, never a reason to let a listed daemon in as a
 * mere local user (its mail would lose its origin). */
static int peer_class (int anylocal)
{
  uint64_t uid ;
  int numeric, listed = 0 ;
  char const *list = config_get("PH_INJECT_UIDS") ;
  numeric = peer[0] && uint640_scan(peer, &uid) ;
  /* The whole list is checked, whoever the peer is. */
  while (list && *list)
  {
    uint64_t u ;
    size_t n ;
    while (*list == ',' || *list == ' ') list++ ;
    if (!*list) break ;
    n = uint64_scan(list, &u) ;
    if (!n) return -1 ;
    if (numeric && u == uid) listed = 1 ;
    list += n ;
    if (*list && *list != ',' && *list != ' ') return -1 ;
  }
  if (!numeric) return PEER_REFUSED ;
  peeruid = uid ;
  if (!uid || listed) return PEER_TRUSTED ;
  return anylocal ? PEER_LOCAL : PEER_REFUSED ;
}

/* Reads what is there, waiting until the deadline. Returns the count,
 * 0 at EOF, -1 on error (ETIMEDOUT when the deadline passed). */
static ssize_t read_some (char *s, size_t len, tain const *deadline)
{
  iopause_fd x = { .fd = 0, .events = IOPAUSE_READ } ;
  for (;;)
  {
    ssize_t r = sanitize_read(fd_read(0, s, len)) ;
    if (r > 0) return r ;
    if (r < 0) return errno == EPIPE ? 0 : -1 ;
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0) return -1 ;
    if (!r) return (errno = ETIMEDOUT, -1) ;
  }
}

static void committed (void)
{
  logline l ;
  log_begin(&l, "injected") ;
  log_kv(&l, "qid", store.qid) ;
  log_kvu(&l, "size", store.size) ;
  log_kvu(&l, "rcpts", store.nrcpt) ;
  log_kv(&l, "uid", peer) ;
  if (peerclass == PEER_LOCAL) log_kv(&l, "trust", "local") ;
  if (dropped)
  {
    char tags[sizeof(DROP_TAGS)] ;
    size_t n = 0 ;
    for (size_t i = 0 ; i < sizeof(DROP_TAGS) - 1 ; i++)
      if (dropped & (1U << i)) tags[n++] = DROP_TAGS[i] ;
    tags[n] = 0 ;
    log_kv(&l, "dropped", tags) ;
  }
  log_commit(&l) ;
}

static void drop (char tag)
{
  char const *p = strchr(DROP_TAGS, tag) ;
  if (p) dropped |= 1U << (p - DROP_TAGS) ;
}

/* Fields only the injector may write: X peeruid= (from every peer: the
 * scheduler, filters and the admin read it as the kernel's word), X DSN=
 * (from every peer: only queued's own notifications carry it, written
 * straight into the store, and it exempts a message from the filter
 * chains and from double bounces), and
 * the origin fields U, P, C, H of a peer admitted only as a local user,
 * whose claims nobody vouches for (Postfix's pickup likewise ignores
 * what postdrop's users say about the client). */
static int field_kept (char tag, char const *s, size_t len)
{
  if (tag == 'X' && len >= 8 && !strncasecmp(s, "peeruid=", 8)) return (drop(tag), 0) ;
  if (tag == 'X' && len >= 4 && !strncasecmp(s, "dsn=", 4)) return (drop(tag), 0) ;
  if (peerclass != PEER_LOCAL) return 1 ;
  /* sendmail's own P LOCAL: replaced by ours, nothing worth logging. */
  if (tag == 'P' && len == 5 && !strncasecmp(s, "LOCAL", 5)) return 0 ;
  if (tag == 'U' || tag == 'P' || tag == 'C' || tag == 'H') return (drop(tag), 0) ;
  return 1 ;
}

/* The injector's own fields, last in the envelope. */
static int stamp_envelope (void)
{
  char field[8 + UINT64_FMT] ;
  if (peerclass == PEER_LOCAL && !injstore_field(&store, 'P', "LOCAL", 5)) return 0 ;
  memcpy(field, "peeruid=", 8) ;
  return injstore_field(&store, 'X', field, 8 + uint64_fmt(field + 8, peeruid)) ;
}

/* Handles every event in inbuf[0..len). Returns 1 if a message ended. */
static int process (size_t len)
{
  size_t i = 0 ;
  int ended = 0 ;
  while (i < len)
  {
    injevent ev ;
    i += injparse_feed(&parser, inbuf + i, len - i, &ev) ;
    switch (ev.type)
    {
      case INJ_NEED : break ;
      case INJ_FIELD :
        if (!store.active && !injstore_begin(&store)) die_temp("create message") ;
        if (!field_kept(ev.tag, ev.s, ev.len)) break ;
        if (!injstore_field(&store, ev.tag, ev.s, ev.len)) die_temp("write envelope") ;
        break ;
      case INJ_ENVEND :
        if (!stamp_envelope()) die_temp("write envelope") ;
        if (!injstore_envend(&store)) die_temp("create message file") ;
        break ;
      case INJ_DATA :
        if (!injstore_data(&store, ev.s, ev.len)) die_temp("write message") ;
        break ;
      case INJ_MSGEND :
        ended = 1 ;
        /* The whole message is read, so the connection stays in step
         * whatever the outcome: a failed commit answers Z and goes on. */
        if (!injstore_commit(&store))
        {
          int e = errno ;
          injstore_abort(&store) ;
          dropped = 0 ;
          log_refusal("tempfail", strerror(e)) ;
          if (!answer('Z', (e == ENOSPC || e == EDQUOT) ? "4.3.1 insufficient system storage" : "4.3.0 queue write error"))
            _exit(111) ;
          break ;
        }
        committed() ;
        dropped = 0 ;
        if (!answer('K', store.qid)) _exit(111) ;
        injstore_trigger() ;
        break ;
      case INJ_ERROR :
        injstore_abort(&store) ;
        log_refusal("refused", ev.s) ;
        answer('D', ev.s) ;
        _exit(1) ;
      default :
        strerr_dief(101, "internal inconsistency: unknown parser event") ;
    }
  }
  return ended ;
}

int main (int argc, char const *const *argv)
{
  uint64_t sizelimit ;
  char const *qdir ;
  uint64_t idle ;
  int inmessage = 0 ;
  tain death = TAIN_INFINITE ;
  PROG = "queued-inject" ;
  if (argc > 1 && argv[1][0] == '-') strerr_dieusage(100, USAGE) ;
  sig_ignore(SIGPIPE) ;
  tain_now_set_stopwatch_g() ;
  injstore_init(&store) ;

  if (!config_init())
  {
    answer('Z', "4.3.5 mail system configuration error") ;
    if (errno == EINVAL) strerr_dief(100, "syntax error in $PH_ENVFILE") ;
    strerr_diefusys(111, "read $PH_ENVFILE") ;
  }
  peer = getenv("IPCREMOTEEUID") ;
  if (!peer) peer = "" ;
  {
    /* Postfix's default (authorized_submit_users = static:anyone): any
     * local user may submit, as with docker-mailserver's sendmail. */
    int anylocal ;
    if (!config_get_bool("PH_INJECT_ANY_LOCAL", 1, &anylocal))
    {
      answer('Z', "4.3.5 mail system configuration error") ;
      strerr_dieinvalid(100, "PH_INJECT_ANY_LOCAL") ;
    }
    peerclass = peer_class(anylocal) ;
  }
  if (peerclass < 0)
  {
    answer('Z', "4.3.5 mail system configuration error") ;
    strerr_dieinvalid(100, "PH_INJECT_UIDS") ;
  }
  if (peerclass == PEER_REFUSED)
  {
    log_refusal("refused", "peer uid not allowed") ;
    answer('D', "5.7.1 not allowed") ;
    return 1 ;
  }
  if (!config_get_size("POSTFIX_MESSAGE_SIZE_LIMIT", SIZE_LIMIT_DEFAULT, &sizelimit))
  {
    answer('Z', "4.3.5 mail system configuration error") ;
    strerr_dieinvalid(100, "POSTFIX_MESSAGE_SIZE_LIMIT") ;
  }
  if (!config_get_uint("PH_INJECT_IDLE_TIMEOUT", IDLE_TIMEOUT_DEFAULT, &idle) || !idle || idle > MESSAGE_DEATH)
  {
    answer('Z', "4.3.5 mail system configuration error") ;
    strerr_dieinvalid(100, "PH_INJECT_IDLE_TIMEOUT") ;
  }
  /* Postfix and docker-mailserver: 0 means no limit. */
  injparse_init(&parser, sizelimit ? sizelimit + SIZE_SLACK : 0) ;
  qdir = config_get("PH_QUEUE_DIR") ;
  if (!qdir)
  {
    answer('Z', "4.3.5 mail system configuration error") ;
    strerr_dienotset(100, "PH_QUEUE_DIR") ;
  }
  if (chdir(qdir) < 0)
  {
    answer('Z', "4.3.0 queue unavailable") ;
    strerr_diefusys(111, "chdir to ", qdir) ;
  }
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefusys(111, "set the socket non-blocking") ;

  for (;;)
  {
    ssize_t r ;
    tain deadline ;
    tain_addsec_g(&deadline, (int)idle) ;
    if (inmessage && tain_less(&death, &deadline)) deadline = death ;
    r = read_some(inbuf, sizeof(inbuf), &deadline) ;
    if (r < 0)
    {
      int e = errno ;
      injstore_abort(&store) ;
      if (e != ETIMEDOUT) strerr_diefusys(111, "read from client") ;
      if (!inmessage) return 0 ;   /* an idle connection between messages */
      log_refusal("timeout", "no progress from client") ;
      answer('Z', "4.4.2 timeout reading the message") ;
      return 99 ;
    }
    if (!r)
    {
      if (inmessage)
      {
        injstore_abort(&store) ;
        log_refusal("aborted", "client closed mid-message") ;
      }
      return 0 ;
    }
    if (!inmessage)
    {
      inmessage = 1 ;
      tain_addsec_g(&death, MESSAGE_DEATH) ;
    }
    /* A chunk may end one message and begin the next: restart the clock. */
    if (process((size_t)r))
    {
      inmessage = injparse_started(&parser) ;
      if (inmessage) tain_addsec_g(&death, MESSAGE_DEATH) ;
    }
  }
}
