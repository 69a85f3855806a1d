/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/posixplz.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/log.h"
#include "queued/qconf.h"
#include "queued/qid.h"
#include "queued/qdir.h"
#include "queued/qmsg.h"
#include "queued/qpool.h"
#include "queued/qroute.h"
#include "queued/qsched.h"
#include "queued/qctl.h"

#define SHOW_HEADER_MAX 65536
#define LIST_MAX (64U << 20)   /* a listing larger than this is cut */

int qctl_backlog = 0 ;

typedef struct client_s client, *client_ref ;
struct client_s
{
  int fd ;                 /* -1: free */
  int answered ;
  size_t inlen ;
  char in[QCTL_LINE_MAX] ;
  stralloc out ;
  size_t outpos ;
  tain deadline ;
} ;

static int lfd = -1 ;
static client clients[QCTL_CLIENTS_MAX] ;
static unsigned int pollmap[QCTL_MAXFDS] ;

int qctl_open (void)
{
  int fd = ipc_stream_nbcoe() ;
  if (fd < 0) return 0 ;
  unlink("control") ;   /* a leftover: we hold the queue lock */
  if (ipc_bind(fd, "control") < 0 || chmod("control", 0600) < 0 || ipc_listen(fd, 16) < 0)
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
    return 0 ;
  }
  lfd = fd ;
  for (unsigned int k = 0 ; k < QCTL_CLIENTS_MAX ; k++)
  {
    clients[k].fd = -1 ;
    clients[k].out = stralloc_zero ;
  }
  return 1 ;
}

static void drop (client *c)
{
  fd_close(c->fd) ;
  c->fd = -1 ;
  c->out.len = 0 ;
  if (c->out.a > 65536) stralloc_free(&c->out) ;
}

/* A value in a tab-separated line: tab, newline, backslash and control
 * bytes as \xHH, so that no address or reply text can forge a line. */
static int put_value (stralloc *sa, char const *s)
{
  static char const hex[] = "0123456789abcdef" ;
  if (!s) s = "" ;
  for (; *s ; s++)
  {
    unsigned char c = *s ;
    if (c < 32 || c == 127 || c == '\\')
    {
      char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] } ;
      if (!stralloc_catb(sa, e, 4)) return 0 ;
    }
    else if (!stralloc_catb(sa, (char const *)&c, 1)) return 0 ;
  }
  return 1 ;
}

static int put_u64 (stralloc *sa, uint64_t u)
{
  char fmt[UINT64_FMT] ;
  return stralloc_catb(sa, fmt, uint64_fmt(fmt, u)) ;
}

static char const *msg_state (qmsg const *m)
{
  if (m->deleted) return "deleting" ;
  if (m->held) return "held" ;
  if (m->fstate == QFILTER_PENDING || m->fstate == QFILTER_RUNNING) return "filtering" ;
  if (m->ninflight) return "active" ;
  for (size_t i = 0 ; i < qmsg_nrcpt(m) ; i++)
    if (qmsg_rcpt(m, i)->state == QRCPT_PENDING && qmsg_rcpt(m, i)->delay) return "deferred" ;
  return "waiting" ;
}

/* Seconds from now until t, 0 if past. */
static uint64_t secs_until (tain const *t)
{
  tain d ;
  if (!tain_less(&STAMP, t)) return 0 ;
  if (!tain_less(t, &tain_infinite)) return 0 ;
  tain_sub(&d, t, &STAMP) ;
  return tai_sec(tain_secp(&d)) ;
}

static int put_msg (stralloc *sa, qmsg const *m)
{
  return stralloc_cats(sa, "M\t") && put_value(sa, m->qid)
   && stralloc_catb(sa, "\t", 1) && put_u64(sa, m->size)
   && stralloc_catb(sa, "\t", 1) && put_u64(sa, m->arrival)
   && stralloc_catb(sa, "\t", 1) && stralloc_cats(sa, msg_state(m))
   && stralloc_catb(sa, "\t", 1) && put_value(sa, qmsg_sender(m))
   && stralloc_catb(sa, "\n", 1) ;
}

static char const *const rstates[] = { "pending", "active", "delivered", "failed" } ;
static char const *const routes[] = { "", "local", "remote" } ;

static int put_rcpt (stralloc *sa, qmsg const *m, size_t i, int lookup)
{
  qrcpt const *r = qmsg_rcpt(m, i) ;
  unsigned int route = r->route ;
  /* show: where it would go now (the route is looked up again at each
   * attempt, so a deferred recipient has none remembered). */
  if (lookup && route == QROUTE_UNKNOWN && r->state == QRCPT_PENDING)
  {
    int rt = qroute_classify(qmsg_addr(m, i)) ;
    if (rt > 0) route = (unsigned int)rt ;
  }
  unsigned char nb = qmsg_notify(m, i) ;
  int isaddr = 0 ;
  char const *orcpt = qmsg_orcpt(m, i, &isaddr) ;
  if (!stralloc_cats(sa, "R\t") || !stralloc_cats(sa, rstates[r->state & 3])
   || !stralloc_catb(sa, "\t", 1) || !put_u64(sa, r->state == QRCPT_PENDING ? secs_until(&r->due) : 0)
   || !stralloc_catb(sa, "\t", 1) || !stralloc_cats(sa, routes[route % 3])
   || !stralloc_catb(sa, "\t", 1) || !put_value(sa, qmsg_addr(m, i))
   || !stralloc_catb(sa, "\t", 1)) return 0 ;
  if (nb & QNOTIFY_NEVER) { if (!stralloc_cats(sa, "NEVER")) return 0 ; }
  else
  {
    if ((nb & QNOTIFY_SUCCESS) && !stralloc_cats(sa, "SUCCESS,")) return 0 ;
    if ((nb & QNOTIFY_FAILURE) && !stralloc_cats(sa, "FAILURE,")) return 0 ;
    if ((nb & QNOTIFY_DELAY) && !stralloc_cats(sa, "DELAY,")) return 0 ;
    if (nb && sa->s[sa->len - 1] == ',') sa->len-- ;
  }
  if (!stralloc_catb(sa, "\t", 1)) return 0 ;
  if (orcpt && ((isaddr && !stralloc_cats(sa, "rfc822;")) || !put_value(sa, orcpt))) return 0 ;
  return stralloc_catb(sa, "\t", 1) && put_value(sa, r->last) && stralloc_catb(sa, "\n", 1) ;
}

static int put_env (stralloc *sa, char const *k, char const *v)
{
  if (!v) return 1 ;
  return stralloc_cats(sa, "E\t") && stralloc_cats(sa, k) && stralloc_catb(sa, "\t", 1)
   && put_value(sa, v) && stralloc_catb(sa, "\n", 1) ;
}

static int qidcmp (void const *a, void const *b)
{
  return strcmp((*(qmsg *const *)a)->qid, (*(qmsg *const *)b)->qid) ;
}

static int do_list (stralloc *sa)
{
  size_t n = qsched_count() ;
  qmsg **v = malloc((n ? n : 1) * sizeof(qmsg *)) ;
  size_t shown = 0 ;
  if (!v) return 0 ;
  for (size_t j = 0 ; j < n ; j++) v[j] = qsched_at(j) ;
  qsort(v, n, sizeof(qmsg *), &qidcmp) ;   /* ids sort by arrival */
  for (size_t j = 0 ; j < n && sa->len < LIST_MAX ; j++)
  {
    qmsg const *m = v[j] ;
    if (!m->npending && !m->deleted) continue ;
    if (!put_msg(sa, m)) { free(v) ; return 0 ; }
    for (size_t i = 0 ; i < qmsg_nrcpt(m) ; i++)
    {
      unsigned char st = qmsg_rcpt(m, i)->state ;
      if ((st == QRCPT_PENDING || st == QRCPT_INFLIGHT) && !put_rcpt(sa, m, i, 0)) { free(v) ; return 0 ; }
    }
    shown++ ;
  }
  free(v) ;
  if (sa->len >= LIST_MAX && !stralloc_cats(sa, "W\tlisting cut at 64 MiB\n")) return 0 ;
  if (qctl_backlog && !stralloc_cats(sa, "W\tmore messages wait on disk beyond PH_QUEUE_ACTIVE_LIMIT and are not listed\n")) return 0 ;
  return stralloc_cats(sa, "ok\t") && put_u64(sa, shown) && stralloc_cats(sa, shown == 1 ? " message\n" : " messages\n") ;
}

/* The header section of the message, one H line per physical line. */
static int put_header (stralloc *sa, qmsg const *m)
{
  char path[13 + QID_MAX + 1] ;
  char *buf ;
  size_t n = strlen(m->qid), len = 0 ;
  int fd ;
  memcpy(path, "queue/", 6) ;
  memcpy(path + 6, m->qid, n) ;
  memcpy(path + 6 + n, m->fsize ? "/fmess" : "/mess", m->fsize ? 7 : 6) ;
  fd = open(path, O_RDONLY | O_CLOEXEC) ;
  if (fd < 0) return 1 ;   /* gone meanwhile: nothing to show */
  buf = malloc(SHOW_HEADER_MAX) ;
  if (!buf) { fd_close(fd) ; return 0 ; }
  while (len < SHOW_HEADER_MAX)
  {
    ssize_t r = pread(fd, buf + len, SHOW_HEADER_MAX - len, (off_t)len) ;
    if (r <= 0) break ;
    len += (size_t)r ;
  }
  fd_close(fd) ;
  for (size_t pos = 0 ; pos < len ;)
  {
    char *nl = memchr(buf + pos, '\n', len - pos) ;
    size_t k = nl ? (size_t)(nl - buf) - pos : len - pos ;
    if (!k || !nl) break ;   /* the empty line, or a line cut by the cap */
    buf[pos + k] = 0 ;
    if (!stralloc_cats(sa, "H\t") || !put_value(sa, buf + pos) || !stralloc_catb(sa, "\n", 1)) { free(buf) ; return 0 ; }
    pos += k + 1 ;
  }
  free(buf) ;
  return 1 ;
}

static int do_show (stralloc *sa, qmsg const *m)
{
  static char const *const fnames[] = { "none", "pending", "running", "done" } ;
  char fmt[UINT64_FMT] ;
  if (!put_msg(sa, m)) return 0 ;
  if (!put_env(sa, "helo", qmsg_str(m, m->helo))
   || !put_env(sa, "client", qmsg_str(m, m->client))
   || !put_env(sa, "user", qmsg_str(m, m->user))
   || !put_env(sa, "protocol", qmsg_str(m, m->proto))
   || !put_env(sa, "envid", qmsg_str(m, m->envid))
   || !put_env(sa, "ret", m->ret == 1 ? "FULL" : m->ret == 2 ? "HDRS" : 0)
   || !put_env(sa, "body", m->body == 1 ? "8BITMIME" : m->body == 2 ? "BINARYMIME" : 0)
   || !put_env(sa, "smtputf8", m->smtputf8 ? "yes" : 0)
   || !put_env(sa, "requiretls", m->requiretls ? "yes" : 0)
   || !put_env(sa, "direction", m->outbound ? "outbound" : "inbound")
   || !put_env(sa, "filter", m->fstate == QFILTER_DONE ? (m->junk ? "junk" : "deliver") : fnames[m->fstate & 3])
   || !put_env(sa, "notification", m->dsn == QDSN_BOUNCE ? "bounce" : m->dsn == QDSN_DOUBLE ? "double bounce" : 0)
   || !put_env(sa, "delay-notice", m->warned ? "sent" : 0)) return 0 ;
  fmt[uint64_fmt(fmt, secs_until(&m->expire))] = 0 ;
  if (!put_env(sa, "expires-in", fmt)) return 0 ;
  for (size_t i = 0 ; i < qmsg_nrcpt(m) ; i++)
    if (!put_rcpt(sa, m, i, 1)) return 0 ;
  if (!put_header(sa, m)) return 0 ;
  return stralloc_cats(sa, "ok\t") && stralloc_cats(sa, m->qid) && stralloc_catb(sa, "\n", 1) ;
}

static int answer_error (stralloc *sa, char const *text)
{
  return stralloc_cats(sa, "error\t") && put_value(sa, text) && stralloc_catb(sa, "\n", 1) ;
}

static int answer_ok (stralloc *sa, char const *text)
{
  return stralloc_cats(sa, "ok\t") && put_value(sa, text) && stralloc_catb(sa, "\n", 1) ;
}

/* delete of a message not in memory (beyond the in-memory limit). */
static int delete_on_disk (char const *qid, char const **why)
{
  static char const *const dirs[] = { "queue", "incoming" } ;
  for (unsigned int k = 0 ; k < 2 ; k++)
  {
    char path[10 + QID_MAX + 1] ;
    struct stat st ;
    size_t n = strlen(dirs[k]) ;
    memcpy(path, dirs[k], n) ;
    path[n] = '/' ;
    memcpy(path + n + 1, qid, strlen(qid) + 1) ;
    if (lstat(path, &st) < 0) continue ;
    if (!qdir_remove(dirs[k], qid, 1)) { *why = strerror(errno) ; return 0 ; }
    log_event3("deleted", "qid", qid, "from", dirs[k], "by", "mailctl") ;
    return 1 ;
  }
  *why = "no such message in the queue" ;
  return 0 ;
}

static void execute (client *c, char *line)
{
  stralloc *sa = &c->out ;
  char *arg = strchr(line, ' ') ;
  qmsg *m = 0 ;
  char const *why = 0 ;
  int ok = 1 ;
  tain_now_g() ;
  if (arg)
  {
    *arg++ = 0 ;
    if (!qid_valid(arg, strlen(arg))) { ok = answer_error(sa, "not a queue id") ; goto end ; }
    m = qsched_find(arg) ;
  }
  if (!strcmp(line, "list") && !arg) ok = do_list(sa) ;
  else if (!strcmp(line, "flush") && !arg)
  {
    size_t n = qsched_count(), count = 0 ;
    char fmt[UINT64_FMT + 20] ;
    for (size_t j = 0 ; j < n ; j++)
    {
      qmsg *x = qsched_at(j) ;
      if (x->held || x->deleted) continue ;
      qsched_retry_now(x) ;
      count++ ;
    }
    qpool_reset_backoff(pools + QPOOL_LOCAL) ;
    qpool_reset_backoff(pools + QPOOL_REMOTE) ;
    fmt[uint64_fmt(fmt, count)] = 0 ;
    log_event2("flush", "messages", fmt, "by", "mailctl") ;
    memcpy(fmt + strlen(fmt), count == 1 ? " message due now" : " messages due now", count == 1 ? 17 : 18) ;
    ok = answer_ok(sa, fmt) ;
  }
  else if (!arg) ok = answer_error(sa, "unknown command") ;
  else if (!strcmp(line, "delete"))
  {
    if (m ? qsched_delete(m, &why) : delete_on_disk(arg, &why)) ok = answer_ok(sa, "deleted") ;
    else ok = answer_error(sa, why) ;
  }
  else if (!m)
    ok = answer_error(sa, qsched_index_build() && !qsched_index_has(arg) ? "no such message in memory (it may be delivered, or waiting on disk beyond PH_QUEUE_ACTIVE_LIMIT)" : "no such message") ;
  else if (!strcmp(line, "show")) ok = do_show(sa, m) ;
  else if (!strcmp(line, "retry"))
  {
    if (m->held) ok = answer_error(sa, "the message is held: release it") ;
    else if (m->deleted) ok = answer_error(sa, "the message is being deleted") ;
    else
    {
      qsched_retry_now(m) ;
      qpool_reset_backoff(pools + QPOOL_LOCAL) ;
      qpool_reset_backoff(pools + QPOOL_REMOTE) ;
      log_event2("retry", "qid", m->qid, "by", "mailctl") ;
      ok = answer_ok(sa, "due now") ;
    }
  }
  else if (!strcmp(line, "hold") || !strcmp(line, "release"))
  {
    if (qsched_hold(m, line[0] == 'h', &why)) ok = answer_ok(sa, line[0] == 'h' ? "held" : "released") ;
    else ok = answer_error(sa, why) ;
  }
  else ok = answer_error(sa, "unknown command") ;
 end:
  if (!ok)
  {
    sa->len = 0 ;
    answer_error(sa, "out of memory") ;
  }
  c->answered = 1 ;
  c->outpos = 0 ;
  tain_addsec_g(&c->deadline, QCTL_TIMEOUT) ;
}

static void accept_one (void)
{
  for (unsigned int tries = 0 ; tries < QCTL_CLIENTS_MAX ; tries++)
  {
    uid_t uid ;
    gid_t gid ;
    client *c = 0 ;
    int fd = ipc_accept_nbcoe(lfd, 0, 0, 0) ;
    if (fd < 0) return ;
    if (getpeereid(fd, &uid, &gid) < 0 || (uid && uid != geteuid()))
    {
      char fmt[UINT64_FMT] ;
      fmt[uint64_fmt(fmt, (uint64_t)uid)] = 0 ;
      log_event2("control_refused", "uid", fmt, "reason", "peer uid not allowed") ;
      fd_close(fd) ;
      continue ;
    }
    for (unsigned int k = 0 ; k < QCTL_CLIENTS_MAX ; k++)
      if (clients[k].fd < 0) { c = clients + k ; break ; }
    if (!c) { fd_close(fd) ; continue ; }   /* too many at once: mailctl says so */
    c->fd = fd ;
    c->answered = 0 ;
    c->inlen = 0 ;
    c->out.len = 0 ;
    c->outpos = 0 ;
    tain_now_g() ;
    tain_addsec_g(&c->deadline, QCTL_TIMEOUT) ;
  }
}

static void client_read (client *c)
{
  for (;;)
  {
    char *nl ;
    ssize_t r = fd_read(c->fd, c->in + c->inlen, QCTL_LINE_MAX - c->inlen) ;
    if (r < 0 && error_isagain(errno)) return ;
    if (r <= 0) { drop(c) ; return ; }
    c->inlen += (size_t)r ;
    nl = memchr(c->in, '\n', c->inlen) ;
    if (nl)
    {
      *nl = 0 ;
      execute(c, c->in) ;
      return ;
    }
    if (c->inlen >= QCTL_LINE_MAX) { drop(c) ; return ; }
  }
}

static void client_write (client *c)
{
  while (c->outpos < c->out.len)
  {
    ssize_t w = fd_write(c->fd, c->out.s + c->outpos, c->out.len - c->outpos) ;
    if (w < 0)
    {
      if (error_isagain(errno)) return ;
      drop(c) ;
      return ;
    }
    c->outpos += (size_t)w ;
  }
  drop(c) ;
}

unsigned int qctl_pollfds (iopause_fd *x)
{
  unsigned int n = 0 ;
  if (lfd < 0) return 0 ;
  x[n].fd = lfd ; x[n].events = IOPAUSE_READ ; pollmap[n++] = QCTL_CLIENTS_MAX ;
  for (unsigned int k = 0 ; k < QCTL_CLIENTS_MAX ; k++)
  {
    if (clients[k].fd < 0) continue ;
    x[n].fd = clients[k].fd ;
    x[n].events = clients[k].answered ? IOPAUSE_WRITE : IOPAUSE_READ ;
    pollmap[n++] = k ;
  }
  return n ;
}

void qctl_events (iopause_fd const *x, unsigned int n)
{
  for (unsigned int i = 0 ; i < n ; i++)
  {
    if (!x[i].revents) continue ;
    if (pollmap[i] == QCTL_CLIENTS_MAX) { accept_one() ; continue ; }
    {
      client *c = clients + pollmap[i] ;
      if (c->fd != x[i].fd) continue ;
      if (c->answered) client_write(c) ;
      else client_read(c) ;
    }
  }
}

void qctl_deadline (tain *deadline)
{
  for (unsigned int k = 0 ; k < QCTL_CLIENTS_MAX ; k++)
    if (clients[k].fd >= 0 && tain_less(&clients[k].deadline, deadline)) *deadline = clients[k].deadline ;
}

void qctl_timeouts (tain const *now)
{
  for (unsigned int k = 0 ; k < QCTL_CLIENTS_MAX ; k++)
    if (clients[k].fd >= 0 && !tain_less(now, &clients[k].deadline)) drop(clients + k) ;
}
