/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "common/log.h"
#include "common/uidlist.h"
#include "queued/inject_parse.h"
#include "queued/inject_store.h"
#include "queued/inject_conn.h"

/* Paired constants: queued removes a tmp/<pid>/ whose process is alive
 * only once it is older than its TMP_OSSIFIED (36 h), which must stay
 * above MESSAGE_DEATH plus inject_store.c's PREPARED_MAX_AGE (1 h), so it
 * never removes a message still being read. */
#define MESSAGE_DEATH 86400
/* No progress from the client (PH_INJECT_IDLE_TIMEOUT). smtpd passes each
 * client block on as it comes, and RFC 5321 4.5.3.2.5 gives a client
 * 3 min per data block (smtpd's PH_SMTP_DATA_BLOCK_TIMEOUT): the default
 * stays well above, so only smtpd's own deadline ever ends a slow DATA. */
#define IDLE_TIMEOUT_DEFAULT 600
#define ANSWER_TIMEOUT 60

#define SIZE_LIMIT_DEFAULT 10240000   /* docker-mailserver's default */
#define SIZE_SLACK 65536              /* headers smtpd adds (Received:) */

/* The store lives as long as the process: a resident server keeps its
 * preparation from one connection to the next. Everything else below is
 * set afresh by injconn_serve for each connection. */
static injstore store ;
static int store_initialized = 0 ;
static char queue_dir[4096] ;       /* where the store's tmp/<pid> is */

static injparse parser ;
static char inbuf[INJ_CHUNK_MAX] ;
static int conn_rfd = -1 ;
static int conn_wfd = -1 ;
static char const *peer = "" ;

/* Who the peer is, from its uid alone (the kernel's word). */
#define PEER_REFUSED 0
#define PEER_TRUSTED 1   /* root or PH_INJECT_UIDS: its envelope is kept as sent */
#define PEER_LOCAL 2     /* any other local uid (PH_INJECT_ANY_LOCAL) */
static int peerclass = PEER_REFUSED ;
static uint64_t peeruid = 0 ;

/* The client fields of the current message the injector did not keep,
 * as bits of DROP_TAGS, for the log. */
#define DROP_TAGS "CHPUX"
static unsigned int dropped = 0 ;

/* How process() wants the connection to end, when it returns -1. */
static int closing_status = 0 ;

static int answer (char letter, char const *text)
{
  char line[256] ;
  size_t n = strlen(text) ;
  size_t w = 0 ;
  tain deadline ;
  iopause_fd x = { .fd = conn_wfd, .events = IOPAUSE_WRITE } ;
  if (n > sizeof(line) - 2) n = sizeof(line) - 2 ;
  line[0] = letter ;
  memcpy(line + 1, text, n) ;
  line[++n] = '\n' ;
  n++ ;
  tain_now_g() ;
  tain_addsec_g(&deadline, ANSWER_TIMEOUT) ;
  while (w < n)
  {
    ssize_t r = fd_write(conn_wfd, line + w, n - w) ;
    if (r > 0) { w += r ; continue ; }
    if (r < 0 && !error_isagain(errno)) return 0 ;
    r = iopause_g(&x, 1, &deadline) ;
    if (r < 0 && errno == EINTR) continue ;   /* a resident worker's SIGTERM */
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

static char const *storage_text (int e)
{
  return (e == ENOSPC || e == EDQUOT) ? "4.3.1 insufficient system storage" : "4.3.0 queue write error" ;
}

/* A system error while the client is still sending: answer at once and
 * close; the client reads the early answer (qinject_early). */
static int temp_fail (char const *what)
{
  int e = errno ;
  injstore_abort(&store) ;
  {
    logline l ;
    log_begin(&l, "tempfail") ;
    log_kv(&l, "uid", peer) ;
    log_kv(&l, "op", what) ;
    log_kv(&l, "error", strerror(e)) ;
    log_commit(&l) ;
  }
  answer('Z', storage_text(e)) ;
  closing_status = 111 ;
  return -1 ;
}

/* A configuration the connection cannot be served with: Z4.3.5 and the
 * reason on stderr. */
static int config_fail (char const *name)
{
  answer('Z', "4.3.5 mail system configuration error") ;
  strerr_warnw("invalid $", name) ;
  return 100 ;
}

/* Returns the peer's class, or -1 when PH_INJECT_UIDS does not parse: a
 * configuration error, never a reason to let a listed daemon in as a
 * mere local user (its mail would lose its origin). */
static int peer_class (int anylocal)
{
  uint64_t uid = 0 ;
  int numeric = peer[0] && uint640_scan(peer, &uid) ;
  /* checked whole whoever the peer is (uid 0 stands in for none) */
  int listed = uidlist_match(config_get("PH_INJECT_UIDS"), uid) ;
  if (listed < 0) return -1 ;
  if (!numeric) return PEER_REFUSED ;
  peeruid = uid ;
  if (!uid || listed) return PEER_TRUSTED ;
  return anylocal ? PEER_LOCAL : PEER_REFUSED ;
}

/* Reads what is there, waiting until the deadline. Returns the count,
 * 0 at EOF, -1 on error (ETIMEDOUT when the deadline passed). */
static ssize_t read_some (char *s, size_t len, tain const *deadline)
{
  iopause_fd x = { .fd = conn_rfd, .events = IOPAUSE_READ } ;
  for (;;)
  {
    ssize_t r = sanitize_read(fd_read(conn_rfd, s, len)) ;
    if (r > 0) return r ;
    if (r < 0) return errno == EPIPE ? 0 : -1 ;
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0 && errno == EINTR) continue ;   /* a resident worker's SIGTERM */
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

/* Handles every event in inbuf[0..len). Returns 1 if a message ended,
 * 0 if not, -1 if the connection must end (closing_status says how). */
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
        if (!store.inmsg && !injstore_begin(&store)) return temp_fail("create message") ;
        if (!field_kept(ev.tag, ev.s, ev.len)) break ;
        if (!injstore_field(&store, ev.tag, ev.s, ev.len)) return temp_fail("write envelope") ;
        break ;
      case INJ_ENVEND :
        if (!stamp_envelope()) return temp_fail("write envelope") ;
        if (!injstore_envend(&store)) return temp_fail("create message file") ;
        break ;
      case INJ_DATA :
        if (!injstore_data(&store, ev.s, ev.len)) return temp_fail("write message") ;
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
          if (!answer('Z', storage_text(e))) return (closing_status = 111, -1) ;
          break ;
        }
        committed() ;
        dropped = 0 ;
        /* Durable now, and queued was woken inside the commit, so that
         * delivery starts while the K travels to smtpd and its 250 to
         * the client. */
        if (!answer('K', store.qid)) return (closing_status = 111, -1) ;
        break ;
      case INJ_ERROR :
        injstore_abort(&store) ;
        log_refusal("refused", ev.s) ;
        answer('D', ev.s) ;
        return (closing_status = 1, -1) ;
      default :
        strerr_dief1x(101, "internal inconsistency: unknown parser event") ;
    }
  }
  return ended ;
}

/* The read loop: messages one after the other until the client closes. */
static int serve_messages (uint64_t idle)
{
  int inmessage = 0 ;
  tain death = TAIN_INFINITE ;
  for (;;)
  {
    ssize_t r ;
    int p ;
    tain deadline ;
    tain_now_g() ;
    tain_addsec_g(&deadline, (int)idle) ;
    if (inmessage && tain_less(&death, &deadline)) deadline = death ;
    r = read_some(inbuf, sizeof(inbuf), &deadline) ;
    if (r < 0)
    {
      int e = errno ;
      if (store.inmsg) injstore_abort(&store) ;
      if (e != ETIMEDOUT)
      {
        errno = e ;
        strerr_warnwusys("read from client") ;
        return 111 ;
      }
      if (!inmessage) return 0 ;   /* an idle connection between messages */
      log_refusal("timeout", "no progress from client") ;
      answer('Z', "4.4.2 timeout reading the message") ;
      return 99 ;
    }
    if (!r)
    {
      if (inmessage)
      {
        if (store.inmsg) injstore_abort(&store) ;
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
    p = process((size_t)r) ;
    if (p < 0) return closing_status ;
    if (p)
    {
      inmessage = injparse_started(&parser) ;
      if (inmessage) tain_addsec_g(&death, MESSAGE_DEATH) ;
    }
  }
}

/* Moves to the queue directory. A preparation made in another one (the
 * setting changed between two connections) is removed first, while its
 * relative path still names it. */
static int enter_queue (char const *qdir)
{
  size_t n = strlen(qdir) ;
  if (store.active && strcmp(qdir, queue_dir)) injstore_abort(&store) ;
  if (chdir(qdir) < 0) return 0 ;
  if (n >= sizeof(queue_dir)) n = sizeof(queue_dir) - 1 ;
  memcpy(queue_dir, qdir, n) ;
  queue_dir[n] = 0 ;
  return 1 ;
}

static int serve (int resident)
{
  uint64_t sizelimit ;
  uint64_t idle ;
  char const *qdir ;
  int anylocal ;

  if (!config_init())
  {
    answer('Z', "4.3.5 mail system configuration error") ;
    if (errno == EINVAL) strerr_warnw("syntax error in $PH_ENVFILE") ;
    else strerr_warnwusys("read $PH_ENVFILE") ;
    return errno == EINVAL ? 100 : 111 ;
  }
  /* Postfix's default (authorized_submit_users = static:anyone): any
   * local user may submit, as with docker-mailserver's sendmail. */
  if (!config_get_bool("PH_INJECT_ANY_LOCAL", 1, &anylocal)) return config_fail("PH_INJECT_ANY_LOCAL") ;
  peerclass = peer_class(anylocal) ;
  if (peerclass < 0) return config_fail("PH_INJECT_UIDS") ;
  if (peerclass == PEER_REFUSED)
  {
    log_refusal("refused", "peer uid not allowed") ;
    answer('D', "5.7.1 not allowed") ;
    return 1 ;
  }
  if (!config_get_size("POSTFIX_MESSAGE_SIZE_LIMIT", SIZE_LIMIT_DEFAULT, &sizelimit))
    return config_fail("POSTFIX_MESSAGE_SIZE_LIMIT") ;
  if (!config_get_uint("PH_INJECT_IDLE_TIMEOUT", IDLE_TIMEOUT_DEFAULT, &idle) || !idle || idle > MESSAGE_DEATH)
    return config_fail("PH_INJECT_IDLE_TIMEOUT") ;
  /* Postfix and docker-mailserver: 0 means no limit. */
  injparse_init(&parser, sizelimit ? sizelimit + SIZE_SLACK : 0) ;
  qdir = config_get("PH_QUEUE_DIR") ;
  if (!qdir)
  {
    answer('Z', "4.3.5 mail system configuration error") ;
    strerr_warnw("$PH_QUEUE_DIR not set") ;
    return 100 ;
  }
  if (!enter_queue(qdir))
  {
    answer('Z', "4.3.0 queue unavailable") ;
    strerr_warnwusys("chdir to ", qdir) ;
    return 111 ;
  }
  /* While the client sends its envelope and data, the names of the files
   * the message will go into become durable. A failure here is not
   * reported: the first field makes the same attempt and answers it. */
  if (resident && !injstore_prepare(&store)) injstore_abort(&store) ;
  return serve_messages(idle) ;
}

int injconn_serve (int rfd, int wfd, char const *p, int resident)
{
  int status ;
  if (!store_initialized)
  {
    injstore_init(&store) ;
    store_initialized = 1 ;
  }
  conn_rfd = rfd ;
  conn_wfd = wfd ;
  peer = p ;
  peerclass = PEER_REFUSED ;
  peeruid = 0 ;
  dropped = 0 ;
  closing_status = 0 ;
  tain_now_g() ;
  if (ndelay_on(rfd) < 0 || ndelay_on(wfd) < 0)
  {
    strerr_warnwusys("set the socket non-blocking") ;
    return 111 ;
  }
  status = serve(resident) ;
  /* Nothing of this connection's message outlives it; an unused
   * preparation does, in a resident server only. */
  if (store.inmsg || !resident) injstore_abort(&store) ;
  conn_rfd = conn_wfd = -1 ;
  peer = "" ;
  return status ;
}

void injconn_release (void)
{
  if (store_initialized) injstore_abort(&store) ;
}

void injconn_release_signalsafe (void)
{
  if (store_initialized) injstore_abort_signalsafe(&store) ;
}
