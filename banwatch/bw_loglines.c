/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>

#include <skalibs/buffer.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/banevent.h"
#include "common/log.h"
#include "banwatch.h"

/* banwatch -l rules.conf: the face for outside programs' logs. Reads
 * lines on stdin (a pipe from s6-log, tail -F, a syslog program), each
 * at most 4096 bytes (longer ones are skipped), matches them against the
 * rules and sends an event for each match to the daemon's socket. A
 * full socket is retried for a moment (the log must not be lost to a
 * burst), then the event is dropped and counted. */

#define LINE_MAX_BYTES 4096
#define SEND_TRIES 200
#define SEND_PAUSE_NS 5000000L

int bw_rules_load (char const *path)
{
  stralloc sa = STRALLOC_ZERO ;
  size_t i = 0 ;
  unsigned int lineno = 0 ;
  if (!openslurpclose(&sa, path)) strerr_diefu2sys(111, "read ", path) ;
  if (!stralloc_0(&sa)) strerr_diefu1sys(111, "allocate memory") ;
  while (i < sa.len - 1)
  {
    size_t end = i + byte_chr(sa.s + i, sa.len - 1 - i, '\n') ;
    char const *why ;
    char *line = sa.s + i ;
    lineno++ ;
    sa.s[end] = 0 ;
    i = end + 1 ;
    while (*line == ' ' || *line == '\t') line++ ;
    if (!*line || *line == '#') continue ;
    if (!bw_rules_add(line, &why))
    {
      char fmt[UINT_FMT] ;
      fmt[uint_fmt(fmt, lineno)] = 0 ;
      strerr_dief6x(100, path, ":", fmt, ": ", why, "") ;
    }
  }
  stralloc_free(&sa) ;
  return 1 ;
}

static int send_retrying (char const *sock, char const *line, size_t len)
{
  for (unsigned int i = 0 ; i < SEND_TRIES ; i++)
  {
    struct timespec pause = { .tv_sec = 0, .tv_nsec = SEND_PAUSE_NS } ;
    if (banevent_sendto(sock, line, len)) return 1 ;
    if (errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED && errno != ENOENT) return 0 ;
    nanosleep(&pause, 0) ;
  }
  return 0 ;
}

/* One line into buf (LINE_MAX_BYTES, NUL-terminated, without its
 * '\n'). Returns 1, 0 at the end of input, 2 for a line too long (read
 * to its end and skipped). Reads byte by byte from the buffer: cheap. */
static int read_line (char *buf, size_t *len)
{
  size_t n = 0 ;
  int toolong = 0 ;
  for (;;)
  {
    char c ;
    ssize_t r = buffer_get(buffer_0, &c, 1) ;
    if (r < 0) strerr_diefu1sys(111, "read stdin") ;
    if (!r) { if (!n && !toolong) return 0 ; break ; }
    if (c == '\n') break ;
    if (n < LINE_MAX_BYTES - 1) buf[n++] = c ; else toolong = 1 ;
  }
  buf[n] = 0 ;
  *len = n ;
  return toolong ? 2 : 1 ;
}

int bw_loglines_main (char const *rulespath, char const *sock)
{
  static char line[LINE_MAX_BYTES] ;
  uint64_t matched = 0, dropped = 0 ;
  bw_rules_load(rulespath) ;
  for (;;)
  {
    size_t len ;
    char ev[BANEVENT_MAX] ;
    size_t n ;
    int r = read_line(line, &len) ;
    if (!r) break ;
    if (r == 2 || memchr(line, 0, len)) continue ;
    n = bw_rules_match(line, ev) ;
    if (!n) continue ;
    matched++ ;
    if (!send_retrying(sock, ev, n + 1)) dropped++ ;
  }
  {
    logline l ;
    log_begin(&l, "loglines_end") ;
    log_kvu(&l, "matched", matched) ;
    log_kvu(&l, "dropped", dropped) ;
    log_commit(&l) ;
  }
  return 0 ;
}
