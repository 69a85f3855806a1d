/* ISC license. */

/* webd: the small web face of the mail server, a UCSPI program, one
 * process per connection, one request per connection.
 *
 *   tcpd ... 443 tlsd -i -U -- webd     MTA-STS policy, autoconfig, autodiscover
 *   tcpd ... 80 webd                    autoconfig, autodiscover (MTA-STS needs HTTPS)
 *   tcpd ... 127.0.0.1 9xxx webd -m     Prometheus metrics, loopback only
 *
 * Security: runs as phweb, which owns nothing but $PH_STATE/metrics
 * (the metrics face's offsets and counters). It trusts its environment,
 * $PH_ENVFILE and domains.cdb (the admin's), and for the metrics face
 * the logs it reads (written by the daemons through s6-log). It trusts
 * nothing the client sends: the request head is read under a 10-second
 * deadline into a fixed buffer (request line 8 KiB, fields 32 KiB, 100
 * fields: http_request.c, fuzzed by tests/fuzz/http_request.c), a POST
 * body only with a Content-Length of at most 64 KiB, and only GET, HEAD
 * and POST are served. It reads no key (tlsd holds the certificate's),
 * no password, no mail. A compromise gives what phweb can read: the
 * configuration that every local user can read, and (metrics face) the
 * logs, which name addresses and users; and the power to serve wrong
 * autoconfig answers or a wrong MTA-STS policy (which could only weaken
 * the TLS that senders insist on, not read mail). */

#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/log.h"
#include "http_request.h"
#include "webd.h"

#define USAGE "webd [ -m [ -z ] ] [ -t seconds ]"
#define dieusage() strerr_dieusage(100, USAGE)

static char buf[HTTP_HEAD_MAX + WEBD_BODY_MAX] ;

/* Reads more bytes into buf[*len..max) before the deadline: 1 got some,
 * 0 EOF, -1 timeout; dies 111 on an error. */
static int read_more (size_t *len, size_t max, tain const *deadline)
{
  for (;;)
  {
    iopause_fd x = { .fd = 0, .events = IOPAUSE_READ, .revents = 0 } ;
    ssize_t r = fd_read(0, buf + *len, max - *len) ;
    if (r > 0) { *len += (size_t)r ; return 1 ; }
    if (!r) return 0 ;
    if (!error_isagain(errno))
    {
      if (errno == ECONNRESET) return 0 ;
      strerr_diefu1sys(111, "read from the client") ;
    }
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0) strerr_diefu1sys(111, "iopause") ;
    if (!r) return -1 ;
  }
}

static void write_all (char const *s, size_t len, tain const *deadline)
{
  while (len)
  {
    iopause_fd x = { .fd = 1, .events = IOPAUSE_WRITE, .revents = 0 } ;
    ssize_t w = fd_write(1, s, len) ;
    if (w > 0) { s += w ; len -= (size_t)w ; continue ; }
    if (w < 0 && !error_isagain(errno)) strerr_diefu1sys(111, "write to the client") ;
    w = iopause_g(&x, 1, deadline) ;
    if (w < 0) strerr_diefu1sys(111, "iopause") ;
    if (!w) strerr_dief1x(99, "timed out writing to the client") ;
  }
}

static void http_date (char *out, size_t max)
{
  time_t t = time(0) ;
  struct tm tm ;
  if (!gmtime_r(&t, &tm) || !strftime(out, max, "%a, %d %b %Y %H:%M:%S GMT", &tm)) out[0] = 0 ;
}

/* The response: status line, fields, body (none for HEAD); the
 * connection ends after it (RFC 9112 §9.6). */
static void respond (webd_response *resp, int method, tain const *deadline)
{
  stralloc out = STRALLOC_ZERO ;
  char date[64] ;
  http_date(date, sizeof(date)) ;
  webd_cats(&out, "HTTP/1.1 ") ; webd_catu(&out, resp->status) ; webd_cats(&out, " ") ;
  webd_cats(&out, webd_reason(resp->status)) ; webd_cats(&out, "\r\n") ;
  if (date[0]) { webd_cats(&out, "Date: ") ; webd_cats(&out, date) ; webd_cats(&out, "\r\n") ; }
  webd_cats(&out, "Server: posthaste-webd\r\nConnection: close\r\nCache-Control: no-store\r\n") ;
  webd_cats(&out, "X-Content-Type-Options: nosniff\r\n") ;
  if (resp->allow) { webd_cats(&out, "Allow: ") ; webd_cats(&out, resp->allow) ; webd_cats(&out, "\r\n") ; }
  webd_cats(&out, "Content-Type: ") ;
  webd_cats(&out, resp->ctype ? resp->ctype : "text/plain; charset=utf-8") ;
  webd_cats(&out, "\r\nContent-Length: ") ; webd_catu(&out, resp->body.len) ; webd_cats(&out, "\r\n\r\n") ;
  if (method != HTTP_HEAD) webd_catb(&out, resp->body.s, resp->body.len) ;
  write_all(out.s, out.len, deadline) ;
  stralloc_free(&out) ;
}

static void log_request (http_request const *r, char const *head, unsigned int status, size_t bytes, char const *why)
{
  logline l ;
  log_begin(&l, "request") ;
  log_kv(&l, "ip", getenv("TCPREMOTEIP")) ;
  if (r && r->method)
  {
    static char const *const names[] = { "-", "GET", "HEAD", "POST", "other" } ;
    log_kv(&l, "method", names[r->method]) ;
    log_kv(&l, "host", r->host) ;
    log_kvn(&l, "path", head + r->path, r->pathlen > 200 ? 200 : r->pathlen) ;
  }
  log_kvu(&l, "status", status) ;
  log_kvu(&l, "bytes", bytes) ;
  if (why) log_kv(&l, "reason", why) ;
  log_commit(&l) ;
}

int main (int argc, char const *const *argv)
{
  static http_request req ;
  webd_response resp = WEBD_RESPONSE_ZERO ;
  webd_req wr ;
  tain deadline ;
  unsigned int timeout = 10, status = 0 ;
  int metrics = 0, zero = 0 ;
  size_t len = 0 ;
  long headlen = 0 ;
  PROG = "webd" ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "mzt:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'm' : metrics = 1 ; break ;
        case 'z' : zero = 1 ; break ;
        case 't' : if (!uint0_scan(l.arg, &timeout) || !timeout || timeout > 300) dieusage() ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (argc || (zero && !metrics)) dieusage() ;
  config_load() ;
  if (zero) { webd_metrics_zero() ; return 0 ; }

  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, timeout) ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "make the client's fds non-blocking") ;

  /* the head */
  for (;;)
  {
    int r ;
    headlen = http_head_end(buf, len, &status) ;
    if (headlen) break ;
    r = read_more(&len, HTTP_HEAD_MAX, &deadline) ;
    if (!r)
    {
      if (len) log_request(0, buf, 400, 0, "eof") ;
      return 0 ;
    }
    if (r < 0) { status = 408 ; break ; }
  }
  if (!status) http_request_parse(&req, buf, (size_t)headlen, &status) ;   /* status 0 when it parses */
  if (!status && req.method == HTTP_POST)
  {
    if (!req.has_length) status = 411 ;
    else if (req.content_length > WEBD_BODY_MAX) status = 413 ;
    else
    {
      size_t want = (size_t)headlen + (size_t)req.content_length ;
      while (len < want)
      {
        int r = read_more(&len, want, &deadline) ;
        if (r <= 0) { status = r ? 408 : 400 ; break ; }
      }
    }
  }
  if (status)
  {
    webd_error(&resp, status) ;
    tain_addsec_g(&deadline, timeout) ;
    respond(&resp, HTTP_GET, &deadline) ;
    log_request(req.method ? &req : 0, buf, status, resp.body.len, "bad_request") ;
    return 0 ;
  }

  wr.r = &req ;
  wr.head = buf ;
  wr.body = buf + headlen ;
  wr.bodylen = req.method == HTTP_POST ? (size_t)req.content_length : 0 ;
  wr.tls = !!getenv("SSL_PROTOCOL") ;
  if (metrics) webd_metrics(&wr, &resp) ; else webd_route(&wr, &resp) ;
  tain_now_g() ;
  tain_addsec_g(&deadline, timeout) ;
  respond(&resp, req.method, &deadline) ;
  log_request(&req, buf, resp.status, req.method == HTTP_HEAD ? 0 : resp.body.len, 0) ;
  stralloc_free(&resp.body) ;
  return 0 ;
}
