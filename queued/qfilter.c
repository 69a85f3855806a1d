/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>  /* rename() only */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/unixmessage.h>

#include "common/filterchain.h"
#include "common/filterreq.h"
#include "common/log.h"
#include "queued/qconf.h"
#include "queued/qrec.h"
#include "queued/qfreply.h"
#include "queued/qsched.h"
#include "queued/qfilter.h"

#define RECIPIENTS_ENV_MAX FILTERREQ_RECIPIENTS_MAX   /* one environment string: far below MAX_ARG_STRLEN */
#define EX_TEMPFAIL 75             /* sysexits.h: "try again later" */
#define REQUEST_SECONDS 5          /* filterrun reads the request at once */

typedef filterchain chain ;

static chain chains[2] ;   /* inbound, outbound */

typedef struct job_s job, *job_ref ;
struct job_s
{
  qmsg *m ;               /* 0: a free slot */
  chain const *c ;
  unsigned int stage ;    /* the program of the chain running now */
  int conn ;              /* our connection to filterrun on filter.sock, or -1 once closed */
  int status ;            /* the program's wait status, as filterrun sent it */
  unixmessage_receiver conn_in ;
  char conn_buf[UNIXMESSAGE_BUFSIZE] ;
  char conn_aux[UNIXMESSAGE_AUXBUFSIZE] ;
  int in ;                /* its stdin (we write), or -1 */
  int out ;               /* its stdout (we read), or -1 */
  int messfd ;
  uint64_t inpos ;        /* bytes of acc + message written so far */
  size_t bufpos, buflen ;
  stralloc acc ;          /* headers from the programs before, newest first */
  stralloc rm ;           /* fields of mess to drop: lines "<name> <n>\n" (docs/filters.md "remove") */
  stralloc reply ;
  tain deadline ;
  unsigned char killed ;
  unsigned char overflow ;
  unsigned char nostatus ;  /* the connection ended without a status */
  unsigned char junk ;
  char buf[16384] ;
} ;

static job *jobs = 0 ;
static unsigned int njobs = 0 ;
static unsigned int nrunning = 0 ;
static unsigned int *pollmap = 0 ;   /* per pollfd: job index * 3 + (0 in, 1 out, 2 conn) */
static stralloc envsa = STRALLOC_ZERO ;
static stralloc tmp = STRALLOC_ZERO ;

int qfilter_config (char const *inbound, char const *outbound, char const **why)
{
  return filterchain_parse(inbound, chains, why) && filterchain_parse(outbound, chains + 1, why) ;
}

int qfilter_init (unsigned int max)
{
  jobs = calloc(max, sizeof(job)) ;
  pollmap = calloc(3 * max, sizeof(unsigned int)) ;
  if (!jobs || !pollmap) return 0 ;
  njobs = max ;
  for (unsigned int k = 0 ; k < max ; k++)
  {
    jobs[k].in = jobs[k].out = jobs[k].messfd = jobs[k].conn = -1 ;
    jobs[k].acc = stralloc_zero ;
    jobs[k].rm = stralloc_zero ;
    jobs[k].reply = stralloc_zero ;
  }
  return 1 ;
}

unsigned int qfilter_maxfds (void)
{
  return 3 * njobs ;
}

static chain const *chain_of (qmsg const *m)
{
  return chains + (m->outbound ? 1 : 0) ;
}

void qfilter_classify (qmsg *m)
{
  if (m->fstate == QFILTER_DONE) return ;
  /* Our own notifications are not filtered: they carry our words and the
   * sender's own message back. */
  if (m->dsn || !chain_of(m)->n) { m->fstate = QFILTER_NONE ; return ; }
  m->fstate = QFILTER_PENDING ;
  tain_now_g() ;
  m->filter_due = STAMP ;
}

static void closefd (int *fd)
{
  if (*fd >= 0) { fd_close(*fd) ; *fd = -1 ; }
}

static void log_stage (job const *j, char const *verdict, char const *reason, size_t rlen)
{
  logline l ;
  log_begin(&l, "filter") ;
  log_kv(&l, "qid", j->m->qid) ;
  log_kvu(&l, "stage", j->stage) ;
  log_kv(&l, "prog", j->c->argv[j->stage][0]) ;
  log_kv(&l, "verdict", verdict) ;
  if (reason) log_kvn(&l, "reason", reason, rlen) ;
  log_commit(&l) ;
}

/* One "NAME=value\0" of the request, the value cut at its bound
 * (common/filterreq.h), so that filterrun never refuses a long HELO. */
static int env_add (char const *k, char const *v, size_t vlen)
{
  if (vlen > FILTERREQ_VALUE_MAX) vlen = FILTERREQ_VALUE_MAX ;
  return stralloc_cats(&envsa, k) && stralloc_catb(&envsa, "=", 1)
   && stralloc_catb(&envsa, v, vlen) && stralloc_0(&envsa) ;
}

static int env_adds (char const *k, char const *v)
{
  return env_add(k, v ? v : "", v ? strlen(v) : 0) ;
}

/* The request for filterrun (common/filterreq.h): the chain, the stage,
 * the command, then the message's variables. */
static int make_request (job const *j)
{
  qmsg const *m = j->m ;
  size_t count = 0, listed = 0 ;
  char fmt[UINT_FMT] ;
  char command[FILTERCHAIN_COMMAND_MAX + 1] ;
  envsa.len = 0 ;
  fmt[uint_fmt(fmt, j->stage)] = 0 ;
  filterchain_command(j->c, j->stage, command) ;
  if (!stralloc_cats(&envsa, m->outbound ? "outbound" : "inbound") || !stralloc_0(&envsa)
   || !stralloc_cats(&envsa, fmt) || !stralloc_0(&envsa)
   || !stralloc_cats(&envsa, command) || !stralloc_0(&envsa)) return 0 ;
  if (!env_adds("QUEUE_ID", m->qid) || !env_adds("SENDER", qmsg_sender(m))) return 0 ;
  if (!stralloc_cats(&envsa, "RECIPIENTS=")) return 0 ;
  for (size_t i = 0 ; i < qmsg_nrcpt(m) ; i++)
  {
    char const *a = qmsg_addr(m, i) ;
    size_t alen = strlen(a) ;
    if (qmsg_rcpt(m, i)->state != QRCPT_PENDING) continue ;
    count++ ;
    if (listed + alen + 1 > RECIPIENTS_ENV_MAX) continue ;
    if ((listed && !stralloc_catb(&envsa, " ", 1)) || !stralloc_catb(&envsa, a, alen)) return 0 ;
    listed += alen + 1 ;
  }
  if (!stralloc_0(&envsa)) return 0 ;
  fmt[uint_fmt(fmt, (unsigned int)count)] = 0 ;
  if (!env_adds("RECIPIENT_COUNT", fmt)
   || !env_adds("CLIENT_IP", qmsg_str(m, m->client))
   || !env_adds("HELO", qmsg_str(m, m->helo))
   || !env_adds("AUTH_USER", qmsg_str(m, m->user))
   || !env_adds("PROTOCOL", qmsg_str(m, m->proto))
   || !env_adds("DIRECTION", m->outbound ? "outbound" : "inbound")) return 0 ;
  fmt[uint_fmt(fmt, j->stage)] = 0 ;
  return env_adds("FILTER_STAGE", fmt) && env_adds("FILTER_REMOVE", "1") ;
}

/* Hands the program's pipe ends to filterrun (as phfilter, on
 * filter.sock), which runs it; the status comes back on the connection.
 * A service that is down or full is a failure here: the stage is
 * retried later. */
static int spawn (job *j)
{
  int pin[2], pout[2] ;
  int fds[2] ;
  int fd ;
  unixmessage msg ;
  unixmessage_sender out ;
  tain deadline ;
  j->reply.len = 0 ;
  j->inpos = 0 ;
  j->bufpos = j->buflen = 0 ;
  j->killed = j->overflow = j->nostatus = 0 ;
  j->status = 0 ;
  if (!make_request(j)) return 0 ;
  fd = ipc_stream_nbcoe() ;
  if (fd < 0) return 0 ;
  /* A Unix stream connect succeeds at once or fails (ENOENT,
   * ECONNREFUSED: the service is down; EAGAIN: its backlog is full). */
  if (!ipc_connect(fd, conf.filter_socket)) goto errfd ;
  if (pipecoe(pin) < 0) goto errfd ;
  if (pipecoe(pout) < 0) { fd_close(pin[0]) ; fd_close(pin[1]) ; goto errfd ; }
  fds[0] = pin[0] ;
  fds[1] = pout[1] ;
  msg.s = envsa.s ;
  msg.len = envsa.len ;
  msg.fds = fds ;
  msg.nfds = 2 ;
  unixmessage_sender_init(&out, fd) ;
  /* The program's ends are closed here once sent (or on failure). */
  if (!unixmessage_put_and_close(&out, &msg, unixmessage_bits_closeall))
  {
    int e = errno ;
    fd_close(pin[0]) ; fd_close(pout[1]) ;
    unixmessage_sender_free(&out) ;
    fd_close(pin[1]) ; fd_close(pout[0]) ;
    errno = e ;
    goto errfd ;
  }
  tain_now_g() ;
  tain_addsec_g(&deadline, REQUEST_SECONDS) ;
  if (!unixmessage_sender_timed_flush_g(&out, &deadline))
  {
    int e = errno ;
    unixmessage_sender_free(&out) ;   /* closes the ends not sent */
    fd_close(pin[1]) ; fd_close(pout[0]) ;
    errno = e ;
    goto errfd ;
  }
  unixmessage_sender_free(&out) ;
  j->conn = fd ;
  j->in = pin[1] ;
  j->out = pout[0] ;
  /* cannot fail: the buffers are of the sizes skalibs asks for */
  unixmessage_receiver_init(&j->conn_in, fd, j->conn_buf, sizeof(j->conn_buf), j->conn_aux, sizeof(j->conn_aux)) ;
  unixmessage_receiver_refuse_fds(&j->conn_in) ;   /* the status carries none */
  if (ndelay_on(j->in) < 0 || ndelay_on(j->out) < 0) return 1 ;   /* cannot happen on a pipe */
  tain_now_g() ;
  tain_addsec_g(&j->deadline, (int)conf.filter_timeout) ;
  return 1 ;
 errfd:
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return 0 ;
}

/* Closing the connection tells filterrun to kill the program's process
 * group, if it still runs. */
static void close_conn (job *j)
{
  if (j->conn < 0) return ;
  unixmessage_receiver_free(&j->conn_in) ;
  closefd(&j->conn) ;
}

static void release (job *j)
{
  closefd(&j->in) ;
  closefd(&j->out) ;
  close_conn(j) ;
  closefd(&j->messfd) ;
  j->m = 0 ;
  nrunning-- ;
}

static void retry_later_n (job *j, char const *reason, size_t rlen)
{
  qmsg *m = j->m ;
  uint64_t d = m->filter_delay ? (uint64_t)m->filter_delay * 2 : conf.retry_min ;
  if (d > conf.retry_max) d = conf.retry_max ;
  m->filter_delay = (uint32_t)d ;
  m->fstate = QFILTER_PENDING ;
  tain_now_g() ;
  tain_addsec_g(&m->filter_due, (int)d) ;
  {
    logline l ;
    log_begin(&l, "filter_deferred") ;
    log_kv(&l, "qid", m->qid) ;
    log_kvu(&l, "stage", j->stage) ;
    log_kv(&l, "prog", j->c->argv[j->stage][0]) ;
    log_kvu(&l, "delay", d) ;
    log_kvn(&l, "reason", reason, rlen) ;
    log_commit(&l) ;
  }
  release(j) ;
  qsched_check(m) ;
}

static void retry_later (job *j, char const *reason)
{
  retry_later_n(j, reason, strlen(reason)) ;
}

/* The filter service could not be reached (down, full, refusing) or
 * the pipes not made: this stage is tried again later. */
static void spawn_failed (job *j)
{
  log_event3("filter_spawn_error", "qid", j->m->qid, "prog", j->c->argv[j->stage][0], "error", strerror(errno)) ;
  retry_later(j, "cannot start the filter") ;
}

/* Is the field starting at s (len bytes to its line's end at least)
 * named name (case-insensitive, RFC 5322 2.2)? */
static int field_is (char const *s, size_t len, char const *name, size_t namelen)
{
  return len > namelen && s[namelen] == ':' && !strncasecmp(s, name, namelen) ;
}

/* How many fields named name a header block holds (LF line ends,
 * continuation lines start with SP or HT). */
static unsigned int count_fields (char const *h, size_t len, char const *name, size_t namelen)
{
  unsigned int n = 0 ;
  size_t pos = 0 ;
  while (pos < len)
  {
    char const *nl = memchr(h + pos, '\n', len - pos) ;
    size_t l = nl ? (size_t)(nl - h) - pos : len - pos ;
    if (h[pos] != ' ' && h[pos] != '\t' && field_is(h + pos, l, name, namelen)) n++ ;
    pos += l + 1 ;
  }
  return n ;
}

/* A program's "remove <name> <n>" counts fields in the header it read:
 * the fields of the programs before it (acc, on top), then the stored
 * message's. Only the message's can be removed (a program may not undo
 * another's verdict fields): the occurrence is turned into one within
 * mess's header and kept for write_fmess. */
static int note_removals (job *j, qfreply const *r)
{
  size_t pos = 0 ;
  char const *name ;
  size_t namelen ;
  unsigned int n ;
  char fmt[UINT_FMT] ;
  while (qfreply_remove_next(r, &pos, &name, &namelen, &n))
  {
    unsigned int above = count_fields(j->acc.s, j->acc.len, name, namelen) ;
    if (n <= above)
    {
      log_event3("filter_remove_ignored", "qid", j->m->qid, "prog", j->c->argv[j->stage][0], "reason", "a field another filter added") ;
      continue ;
    }
    if (!stralloc_catb(&j->rm, name, namelen) || !stralloc_catb(&j->rm, " ", 1)
     || !stralloc_catb(&j->rm, fmt, uint_fmt(fmt, n - above)) || !stralloc_catb(&j->rm, "\n", 1)) return 0 ;
  }
  return 1 ;
}

/* Is occurrence n of the field named name to be dropped? */
static int removed (job const *j, char const *name, size_t namelen, unsigned int n)
{
  size_t pos = 0 ;
  while (pos < j->rm.len)
  {
    char const *line = j->rm.s + pos ;
    char const *nl = memchr(line, '\n', j->rm.len - pos) ;
    char const *sp = memchr(line, ' ', (size_t)(nl - line)) ;
    unsigned int v ;
    if ((size_t)(sp - line) == namelen && !strncasecmp(line, name, namelen)
     && uint_scan(sp + 1, &v) && v == n) return 1 ;
    pos = (size_t)(nl - j->rm.s) + 1 ;
  }
  return 0 ;
}

/* Is any occurrence of name to be dropped? (Cheap: at most a few lines.) */
static int name_listed (job const *j, char const *name, size_t namelen)
{
  size_t pos = 0 ;
  while (pos < j->rm.len)
  {
    char const *line = j->rm.s + pos ;
    char const *sp = memchr(line, ' ', j->rm.len - pos) ;
    if ((size_t)(sp - line) == namelen && !strncasecmp(line, name, namelen)) return 1 ;
    pos = (size_t)((char const *)memchr(sp, '\n', j->rm.len - (size_t)(sp - j->rm.s)) - j->rm.s) + 1 ;
  }
  return 0 ;
}

#define REMOVE_HEADER_MAX (1u << 20)   /* a longer header section keeps its fields */

/* Writes mess's header section to fd without the removed fields; *done
 * is where the rest of mess starts. Returns 1, 0 on error. A header that
 * does not end within REMOVE_HEADER_MAX is written whole (logged). */
static int write_header_filtered (job *j, int fd, uint64_t *done, uint64_t *written)
{
  stralloc h = STRALLOC_ZERO ;
  size_t end = 0, pos = 0 ;
  int found = 0 ;
  while (h.len < REMOVE_HEADER_MAX)
  {
    ssize_t r ;
    if (!stralloc_readyplus(&h, 65536)) goto err ;
    r = pread(j->messfd, h.s + h.len, 65536, (off_t)h.len) ;
    if (r < 0) { if (errno == EINTR) continue ; goto err ; }
    h.len += (size_t)r ;
    if (h.len && h.s[0] == '\n') { end = 0 ; found = 1 ; break ; }
    {
      char const *b = h.len >= 2 ? memmem(h.s, h.len, "\n\n", 2) : 0 ;
      if (b) { end = (size_t)(b - h.s) + 1 ; found = 1 ; break ; }
    }
    if (!r) { end = h.len ; found = 1 ; break ; }
  }
  if (!found)
  {
    log_event2("filter_remove_ignored", "qid", j->m->qid, "reason", "header section too long") ;
    end = 0 ;
  }
  {
    /* per name, the occurrence reached so far: counted again per field */
    while (pos < end)
    {
      size_t start = pos, namelen = 0 ;
      int drop = 0 ;
      while (namelen < end - start && h.s[start + namelen] != ':' && h.s[start + namelen] != '\n') namelen++ ;
      do
      {
        char const *nl = memchr(h.s + pos, '\n', end - pos) ;
        pos = nl ? (size_t)(nl - h.s) + 1 : end ;
      } while (pos < end && (h.s[pos] == ' ' || h.s[pos] == '\t')) ;
      if (namelen < pos - start && h.s[start + namelen] == ':' && name_listed(j, h.s + start, namelen))
      {
        unsigned int n = count_fields(h.s, start, h.s + start, namelen) + 1 ;
        drop = removed(j, h.s + start, namelen, n) ;
      }
      if (drop)
      {
        logline l ;
        log_begin(&l, "filter_removed") ;
        log_kv(&l, "qid", j->m->qid) ;
        log_kvn(&l, "field", h.s + start, namelen) ;
        log_commit(&l) ;
        continue ;
      }
      if (allwrite(fd, h.s + start, pos - start) < pos - start) goto err ;
      *written += pos - start ;
    }
  }
  *done = end ;
  stralloc_free(&h) ;
  return 1 ;
 err:
  stralloc_free(&h) ;
  return 0 ;
}

/* Is there room for need more bytes on the queue's filesystem? A store
 * that would fail half-way is not started: on a full disk, a retried
 * filter would otherwise take the space the injector frees and give it
 * back a moment later, so that the disk is never steadily full and the
 * injector's answer depends on timing. Advisory only: the writes below
 * still handle ENOSPC. */
static int room_for (uint64_t need)
{
  struct statvfs v ;
  if (statvfs("queue", &v) < 0) return 1 ;
  /* one block more for the rounding of the last one */
  if ((uint64_t)v.f_bavail * v.f_frsize >= need + v.f_frsize) return 1 ;
  errno = ENOSPC ;
  return 0 ;
}

/* fmess = the headers the filters added, then mess (without the fields a
 * filter removed); fsynced, renamed, the directory fsynced: only then may
 * the journal name it. *written: its size. */
static int write_fmess (job *j, uint64_t *written)
{
  size_t n = strlen(j->m->qid) ;
  char path[7 + QID_MAX + 11] ;
  char final[7 + QID_MAX + 7] ;
  uint64_t pos = 0 ;
  int fd ;
  memcpy(path, "queue/", 6) ;
  memcpy(path + 6, j->m->qid, n) ;
  memcpy(final, path, 6 + n) ;
  memcpy(path + 6 + n, "/fmess.tmp", 11) ;
  memcpy(final + 6 + n, "/fmess", 7) ;
  if (!room_for(j->acc.len + j->m->size)) return 0 ;
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) ;
  if (fd < 0) return 0 ;
  if (allwrite(fd, j->acc.s, j->acc.len) < j->acc.len) goto err ;
  *written = j->acc.len ;
  if (j->rm.len && !write_header_filtered(j, fd, &pos, written)) goto err ;
  for (;;)
  {
    ssize_t r = pread(j->messfd, j->buf, sizeof(j->buf), (off_t)pos) ;
    if (r < 0) { if (errno == EINTR) continue ; goto err ; }
    if (!r) break ;
    if (allwrite(fd, j->buf, (size_t)r) < (size_t)r) goto err ;
    pos += (uint64_t)r ;
    *written += (uint64_t)r ;
  }
  if (pos != j->m->size) { errno = EIO ; goto err ; }
  if (fd_sync(fd) < 0) goto err ;
  if (close(fd) < 0 && errno != EINTR) { fd = -1 ; goto err ; }
  fd = -1 ;
  if (rename(path, final) < 0) goto err ;
  final[6 + n] = 0 ;
  fd = open(final, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd < 0) return 0 ;
  if (fd_sync(fd) < 0) goto err ;
  fd_close(fd) ;
  return 1 ;
 err:
  {
    int e = errno ;
    if (fd >= 0) fd_close(fd) ;
    unlink(path) ;
    errno = e ;
  }
  return 0 ;
}

static void finish_deliver (job *j)
{
  qmsg *m = j->m ;
  char dir[7 + QID_MAX] ;
  char fmt[UINT64_FMT] ;
  uint64_t fsize = 0 ;
  if ((j->acc.len || j->rm.len) && !write_fmess(j, &fsize))
  {
    log_event2("filter_store_error", "qid", m->qid, "error", strerror(errno)) ;
    retry_later(j, "cannot store the filtered message") ;
    return ;
  }
  tmp.len = 0 ;
  if (!stralloc_cats(&tmp, j->junk ? "junk" : "deliver")
   || (fsize && (!stralloc_catb(&tmp, " ", 1) || !stralloc_catb(&tmp, fmt, uint64_fmt(fmt, fsize))))) goto nomem ;
  {
    stralloc rec = STRALLOC_ZERO ;
    int ok ;
    if (!qrec_append(&rec, 'F', tmp.s, tmp.len) || !qrec_append(&rec, 'E', "", 0)) { stralloc_free(&rec) ; goto nomem ; }
    qmsg_dir(m, dir) ;
    ok = qmsg_journal(m, dir, rec.s, rec.len) ;
    stralloc_free(&rec) ;
    if (!ok)
    {
      log_event2("journal_error", "qid", m->qid, "error", strerror(errno)) ;
      retry_later(j, "cannot record the filter verdict") ;
      return ;
    }
  }
  m->fstate = QFILTER_DONE ;
  m->junk = j->junk ;
  m->fsize = fsize ;
  {
    logline l ;
    log_begin(&l, "filtered") ;
    log_kv(&l, "qid", m->qid) ;
    log_kv(&l, "verdict", j->junk ? "junk" : "deliver") ;
    log_kvu(&l, "added", j->acc.len) ;
    log_commit(&l) ;
  }
  release(j) ;
  qsched_check(m) ;
  return ;
 nomem:
  retry_later(j, "out of memory") ;
}

/* The program of this stage is done (reaped, stdout closed): its answer. */
static void evaluate (job *j)
{
  qfreply r ;
  char const *why ;
  char fmt[UINT_FMT + 20] ;
  if (j->m->deleted)
  {
    qmsg *m = j->m ;
    m->fstate = QFILTER_PENDING ;
    release(j) ;
    qsched_check(m) ;
    return ;
  }
  if (j->killed)
  {
    why = j->overflow ? "answer too long" : "timed out" ;
    log_stage(j, "tempfail", why, strlen(why)) ;
    retry_later(j, why) ;
    return ;
  }
  if (j->nostatus)
  {
    why = "the filter service gave no status" ;
    log_stage(j, "tempfail", why, strlen(why)) ;
    retry_later(j, why) ;
    return ;
  }
  if (WIFSIGNALED(j->status))
  {
    memcpy(fmt, "killed by signal ", 17) ;
    fmt[17 + uint_fmt(fmt + 17, (unsigned int)WTERMSIG(j->status))] = 0 ;
    log_stage(j, "tempfail", fmt, strlen(fmt)) ;
    retry_later(j, fmt) ;
    return ;
  }
  if (WEXITSTATUS(j->status))
  {
    int c = WEXITSTATUS(j->status) ;
    if (c == EX_TEMPFAIL) why = "asked for a retry (exit 75)" ;
    else
    {
      memcpy(fmt, "failed (exit ", 13) ;
      {
        size_t n = 13 + uint_fmt(fmt + 13, (unsigned int)c) ;
        fmt[n++] = ')' ;
        fmt[n] = 0 ;
      }
      why = fmt ;
    }
    log_stage(j, "tempfail", why, strlen(why)) ;
    retry_later(j, why) ;
    return ;
  }
  if (!j->reply.len)
  {
    r.verdict = QFV_DELIVER ;
    r.hdrlen = 0 ;
    r.text = "" ;
    r.textlen = 0 ;
    r.removes = "" ;
    r.removeslen = 0 ;
  }
  else if (!qfreply_parse(j->reply.s, j->reply.len, &r, &why))
  {
    log_event3("filter_protocol_error", "qid", j->m->qid, "prog", j->c->argv[j->stage][0], "reason", why) ;
    log_stage(j, "tempfail", why, strlen(why)) ;
    retry_later(j, "malformed answer") ;
    return ;
  }
  switch (r.verdict)
  {
    case QFV_TEMPFAIL :
      log_stage(j, "tempfail", r.text, r.textlen) ;
      if (r.textlen) retry_later_n(j, r.text, r.textlen) ;
      else retry_later(j, "tempfail") ;
      return ;
    case QFV_DISCARD :
    {
      qmsg *m = j->m ;
      log_stage(j, "discard", r.text, r.textlen) ;
      m->fstate = QFILTER_DONE ;
      release(j) ;
      tmp.len = 0 ;
      if (!stralloc_cats(&tmp, "filter verdict") || (r.textlen && (!stralloc_cats(&tmp, ": ") || !stralloc_catb(&tmp, r.text, r.textlen))) || !stralloc_0(&tmp))
        qsched_discard(m, "filter verdict") ;
      else qsched_discard(m, tmp.s) ;
      return ;
    }
    default : break ;
  }
  log_stage(j, r.verdict == QFV_JUNK ? "junk" : "deliver", r.textlen ? r.text : 0, r.textlen) ;
  if (r.verdict == QFV_JUNK) j->junk = 1 ;
  if (!note_removals(j, &r))
  {
    retry_later(j, "out of memory") ;
    return ;
  }
  /* This program's fields go above those of the programs before it, as
   * trace fields do (RFC 5322 3.6.7). */
  if (r.hdrlen)
  {
    tmp.len = 0 ;
    if (!stralloc_catb(&tmp, j->reply.s, r.hdrlen) || !stralloc_catb(&tmp, j->acc.s, j->acc.len)
     || !stralloc_copyb(&j->acc, tmp.s, tmp.len))
    {
      retry_later(j, "out of memory") ;
      return ;
    }
  }
  closefd(&j->in) ;
  closefd(&j->out) ;
  if (++j->stage < j->c->n)
  {
    if (!spawn(j)) spawn_failed(j) ;
    return ;
  }
  j->stage-- ;   /* the last one ran */
  finish_deliver(j) ;
}

/* Done when its stdout is closed and the connection too (the status
 * came, or it ended without one). */
static void maybe_done (job *j)
{
  if (j->m && j->out < 0 && j->conn < 0) evaluate(j) ;
}

static int open_mess (qmsg const *m)
{
  size_t n = strlen(m->qid) ;
  char path[12 + QID_MAX + 1] ;
  memcpy(path, "queue/", 6) ;
  memcpy(path + 6, m->qid, n) ;
  memcpy(path + 6 + n, "/mess", 6) ;
  return open(path, O_RDONLY | O_CLOEXEC) ;
}

static void start (job *j, qmsg *m)
{
  j->m = m ;
  j->c = chain_of(m) ;
  j->stage = 0 ;
  j->junk = 0 ;
  j->acc.len = 0 ;
  j->rm.len = 0 ;
  nrunning++ ;
  m->fstate = QFILTER_RUNNING ;
  j->messfd = open_mess(m) ;
  if (j->messfd < 0)
  {
    log_event2("filter_error", "qid", m->qid, "error", strerror(errno)) ;
    retry_later(j, "cannot open the queue file") ;
    return ;
  }
  if (!spawn(j)) spawn_failed(j) ;
}

void qfilter_start_due (tain const *now, tain *wake)
{
  size_t n = qsched_count() ;
  for (size_t k = 0 ; k < n ; k++)
  {
    qmsg *m = qsched_at(k) ;
    if (m->fstate != QFILTER_PENDING || m->held || m->deleted || m->broken) continue ;
    if (tain_less(now, &m->filter_due))
    {
      if (tain_less(&m->filter_due, wake)) *wake = m->filter_due ;
      continue ;
    }
    if (nrunning >= njobs) return ;   /* a finishing job wakes us */
    for (unsigned int i = 0 ; i < njobs ; i++)
      if (!jobs[i].m) { start(jobs + i, m) ; break ; }
    /* start may have removed nothing: messages are only removed by
     * qsched_check, which a failed start calls on a pending message,
     * which stays. n is still right. */
  }
}

/* Feeds stdin: the headers so far, then the message file. */
static void pump (job *j)
{
  for (;;)
  {
    ssize_t w ;
    if (j->bufpos == j->buflen)
    {
      if (j->inpos < j->acc.len)
      {
        size_t k = j->acc.len - (size_t)j->inpos ;
        if (k > sizeof(j->buf)) k = sizeof(j->buf) ;
        memcpy(j->buf, j->acc.s + j->inpos, k) ;
        j->buflen = k ;
      }
      else
      {
        ssize_t r = pread(j->messfd, j->buf, sizeof(j->buf), (off_t)(j->inpos - j->acc.len)) ;
        if (r < 0 && errno == EINTR) continue ;
        if (r <= 0) { closefd(&j->in) ; return ; }   /* all sent (or a read error: the program sees EOF) */
        j->buflen = (size_t)r ;
      }
      j->bufpos = 0 ;
    }
    w = write(j->in, j->buf + j->bufpos, j->buflen - j->bufpos) ;
    if (w < 0)
    {
      if (error_isagain(errno)) return ;
      /* EPIPE: the program read what it wanted and closed; its answer
       * still counts. */
      closefd(&j->in) ;
      return ;
    }
    j->bufpos += (size_t)w ;
    j->inpos += (uint64_t)w ;
  }
}

static void drain (job *j)
{
  for (;;)
  {
    char b[4096] ;
    ssize_t r = read(j->out, b, sizeof(b)) ;
    if (r < 0)
    {
      if (error_isagain(errno)) return ;
      r = 0 ;
    }
    if (!r)
    {
      closefd(&j->out) ;
      maybe_done(j) ;
      return ;
    }
    if (j->reply.len + (size_t)r > QFREPLY_MAX || !stralloc_catb(&j->reply, b, (size_t)r))
    {
      /* Too much to be an answer (or no memory for it): stop it now. */
      j->overflow = 1 ;
      j->killed = 1 ;
      close_conn(j) ;   /* filterrun kills the process group */
      closefd(&j->in) ;
      closefd(&j->out) ;
      maybe_done(j) ;
      return ;
    }
  }
}

/* The status from filterrun: one message of FILTERREQ_STATUS_LEN bytes.
 * Anything else, or the end of the connection first, is no status. */
static void read_status (job *j)
{
  unixmessage msg ;
  int r = unixmessage_receive(&j->conn_in, &msg) ;
  if (!r) return ;   /* not all there yet */
  if (r > 0 && msg.len == FILTERREQ_STATUS_LEN)
  {
    uint32_t st ;
    uint32_unpack_big(msg.s, &st) ;
    j->status = (int)st ;
  }
  else j->nostatus = 1 ;
  close_conn(j) ;
  maybe_done(j) ;
}

unsigned int qfilter_pollfds (iopause_fd *x)
{
  unsigned int n = 0 ;
  for (unsigned int k = 0 ; k < njobs ; k++)
  {
    job *j = jobs + k ;
    if (!j->m) continue ;
    if (j->in >= 0)
    {
      x[n].fd = j->in ; x[n].events = IOPAUSE_WRITE ;
      pollmap[n++] = 3 * k ;
    }
    if (j->out >= 0)
    {
      x[n].fd = j->out ; x[n].events = IOPAUSE_READ ;
      pollmap[n++] = 3 * k + 1 ;
    }
    if (j->conn >= 0)
    {
      x[n].fd = j->conn ; x[n].events = IOPAUSE_READ ;
      pollmap[n++] = 3 * k + 2 ;
    }
  }
  return n ;
}

void qfilter_events (iopause_fd const *x, unsigned int n)
{
  for (unsigned int i = 0 ; i < n ; i++)
  {
    job *j = jobs + pollmap[i] / 3 ;
    unsigned int kind = pollmap[i] % 3 ;
    if (!x[i].revents || !j->m) continue ;
    if (x[i].fd != (kind == 2 ? j->conn : kind ? j->out : j->in)) continue ;   /* closed or replaced meanwhile */
    if (kind == 2) read_status(j) ;
    else if (kind) drain(j) ;
    else pump(j) ;
  }
}

void qfilter_deadline (tain *deadline)
{
  for (unsigned int k = 0 ; k < njobs ; k++)
    if (jobs[k].m && !jobs[k].killed && tain_less(&jobs[k].deadline, deadline)) *deadline = jobs[k].deadline ;
}

void qfilter_timeouts (tain const *now)
{
  for (unsigned int k = 0 ; k < njobs ; k++)
  {
    job *j = jobs + k ;
    if (!j->m || j->killed || tain_less(now, &j->deadline)) continue ;
    /* Closing the connection makes filterrun kill the whole process
     * group (a shell script's children too); our ends of the pipes close
     * now, so that whatever escaped the group and still holds them
     * cannot keep the job alive. */
    j->killed = 1 ;
    close_conn(j) ;
    closefd(&j->in) ;
    closefd(&j->out) ;
    maybe_done(j) ;
  }
}

void qfilter_stop (void)
{
  for (unsigned int k = 0 ; k < njobs ; k++)
    if (jobs[k].m) close_conn(jobs + k) ;
}
