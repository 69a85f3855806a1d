/* ISC license. */

/* common/byeline: the goodbye line, written into a real pipe through a
 * skalibs buffer on its non-blocking write end, read back on the other
 * end; and the two ways a client can fail to take it (gone, or not
 * reading: given up after 5 s). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>

#include "common/byeline.h"
#include "tests/unit/check.h"

static int pipes[2] ;
static char space[2048] ;
static buffer out ;

static void open_pipe (size_t bufsize)
{
  if (pipe(pipes) < 0 || ndelay_on(pipes[1]) < 0) { perror("pipe") ; _exit(111) ; }
  if (!buffer_init(&out, &buffer_write, pipes[1], space, bufsize)) { perror("buffer_init") ; _exit(111) ; }
}

/* closes the write end and reads everything the pipe holds */
static size_t drain (char *s, size_t max)
{
  size_t len = 0 ;
  ssize_t r ;
  close(pipes[1]) ;
  while (len < max && (r = read(pipes[0], s + len, max - len)) > 0) len += r ;
  close(pipes[0]) ;
  return len ;
}

static double now (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return ts.tv_sec + ts.tv_nsec / 1e9 ;
}

int main (void)
{
  char got[4096], text[700] ;
  size_t n ;
  PROG = "byeline-test" ;
  /* as in the servers that call it: a gone client is EPIPE, not death */
  signal(SIGPIPE, SIG_IGN) ;

  open_pipe(1024) ;
  byeline_send(&out, "* BYE ", "Autologout; idle for too long") ;
  n = drain(got, sizeof(got)) ;
  CHECK(n == 37 && !memcmp(got, "* BYE Autologout; idle for too long\r\n", 37), "prefix, text and CRLF written") ;

  open_pipe(1024) ;
  buffer_puts(&out, "a1 NO refused\r\n") ;
  byeline_send(&out, "-ERR ", "too many errors") ;
  n = drain(got, sizeof(got)) ;
  CHECK(n == 15 + 22 && !memcmp(got, "a1 NO refused\r\n-ERR too many errors\r\n", n), "what out already held goes first") ;

  open_pipe(1024) ;
  byeline_send(&out, "* BYE ", "") ;
  n = drain(got, sizeof(got)) ;
  CHECK(n == 8 && !memcmp(got, "* BYE \r\n", 8), "an empty text: prefix and CRLF") ;

  memset(text, 't', sizeof(text) - 1) ;
  text[sizeof(text) - 1] = 0 ;
  open_pipe(1024) ;
  byeline_send(&out, "-ERR ", text) ;
  n = drain(got, sizeof(got)) ;
  CHECK(n == BYELINE_MAX && !memcmp(got, "-ERR ", 5) && strspn(got + 5, "t") == BYELINE_MAX - 7 && !memcmp(got + BYELINE_MAX - 2, "\r\n", 2),
    "a long text is cut: BYELINE_MAX bytes, CRLF kept") ;

  open_pipe(1024) ;
  byeline_send(&out, text, "never seen") ;
  n = drain(got, sizeof(got)) ;
  CHECK(n == BYELINE_MAX && strspn(got, "t") == BYELINE_MAX - 2 && !memcmp(got + BYELINE_MAX - 2, "\r\n", 2), "a prefix too long is cut too, CRLF kept") ;

  /* a buffer smaller than the line: flushed as it goes */
  open_pipe(64) ;
  byeline_send(&out, "-ERR ", text) ;
  n = drain(got, sizeof(got)) ;
  CHECK(n == BYELINE_MAX && !memcmp(got + BYELINE_MAX - 2, "\r\n", 2), "the whole line through a 64-byte buffer") ;

  {
    /* the client gone: returns at once */
    double t ;
    open_pipe(1024) ;
    close(pipes[0]) ;
    t = now() ;
    byeline_send(&out, "* BYE ", "bye") ;
    t = now() - t ;
    close(pipes[1]) ;
    /* well below the 5 s a stalled reader gets: it did not wait */
    CHECK(t < 4.0, "reader gone: returns without waiting") ;
  }

  {
    /* the client not reading: the pipe is full, given up after 5 s */
    double t ;
    char fill[4096] ;
    memset(fill, 'f', sizeof(fill)) ;
    open_pipe(1024) ;
    while (write(pipes[1], fill, sizeof(fill)) > 0) ;
    if (errno != EAGAIN) { perror("fill") ; _exit(111) ; }
    t = now() ;
    byeline_send(&out, "* BYE ", "bye") ;
    t = now() - t ;
    close(pipes[0]) ;
    close(pipes[1]) ;
    /* at least the deadline; the upper bound only catches a hang (a
     * loaded machine may be slow to wake the process) */
    if (t < 4.5 || t > 60.0) printf("# waited %.2f s\n", t) ;
    CHECK(t >= 4.5 && t <= 60.0, "reader not reading: gives up after 5 s, does not hang") ;
  }
  return check_done() ;
}
