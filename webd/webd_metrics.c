/* ISC license. */

/* The metrics face (webd -m): GET /metrics in Prometheus' text
 * exposition format 0.0.4.
 *
 *   posthaste_messages_{received,delivered,deferred,bounced}_total,
 *   posthaste_auth_failures_total   counters from the logs (webd_logscan.h),
 *                                   counting from the metrics service's start
 *   posthaste_metrics_start_time_seconds   when they started
 *   posthaste_bans_active           live entries of bans.cdb
 *   posthaste_up{program="<service>"}   1 when s6-svstat says the service is up
 *   posthaste_queue_messages{state=}   queued's counts file,
 *                                   $PH_STATE/queue-stats/counts (docs/queue.md,
 *                                   "Queue counts"): the control socket admits
 *                                   root and phqueue only, the file anyone. */

#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/cdb.h>
#include <skalibs/direntry.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "webd.h"
#include "webd_logscan.h"

#define SERVICES_MAX 256
#define QUEUE_STATS_MAX 1024

extern char **environ ;

static void metric (stralloc *sa, char const *name, char const *type, char const *help)
{
  webd_cats(sa, "# HELP ") ; webd_cats(sa, name) ; webd_cats(sa, " ") ; webd_cats(sa, help) ; webd_cats(sa, "\n") ;
  webd_cats(sa, "# TYPE ") ; webd_cats(sa, name) ; webd_cats(sa, " ") ; webd_cats(sa, type) ; webd_cats(sa, "\n") ;
}

static void sample (stralloc *sa, char const *name, uint64_t v)
{
  webd_cats(sa, name) ; webd_cats(sa, " ") ; webd_catu(sa, v) ; webd_cats(sa, "\n") ;
}

/* Live bans: a value that is a decimal end time after now, or 0
 * (permanent); docs/internals.md, bans.cdb. -1 if unreadable. */
static long long bans_active (void)
{
  stralloc p = STRALLOC_ZERO ;
  char const *dir = config_get("PH_CDB_DIR") ;
  cdb c = CDB_ZERO ;
  cdb_data k, v ;
  uint32_t pos ;
  uint64_t now = (uint64_t)time(0) ;
  long long n = 0 ;
  if (!dir) return -1 ;
  webd_cats(&p, dir) ; webd_cats(&p, "/bans.cdb") ; webd_catb(&p, "", 1) ;
  if (!cdb_init(&c, p.s))
  {
    stralloc_free(&p) ;
    return errno == ENOENT ? 0 : -1 ;   /* no bans.cdb yet: no bans */
  }
  cdb_traverse_init(&pos) ;
  for (;;)
  {
    char num[21] ;
    uint64_t end ;
    int r = cdb_traverse_next(&c, &k, &v, &pos) ;
    if (r < 0) { n = -1 ; break ; }
    if (!r) break ;
    if (!v.len || v.len > 20) continue ;
    memcpy(num, v.s, v.len) ;
    num[v.len] = 0 ;
    if (!uint640_scan(num, &end)) continue ;
    if (!end || end > now) n++ ;
  }
  cdb_free(&c) ;
  stralloc_free(&p) ;
  return n ;
}

/* "true" from s6-svstat -o up DIR: 1, else 0. */
static int service_up (char const *dir)
{
  char const *argv[5] = { "s6-svstat", "-o", "up", dir, 0 } ;
  char out[16] ;
  size_t w = 0 ;
  int fd, wstat ;
  tain deadline ;
  pid_t pid = child_spawn1_pipe(argv[0], argv, (char const *const *)environ, &fd, 1) ;
  if (!pid) return 0 ;
  tain_now_g() ;
  tain_addsec_g(&deadline, 2) ;
  ndelay_on(fd) ;
  while (w < sizeof(out) - 1)
  {
    iopause_fd x = { .fd = fd, .events = IOPAUSE_READ, .revents = 0 } ;
    ssize_t r = fd_read(fd, out + w, sizeof(out) - 1 - w) ;
    if (r > 0) { w += (size_t)r ; continue ; }
    if (!r || (errno != EAGAIN && errno != EWOULDBLOCK)) break ;
    if (iopause_g(&x, 1, &deadline) <= 0) { kill(pid, SIGKILL) ; break ; }
  }
  fd_close(fd) ;
  waitpid_nointr(pid, &wstat, 0) ;
  out[w] = 0 ;
  return !strncmp(out, "true", 4) ;
}

static void up_metrics (stralloc *sa)
{
  stralloc tmp = STRALLOC_ZERO, p = STRALLOC_ZERO ;
  char const *dir = config_get("PH_SERVICE_DIR") ;
  char names[SERVICES_MAX][64] ;
  unsigned int n = 0 ;
  DIR *d ;
  if (!dir)
  {
    char const *state = config_get("PH_STATE") ;
    if (!state) strerr_dienotset(100, "PH_STATE") ;
    webd_cats(&tmp, state) ; webd_cats(&tmp, "/service") ; webd_catb(&tmp, "", 1) ;
    dir = tmp.s ;
  }
  d = opendir(dir) ;
  if (!d) { webd_cats(sa, "# posthaste_up: the scan directory cannot be read\n") ; stralloc_free(&tmp) ; return ; }
  for (;;)
  {
    struct dirent *de = readdir(d) ;
    size_t len ;
    if (!de) break ;
    len = strlen(de->d_name) ;
    if (de->d_name[0] == '.' || len >= 64 || n >= SERVICES_MAX) continue ;
    for (size_t i = 0 ; i < len ; i++)
    {
      char c = de->d_name[i] ;
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) goto skip ;
    }
    memcpy(names[n++], de->d_name, len + 1) ;
   skip: ;
  }
  dir_close(d) ;
  /* sorted, so the exposition is stable */
  for (unsigned int i = 1 ; i < n ; i++)
    for (unsigned int j = i ; j && strcmp(names[j-1], names[j]) > 0 ; j--)
    {
      char t[64] ;
      memcpy(t, names[j], 64) ; memcpy(names[j], names[j-1], 64) ; memcpy(names[j-1], t, 64) ;
    }
  metric(sa, "posthaste_up", "gauge", "1 when the service's program is up (s6-svstat), 0 when not.") ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    p.len = 0 ;
    webd_cats(&p, dir) ; webd_cats(&p, "/") ; webd_cats(&p, names[i]) ; webd_catb(&p, "", 1) ;
    webd_cats(sa, "posthaste_up{program=\"") ; webd_cats(sa, names[i]) ; webd_cats(sa, "\"} ") ;
    webd_cats(sa, service_up(p.s) ? "1\n" : "0\n") ;
  }
  stralloc_free(&tmp) ;
  stralloc_free(&p) ;
}

/* queued's counts file (docs/queue.md, "Queue counts"): lines
 * "<state> <count>", state [a-z]{1,16}, count decimal. Bounded: regular
 * file only, no symlink followed, 1 KiB read once. Samples are added to
 * sa as they parse; 0 with *why when the file cannot be used (nothing
 * added). */
static int queue_messages (stralloc *sa, char const **why)
{
  stralloc p = STRALLOC_ZERO, out = STRALLOC_ZERO ;
  char const *state = config_get("PH_STATE") ;
  char buf[QUEUE_STATS_MAX + 1] ;
  struct stat st ;
  ssize_t r ;
  size_t i = 0 ;
  int fd, ok = 0 ;
  *why = "PH_STATE is not set" ;
  if (!state) return 0 ;
  webd_cats(&p, state) ; webd_cats(&p, "/queue-stats/counts") ; webd_catb(&p, "", 1) ;
  fd = open(p.s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) ;
  stralloc_free(&p) ;
  if (fd < 0) { *why = errno == ENOENT ? "queued has not written queue-stats/counts" : "queue-stats/counts cannot be opened" ; return 0 ; }
  *why = "queue-stats/counts is not a regular file" ;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) goto end ;
  *why = "queue-stats/counts cannot be read" ;
  r = fd_read(fd, buf, sizeof(buf)) ;
  if (r < 0) goto end ;
  *why = "queue-stats/counts is malformed" ;
  if ((size_t)r > QUEUE_STATS_MAX) goto end ;
  while (i < (size_t)r)
  {
    char const *lf = memchr(buf + i, '\n', (size_t)r - i) ;
    size_t e, sp, n = 0 ;
    uint64_t v ;
    if (!lf) goto end ;
    e = (size_t)(lf - buf) ;
    for (sp = i ; sp < e && buf[sp] >= 'a' && buf[sp] <= 'z' ; sp++) ;
    if (sp == i || sp - i > 16 || sp >= e || buf[sp] != ' ') goto end ;
    buf[e] = 0 ;
    n = uint64_scan(buf + sp + 1, &v) ;
    if (!n || sp + 1 + n != e) goto end ;
    webd_cats(&out, "posthaste_queue_messages{state=\"") ; webd_catb(&out, buf + i, sp - i) ;
    webd_cats(&out, "\"} ") ; webd_catu(&out, v) ; webd_cats(&out, "\n") ;
    i = e + 1 ;
  }
  if (!out.len) goto end ;
  metric(sa, "posthaste_queue_messages", "gauge", "Messages in the queue with recipients pending, by state (queued's queue-stats/counts; total is all of them).") ;
  webd_catb(sa, out.s, out.len) ;
  ok = 1 ;
 end:
  fd_close(fd) ;
  stralloc_free(&out) ;
  return ok ;
}

void webd_metrics (webd_req const *q, webd_response *resp)
{
  static char const *const help[WC_N] =
  {
    "Messages taken into the queue (queued-inject) since the metrics service started.",
    "Recipients delivered (locally or to another host) since the metrics service started.",
    "Delivery attempts deferred (temporary failures) since the metrics service started.",
    "Recipients that failed permanently (bounced) since the metrics service started.",
    "Failed logins (authd) since the metrics service started."
  } ;
  static char const *const names[WC_N] =
  {
    "posthaste_messages_received_total", "posthaste_messages_delivered_total",
    "posthaste_messages_deferred_total", "posthaste_messages_bounced_total",
    "posthaste_auth_failures_total"
  } ;
  stralloc *sa = &resp->body ;
  webd_counts c ;
  long long bans ;
  char const *why ;
  size_t plen = q->r->pathlen ;
  char const *path = q->head + q->r->path ;
  if (q->r->method == HTTP_OTHER) { webd_error(resp, 501) ; return ; }
  if (!((plen == 8 && !memcmp(path, "/metrics", 8)) || (plen == 1 && path[0] == '/'))) { webd_error(resp, 404) ; return ; }
  if (q->r->method == HTTP_POST) { webd_error(resp, 405) ; resp->allow = "GET, HEAD" ; return ; }
  if (!webd_logscan(&c))
  {
    strerr_warnwu1sys("read or write the metrics state") ;
    webd_error(resp, 503) ;
    return ;
  }
  resp->status = 200 ;
  resp->ctype = "text/plain; version=0.0.4; charset=utf-8" ;
  for (unsigned int i = 0 ; i < WC_N ; i++)
  {
    metric(sa, names[i], "counter", help[i]) ;
    sample(sa, names[i], c.count[i]) ;
  }
  metric(sa, "posthaste_metrics_start_time_seconds", "gauge", "Unix time the counters started from (the metrics service's start).") ;
  sample(sa, "posthaste_metrics_start_time_seconds", c.since) ;
  bans = bans_active() ;
  if (bans >= 0)
  {
    metric(sa, "posthaste_bans_active", "gauge", "Addresses or networks banned now (bans.cdb).") ;
    sample(sa, "posthaste_bans_active", (uint64_t)bans) ;
  }
  else webd_cats(sa, "# posthaste_bans_active: bans.cdb cannot be read\n") ;
  if (!queue_messages(sa, &why))
  { webd_cats(sa, "# posthaste_queue_messages: unavailable: ") ; webd_cats(sa, why) ; webd_cats(sa, "\n") ; }
  up_metrics(sa) ;
}

void webd_metrics_zero (void)
{
  webd_logscan_zero() ;
}
