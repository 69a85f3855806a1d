/* ISC license. */

/* imapload: an IMAP load generator for the benchmark (tests/bench/run,
 * the imap section; docs/bench.md). A test tool, not a daemon: it runs
 * as the caller, talks plain IMAP (no TLS) to 127.0.0.1 and writes
 * nothing on disk.
 *
 *   imapload load -p PORT -u USER -w PASSWORD [-c SESSIONS] [-t SECONDS] [-r SEED]
 *   imapload idle -p PORT -u USER -w PASSWORD -n CONNECTIONS [-N]
 *
 * load: SESSIONS connections at once, one process, driven by poll().
 * Each connection runs "visits" back to back until the time is up; a
 * visit is what a mail client does when it checks a mailbox:
 *
 *   LOGIN, SELECT INBOX, UID FETCH 1:* (FLAGS)           (flag resync)
 *   5 rounds of: UID FETCH of 20 headers (RFC822.SIZE, FLAGS, FROM, TO,
 *     SUBJECT, DATE, MESSAGE-ID), UID FETCH BODY.PEEK[] of one message,
 *     UID STORE +FLAGS/-FLAGS (\Seen) or (\Flagged) on one message,
 *     UID SEARCH (UNSEEN / SUBJECT / FROM / SINCE, in turn)
 *   every other visit: APPEND of a 2 KiB message (synchronizing literal),
 *     then UID STORE +FLAGS.SILENT (\Deleted) and UID EXPUNGE of the
 *     UID given by APPENDUID (RFC 4315), so the mailbox keeps its size
 *   LOGOUT
 *
 * Every tagged OK is one operation; NO, BAD, BYE or a broken connection
 * is an error (the first ones are printed on stderr with the command).
 * Only operations completed inside the window count. Output, one
 * key=value line per item on stdout:
 *   total sessions= seconds= ops= ops_per_s= visits= errors=
 *   cmd name= n= mean_ms= p50_ms= p99_ms= max_ms=
 *
 * idle: opens CONNECTIONS sessions (at most 16 logging in at once), each
 * LOGIN, SELECT INBOX and IDLE (RFC 2177; -N: no IDLE, just selected),
 * then prints "ready n=<logged in> errors=<n>" and waits for end of file
 * on stdin, while the caller measures the server's memory; then DONE,
 * LOGOUT and exit. */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define MAXCONN 4096
#define INBUF_MAX (4 << 20)
#define HIST_BUCKETS 400
#define HIST_BASE 1.05
#define ROUNDS 5
#define MAX_ERRORS_SHOWN 10
#define APPEND_SIZE 2048

enum step
{
  S_LOGIN, S_SELECT, S_FETCH_FLAGS, S_FETCH_HDR, S_FETCH_BODY, S_STORE,
  S_SEARCH, S_APPEND, S_DELETE, S_EXPUNGE, S_LOGOUT, S_IDLE, S_DONE_IDLE,
  S_NSTEPS
} ;

static char const *const step_name[S_NSTEPS] =
{
  "LOGIN", "SELECT", "FETCH_FLAGS", "FETCH_HEADERS", "FETCH_BODY", "STORE",
  "SEARCH", "APPEND", "STORE_DELETED", "UID_EXPUNGE", "LOGOUT", "IDLE", "IDLE_DONE"
} ;

enum phase { P_FREE, P_CONNECTING, P_GREETING, P_WAIT, P_WAIT_CONT, P_IDLE_WAIT, P_IDLING, P_READY } ;

typedef struct conn_s conn ;
struct conn_s
{
  int fd ;
  enum phase phase ;
  char *in ;
  size_t inlen, inalloc ;
  size_t skip ;              /* literal bytes still to skip */
  int contline ;             /* the next line continues a response (after a literal) */
  char out[1024] ;
  size_t outlen, outpos ;
  char *lit ;                /* APPEND literal waiting for the continuation */
  size_t litlen ;
  unsigned int tagn ;
  char tag[16] ;
  enum step steps[64] ;
  unsigned int nsteps, stepi ;
  enum step cur ;
  double sent_at ;
  uint32_t exists, uidnext, appended ;
  unsigned int visit ;
  double not_before ;        /* after an error: no reconnection before this */
  char lastcmd[200] ;
} ;

static conn conns[MAXCONN] ;
static struct pollfd pfds[MAXCONN + 1] ;
static struct sockaddr_in server ;
static char const *user, *password ;
static uint64_t rng = 0x9e3779b97f4a7c15ULL ;
static double t_start, t_end ;
static int stopping = 0 ;
static unsigned long ops = 0, errors = 0, visits = 0, errors_shown = 0 ;
static unsigned long hist[S_NSTEPS][HIST_BUCKETS] ;
static unsigned long nops[S_NSTEPS] ;
static double sum_ms[S_NSTEPS], max_ms[S_NSTEPS] ;
static char appendbody[APPEND_SIZE + 512] ;

static void die (char const *fmt, ...)
{
  va_list ap ;
  va_start(ap, fmt) ;
  fputs("imapload: fatal: ", stderr) ;
  vfprintf(stderr, fmt, ap) ;
  fputc('\n', stderr) ;
  va_end(ap) ;
  exit(111) ;
}

static double now (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return ts.tv_sec + ts.tv_nsec / 1e9 ;
}

static uint32_t rnd (uint32_t n)
{
  rng ^= rng << 13 ; rng ^= rng >> 7 ; rng ^= rng << 17 ;
  return n ? (uint32_t)(rng % n) : 0 ;
}

static void record (enum step s, double ms)
{
  unsigned int b = ms * 1000.0 <= 1.0 ? 0 : (unsigned int)(log(ms * 1000.0) / log(HIST_BASE)) ;
  if (b >= HIST_BUCKETS) b = HIST_BUCKETS - 1 ;
  hist[s][b]++ ;
  nops[s]++ ;
  sum_ms[s] += ms ;
  if (ms > max_ms[s]) max_ms[s] = ms ;
}

static double percentile (enum step s, double q)
{
  unsigned long want = (unsigned long)ceil(q * nops[s]), seen = 0 ;
  if (!want) want = 1 ;
  for (unsigned int b = 0 ; b < HIST_BUCKETS ; b++)
  {
    seen += hist[s][b] ;
    if (seen >= want) return pow(HIST_BASE, b + 1) / 1000.0 ;
  }
  return max_ms[s] ;
}

static void error_seen (conn *c, char const *what, char const *line, size_t len)
{
  errors++ ;
  /* a refusing server must not turn the run into a reconnection storm */
  c->not_before = now() + 0.1 ;
  if (errors_shown++ < MAX_ERRORS_SHOWN)
    fprintf(stderr, "imapload: error: %s: sent \"%s\" got \"%.*s\"\n", what, c->lastcmd, (int)(len > 300 ? 300 : len), line) ;
}

static void conn_close (conn *c)
{
  if (c->fd >= 0) close(c->fd) ;
  c->fd = -1 ;
  c->phase = P_FREE ;
  c->inlen = c->skip = 0 ;
  c->contline = 0 ;
  c->outlen = c->outpos = 0 ;
}

static int conn_open (conn *c)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  int one = 1 ;
  if (fd < 0) die("unable to create socket: %s", strerror(errno)) ;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ;
  c->fd = fd ;
  c->inlen = c->skip = 0 ;
  c->contline = 0 ;
  c->outlen = c->outpos = 0 ;
  c->exists = c->uidnext = c->appended = 0 ;
  c->stepi = c->nsteps = 0 ;
  strcpy(c->lastcmd, "(connect)") ;
  if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS)
  {
    error_seen(c, "connect", strerror(errno), strlen(strerror(errno))) ;
    conn_close(c) ;
    return 0 ;
  }
  c->phase = P_CONNECTING ;
  return 1 ;
}

static void queue_out (conn *c, char const *s, size_t len)
{
  if (c->outlen + len > sizeof c->out) die("bug: command too long") ;
  memcpy(c->out + c->outlen, s, len) ;
  c->outlen += len ;
}

/* The visit of a load session, or the steps of an idle one. */
static void plan_visit (conn *c, int idle, int noidle)
{
  unsigned int n = 0 ;
  c->steps[n++] = S_LOGIN ;
  c->steps[n++] = S_SELECT ;
  if (idle)
  {
    if (!noidle) c->steps[n++] = S_IDLE ;
  }
  else
  {
    c->steps[n++] = S_FETCH_FLAGS ;
    for (unsigned int r = 0 ; r < ROUNDS ; r++)
    {
      c->steps[n++] = S_FETCH_HDR ;
      c->steps[n++] = S_FETCH_BODY ;
      c->steps[n++] = S_STORE ;
      c->steps[n++] = S_SEARCH ;
    }
    if (c->visit & 1)
    {
      c->steps[n++] = S_APPEND ;
      c->steps[n++] = S_DELETE ;
      c->steps[n++] = S_EXPUNGE ;
    }
    c->steps[n++] = S_LOGOUT ;
  }
  c->nsteps = n ;
  c->stepi = 0 ;
}

static uint32_t some_uid (conn *c)
{
  uint32_t top = c->uidnext > 1 ? c->uidnext - 1 : 1 ;
  return 1 + rnd(top) ;
}

/* Sends the next step's command. Returns 0 when the visit is over. */
static int send_step (conn *c)
{
  char cmd[sizeof c->out] ;
  int len = 0 ;
  enum step s ;
  static char const *const searches[4] = { "UNSEEN", "SUBJECT \"report\"", "FROM \"alice\"", "SINCE 1-Jan-2020" } ;
  for (;;)
  {
    if (c->stepi >= c->nsteps) return 0 ;
    s = c->steps[c->stepi++] ;
    if ((s == S_DELETE || s == S_EXPUNGE) && !c->appended) continue ;  /* no APPENDUID: nothing of ours to remove */
    break ;
  }
  c->cur = s ;
  snprintf(c->tag, sizeof c->tag, "a%u", ++c->tagn) ;
  switch (s)
  {
    case S_LOGIN :
      len = snprintf(cmd, sizeof cmd, "%s LOGIN \"%s\" \"%s\"\r\n", c->tag, user, password) ; break ;
    case S_SELECT :
      len = snprintf(cmd, sizeof cmd, "%s SELECT INBOX\r\n", c->tag) ; break ;
    case S_FETCH_FLAGS :
      len = snprintf(cmd, sizeof cmd, "%s UID FETCH 1:* (FLAGS)\r\n", c->tag) ; break ;
    case S_FETCH_HDR :
    {
      uint32_t first = some_uid(c) ;
      len = snprintf(cmd, sizeof cmd, "%s UID FETCH %u:%u (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])\r\n", c->tag, first, first + 19) ;
      break ;
    }
    case S_FETCH_BODY :
      len = snprintf(cmd, sizeof cmd, "%s UID FETCH %u (BODY.PEEK[])\r\n", c->tag, some_uid(c)) ; break ;
    case S_STORE :
    {
      uint32_t r = rnd(4) ;
      len = snprintf(cmd, sizeof cmd, "%s UID STORE %u %cFLAGS (%s)\r\n", c->tag, some_uid(c), r & 1 ? '+' : '-', r & 2 ? "\\Seen" : "\\Flagged") ;
      break ;
    }
    case S_SEARCH :
      len = snprintf(cmd, sizeof cmd, "%s UID SEARCH %s\r\n", c->tag, searches[rnd(4)]) ; break ;
    case S_APPEND :
      len = snprintf(cmd, sizeof cmd, "%s APPEND INBOX (\\Seen) {%zu}\r\n", c->tag, strlen(appendbody)) ;
      c->appended = 0 ;
      break ;
    case S_DELETE :
      len = snprintf(cmd, sizeof cmd, "%s UID STORE %u +FLAGS.SILENT (\\Deleted)\r\n", c->tag, c->appended) ; break ;
    case S_EXPUNGE :
      len = snprintf(cmd, sizeof cmd, "%s UID EXPUNGE %u\r\n", c->tag, c->appended) ; break ;
    case S_LOGOUT :
      len = snprintf(cmd, sizeof cmd, "%s LOGOUT\r\n", c->tag) ; break ;
    case S_IDLE :
      len = snprintf(cmd, sizeof cmd, "%s IDLE\r\n", c->tag) ; break ;
    case S_DONE_IDLE :
    case S_NSTEPS :
      die("bug: step %d", (int)s) ;
  }
  if (len <= 0 || (size_t)len >= sizeof cmd) die("bug: command too long") ;
  queue_out(c, cmd, len) ;
  snprintf(c->lastcmd, sizeof c->lastcmd, "%.*s", len - 2, cmd) ;
  c->sent_at = now() ;
  c->phase = s == S_APPEND ? P_WAIT_CONT : s == S_IDLE ? P_IDLE_WAIT : P_WAIT ;
  return 1 ;
}

static char const *findn (char const *hay, size_t len, char const *needle)
{
  size_t n = strlen(needle) ;
  if (len < n) return 0 ;
  for (size_t i = 0 ; i + n <= len ; i++)
    if (!strncasecmp(hay + i, needle, n)) return hay + i ;
  return 0 ;
}

/* A whole response line (first physical line of a response). Returns 0
 * when the connection must be closed. */
static int on_line (conn *c, char const *line, size_t len, int idle, int noidle)
{
  char const *p ;
  if (c->phase == P_GREETING)
  {
    if (len >= 4 && !strncmp(line, "* OK", 4))
    {
      plan_visit(c, idle, noidle) ;
      send_step(c) ;
      return 1 ;
    }
    error_seen(c, "greeting", line, len) ;
    return 0 ;
  }
  if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' '))
  {
    if (c->phase == P_WAIT_CONT)
    {
      size_t bl = strlen(appendbody) ;
      if (c->outlen + bl + 2 > sizeof c->out)
      {
        c->lit = appendbody ;
        c->litlen = bl ;
      }
      else
      {
        queue_out(c, appendbody, bl) ;
        queue_out(c, "\r\n", 2) ;
      }
      c->phase = P_WAIT ;
      return 1 ;
    }
    if (c->phase == P_IDLE_WAIT)
    {
      record(S_IDLE, (now() - c->sent_at) * 1000.0) ;
      c->phase = P_IDLING ;
      return 1 ;
    }
    error_seen(c, "unexpected continuation", line, len) ;
    return 0 ;
  }
  if (len >= 2 && line[0] == '*' && line[1] == ' ')
  {
    char *end ;
    unsigned long n = strtoul(line + 2, &end, 10) ;
    if (end != line + 2 && (size_t)(end - line) + 7 <= len && !strncasecmp(end, " EXISTS", 7)) c->exists = n ;
    p = findn(line, len, "[UIDNEXT ") ;
    if (p) c->uidnext = strtoul(p + 9, 0, 10) ;
    if (len >= 5 && !strncasecmp(line, "* BYE", 5) && c->cur != S_LOGOUT)
    {
      error_seen(c, "BYE", line, len) ;
      return 0 ;
    }
    return 1 ;
  }
  {
    size_t tl = strlen(c->tag) ;
    int ok ;
    double t = now() ;
    if (len <= tl || strncmp(line, c->tag, tl) || line[tl] != ' ')
    {
      error_seen(c, "unexpected line", line, len) ;
      return 0 ;
    }
    ok = len >= tl + 3 && !strncasecmp(line + tl + 1, "OK", 2) ;
    if (!ok)
    {
      error_seen(c, step_name[c->cur], line, len) ;
      return 0 ;
    }
    if (c->cur == S_APPEND)
    {
      p = findn(line, len, "[APPENDUID ") ;
      if (p)
      {
        char *e ;
        strtoul(p + 11, &e, 10) ;
        c->appended = strtoul(e, 0, 10) ;
      }
      else error_seen(c, "APPEND without APPENDUID", line, len) ;
    }
    if (t <= t_end)
    {
      ops++ ;
      record(c->cur, (t - c->sent_at) * 1000.0) ;
    }
    if (c->cur == S_LOGOUT)
    {
      if (t <= t_end) visits++ ;
      return 0 ;
    }
    if (stopping) return 0 ;
    if (!send_step(c))
    {
      if (!idle) return 0 ;
      c->phase = P_READY ;   /* idle -N: selected, nothing more to say */
    }
    return 1 ;
  }
}

/* Reads what arrived; returns 0 when the connection must be closed. */
static int on_readable (conn *c, int idle, int noidle)
{
  for (;;)
  {
    ssize_t r ;
    if (c->inalloc - c->inlen < 65536)
    {
      if (c->inalloc >= INBUF_MAX) die("response line longer than %d bytes", INBUF_MAX) ;
      c->inalloc = c->inalloc ? c->inalloc * 2 : 131072 ;
      c->in = realloc(c->in, c->inalloc) ;
      if (!c->in) die("out of memory") ;
    }
    r = read(c->fd, c->in + c->inlen, c->inalloc - c->inlen) ;
    if (r < 0)
    {
      if (errno == EAGAIN) break ;
      if (errno == EINTR) continue ;
      error_seen(c, "read", strerror(errno), strlen(strerror(errno))) ;
      return 0 ;
    }
    if (!r)
    {
      if (!(c->cur == S_LOGOUT && c->phase == P_WAIT)) error_seen(c, "connection closed by server", "", 0) ;
      return 0 ;
    }
    c->inlen += r ;
    {
      size_t pos = 0 ;
      for (;;)
      {
        char *crlf ;
        size_t llen ;
        if (c->skip)
        {
          size_t n = c->inlen - pos < c->skip ? c->inlen - pos : c->skip ;
          pos += n ; c->skip -= n ;
          if (c->skip) break ;
        }
        crlf = memmem(c->in + pos, c->inlen - pos, "\r\n", 2) ;
        if (!crlf) break ;
        llen = crlf - (c->in + pos) ;
        {
          char const *line = c->in + pos ;
          int wascont = c->contline ;
          c->contline = 0 ;
          /* a literal {n} or {n+} at the end: n bytes follow, then the rest of the response */
          if (llen >= 3 && line[llen - 1] == '}')
          {
            size_t j = llen - 2 ;
            if (line[j] == '+') j-- ;
            while (j > 0 && line[j] >= '0' && line[j] <= '9') j-- ;
            if (line[j] == '{' && j < llen - 2)
            {
              c->skip = strtoull(line + j + 1, 0, 10) ;
              c->contline = 1 ;
            }
          }
          pos += llen + 2 ;
          if (!wascont && !on_line(c, line, llen, idle, noidle)) return 0 ;
        }
      }
      memmove(c->in, c->in + pos, c->inlen - pos) ;
      c->inlen -= pos ;
    }
  }
  return 1 ;
}

static int on_writable (conn *c)
{
  while (c->outpos < c->outlen || c->litlen)
  {
    ssize_t w ;
    if (c->outpos == c->outlen) c->outpos = c->outlen = 0 ;
    if (c->outpos < c->outlen) w = write(c->fd, c->out + c->outpos, c->outlen - c->outpos) ;
    else w = write(c->fd, c->lit, c->litlen) ;
    if (w < 0)
    {
      if (errno == EAGAIN) return 1 ;
      if (errno == EINTR) continue ;
      error_seen(c, "write", strerror(errno), strlen(strerror(errno))) ;
      return 0 ;
    }
    if (c->outpos < c->outlen) c->outpos += w ;
    else
    {
      c->lit += w ; c->litlen -= w ;
      if (!c->litlen) queue_out(c, "\r\n", 2) ;
    }
  }
  c->outpos = c->outlen = 0 ;
  return 1 ;
}

static int on_connected (conn *c)
{
  int e = 0 ;
  socklen_t l = sizeof e ;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l) ;
  if (e)
  {
    error_seen(c, "connect", strerror(e), strlen(strerror(e))) ;
    return 0 ;
  }
  c->phase = P_GREETING ;
  return 1 ;
}

static void make_append_body (void)
{
  size_t n ;
  n = (size_t)snprintf(appendbody, sizeof appendbody,
    "From: Alice Bench <alice@example.org>\r\n"
    "To: demo@example.test\r\n"
    "Subject: appended by imapload\r\n"
    "Date: Fri, 27 Nov 2026 12:00:00 +0000\r\n"
    "Message-ID: <imapload@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n") ;
  while (n + 66 < APPEND_SIZE)
  {
    memcpy(appendbody + n, "the quick brown fox jumps over the lazy dog, again and again.\r\n", 64) ;
    n += 64 ;
  }
  appendbody[n] = 0 ;
}

static void raise_fd_limit (unsigned int want)
{
  struct rlimit rl ;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return ;
  if (rl.rlim_cur < want + 16)
  {
    rl.rlim_cur = rl.rlim_max < want + 16 ? rl.rlim_max : want + 16 ;
    setrlimit(RLIMIT_NOFILE, &rl) ;
  }
}

static void usage (void)
{
  fputs("usage: imapload load -p PORT -u USER -w PASSWORD [-c SESSIONS] [-t SECONDS] [-r SEED]\n"
        "       imapload idle -p PORT -u USER -w PASSWORD -n CONNECTIONS [-N]\n", stderr) ;
  exit(100) ;
}

static int run_load (unsigned int nconn, double seconds)
{
  t_start = now() ;
  t_end = t_start + seconds ;
  for (unsigned int i = 0 ; i < nconn ; i++)
  {
    conns[i].fd = -1 ;
    conns[i].visit = i ;
    conn_open(&conns[i]) ;
  }
  for (;;)
  {
    double t = now() ;
    unsigned int live = 0 ;
    int r ;
    if (t > t_end && !stopping) stopping = 1 ;
    if (stopping && t > t_end + 10) break ;   /* the last commands in flight get 10 s */
    for (unsigned int i = 0 ; i < nconn ; i++)
    {
      conn *c = &conns[i] ;
      if (c->phase == P_FREE && !stopping && t >= c->not_before)
      {
        c->visit += nconn ;
        conn_open(c) ;
      }
      pfds[i].fd = c->fd ;
      pfds[i].events = c->phase == P_CONNECTING ? POLLOUT : POLLIN | (c->outlen || c->litlen ? POLLOUT : 0) ;
      pfds[i].revents = 0 ;
      if (c->fd >= 0) live++ ;
    }
    if (!live && stopping) break ;
    r = poll(pfds, nconn, 200) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      die("unable to poll: %s", strerror(errno)) ;
    }
    for (unsigned int i = 0 ; i < nconn ; i++)
    {
      conn *c = &conns[i] ;
      short ev = pfds[i].revents ;
      if (c->fd < 0 || !ev) continue ;
      if (c->phase == P_CONNECTING)
      {
        if (!on_connected(c)) conn_close(c) ;
        continue ;
      }
      if (ev & (POLLIN | POLLHUP | POLLERR))
        if (!on_readable(c, 0, 0)) { conn_close(c) ; continue ; }
      if (c->outlen || c->litlen)
        if (!on_writable(c)) { conn_close(c) ; continue ; }
    }
  }
  {
    double window = seconds ;
    printf("total sessions=%u seconds=%.2f ops=%lu ops_per_s=%.1f visits=%lu errors=%lu\n",
      nconn, window, ops, ops / window, visits, errors) ;
    for (unsigned int s = 0 ; s < S_NSTEPS ; s++)
      if (nops[s])
        printf("cmd name=%s n=%lu mean_ms=%.3f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
          step_name[s], nops[s], sum_ms[s] / nops[s], percentile(s, 0.5), percentile(s, 0.99), max_ms[s]) ;
  }
  return errors ? 1 : 0 ;
}

static int run_idle (unsigned int nconn, int noidle)
{
  unsigned int started = 0, ready = 0, ready_at_announce = 0 ;
  int announced = 0, eof = 0 ;
  double deadline_ready = now() + 60 + nconn * 0.2 ;
  double deadline_end = 0 ;
  t_start = now() ;
  t_end = 1e18 ;
  for (unsigned int i = 0 ; i < nconn ; i++) conns[i].fd = -1, conns[i].phase = P_FREE ;
  for (;;)
  {
    unsigned int busy = 0, live = 0 ;
    int r ;
    double t = now() ;
    ready = 0 ;
    for (unsigned int i = 0 ; i < started ; i++)
    {
      conn *c = &conns[i] ;
      if (c->phase == P_IDLING || c->phase == P_READY) ready++ ;
      else if (c->fd >= 0) busy++ ;
      if (c->fd >= 0) live++ ;
    }
    while (!eof && started < nconn && busy < 16)
    {
      conns[started].visit = started ;
      conn_open(&conns[started]) ;
      started++ ; busy++ ; live++ ;
    }
    if (!announced && started == nconn && !busy)
    {
      printf("ready n=%u errors=%lu\n", ready, errors) ;
      fflush(stdout) ;
      announced = 1 ;
      ready_at_announce = ready ;
    }
    if (!announced && t > deadline_ready)
    {
      printf("ready n=%u errors=%lu timeout=1\n", ready, errors) ;
      fflush(stdout) ;
      announced = 1 ;
      ready_at_announce = ready ;
    }
    if (eof && (!live || t > deadline_end)) break ;
    for (unsigned int i = 0 ; i < started ; i++)
    {
      conn *c = &conns[i] ;
      pfds[i].fd = c->fd ;
      pfds[i].events = c->phase == P_CONNECTING ? POLLOUT : POLLIN | (c->outlen ? POLLOUT : 0) ;
      pfds[i].revents = 0 ;
    }
    pfds[started].fd = announced && !eof ? 0 : -1 ;
    pfds[started].events = POLLIN ;
    pfds[started].revents = 0 ;
    r = poll(pfds, started + 1, 200) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      die("unable to poll: %s", strerror(errno)) ;
    }
    if (pfds[started].revents)
    {
      char buf[256] ;
      ssize_t n = read(0, buf, sizeof buf) ;
      if (n <= 0)
      {
        /* end: leave IDLE, log out */
        eof = 1 ;
        deadline_end = now() + 10 ;
        for (unsigned int i = 0 ; i < started ; i++)
        {
          conn *c = &conns[i] ;
          char cmd[64] ;
          int len = 0 ;
          if (c->fd < 0) continue ;
          if (c->phase != P_IDLING && c->phase != P_READY)
          {
            conn_close(c) ;   /* still logging in: no LOGOUT to send */
            continue ;
          }
          c->steps[0] = S_LOGOUT ; c->nsteps = 1 ; c->stepi = 0 ;
          if (c->phase == P_IDLING)
          {
            /* RFC 2177: DONE ends IDLE, the IDLE command's tagged OK follows, then LOGOUT */
            len = snprintf(cmd, sizeof cmd, "DONE\r\n") ;
            queue_out(c, cmd, len) ;
            c->cur = S_DONE_IDLE ;
            c->sent_at = now() ;
            c->phase = P_WAIT ;
          }
          else send_step(c) ;
        }
        t_end = 1e18 ;
      }
    }
    for (unsigned int i = 0 ; i < started ; i++)
    {
      conn *c = &conns[i] ;
      short ev = pfds[i].revents ;
      if (c->fd < 0 || !ev) continue ;
      if (c->phase == P_CONNECTING)
      {
        if (!on_connected(c)) conn_close(c) ;
        continue ;
      }
      if (ev & (POLLIN | POLLHUP | POLLERR))
        if (!on_readable(c, 1, noidle)) { conn_close(c) ; continue ; }
      if (c->outlen)
        if (!on_writable(c)) { conn_close(c) ; continue ; }
    }
  }
  fprintf(stderr, "imapload: idle: %u connections, %u ready, %lu errors\n", nconn, ready_at_announce, errors) ;
  return ready_at_announce < nconn || errors ? 1 : 0 ;
}

int main (int argc, char const *const *argv)
{
  char const *mode ;
  unsigned int port = 0, nconn = 10, nidle = 0 ;
  double seconds = 10 ;
  int noidle = 0 ;
  if (argc < 2) usage() ;
  mode = argv[1] ;
  for (int i = 2 ; i < argc ; i++)
  {
    char const *a = argv[i] ;
    if (!strcmp(a, "-N")) { noidle = 1 ; continue ; }
    if (i + 1 >= argc) usage() ;
    if (!strcmp(a, "-p")) port = atoi(argv[++i]) ;
    else if (!strcmp(a, "-u")) user = argv[++i] ;
    else if (!strcmp(a, "-w")) password = argv[++i] ;
    else if (!strcmp(a, "-c")) nconn = atoi(argv[++i]) ;
    else if (!strcmp(a, "-n")) nidle = atoi(argv[++i]) ;
    else if (!strcmp(a, "-t")) seconds = atof(argv[++i]) ;
    else if (!strcmp(a, "-r")) rng ^= strtoull(argv[++i], 0, 10) * 0x2545f4914f6cdd1dULL ;
    else usage() ;
  }
  if (!port || port > 65535 || !user || !password || strpbrk(user, "\"\\\r\n") || strpbrk(password, "\"\\\r\n")) usage() ;
  memset(&server, 0, sizeof server) ;
  server.sin_family = AF_INET ;
  server.sin_port = htons(port) ;
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK) ;
  make_append_body() ;
  if (!strcmp(mode, "load"))
  {
    if (!nconn || nconn > MAXCONN || seconds <= 0) usage() ;
    raise_fd_limit(nconn) ;
    return run_load(nconn, seconds) ;
  }
  if (!strcmp(mode, "idle"))
  {
    if (!nidle || nidle > MAXCONN) usage() ;
    raise_fd_limit(nidle) ;
    return run_idle(nidle, noidle) ;
  }
  usage() ;
  return 100 ;
}
