/* ISC license. */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/tai.h>

#include "common/lineio.h"
#include "tests/unit/check.h"

/* A socketpair: the test writes into sv[1], lineio reads sv[0] (non-
 * blocking) through a skalibs buffer whose size each case chooses. */

static int sv[2] ;
static char bufspace[9000] ;
static buffer b ;

static void setup (size_t bufsize)
{
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) { perror("socketpair") ; exit(111) ; }
  if (ndelay_on(sv[0]) < 0) { perror("ndelay_on") ; exit(111) ; }
  buffer_init(&b, &buffer_read, sv[0], bufspace, bufsize) ;
}

static void teardown (void)
{
  close(sv[0]) ;
  if (sv[1] >= 0) close(sv[1]) ;
}

static void feed (char const *s, size_t len)
{
  if (write(sv[1], s, len) != (ssize_t)len) { perror("write") ; exit(111) ; }
}

static void deadline_in (tain *d, unsigned int ms)
{
  tain t ;
  tain_now_g() ;
  tain_from_millisecs(&t, ms) ;
  tain_add_g(d, &t) ;
}

static int get (char *line, size_t max, size_t *len, unsigned int *flags, unsigned int ms)
{
  tain d ;
  deadline_in(&d, ms) ;
  return lineio_get(&b, line, max, len, flags, &d) ;
}

static int got (char const *want, size_t wantlen, unsigned int wantflags, size_t max)
{
  char line[9000] ;
  size_t len = 999 ;
  unsigned int flags = 999 ;
  int r = get(line, max, &len, &flags, 1000) ;
  if (r != 1 || len != wantlen || memcmp(line, want, len) || line[len] || flags != wantflags)
  {
    printf("# r=%d errno=%d len=%zu flags=%u\n", r, errno, len, flags) ;
    return 0 ;
  }
  return 1 ;
}

static int fails (int wanterrno, size_t max, unsigned int ms)
{
  char line[9000] ;
  size_t len = 999 ;
  unsigned int flags = 999 ;
  int r ;
  errno = 0 ;
  r = get(line, max, &len, &flags, ms) ;
  if (r != -1 || errno != wanterrno || len != 0)
  {
    printf("# r=%d errno=%d len=%zu\n", r, errno, len) ;
    return 0 ;
  }
  return 1 ;
}

int main (void)
{
  signal(SIGPIPE, SIG_IGN) ;
  tain_now_set_stopwatch_g() ;

  setup(sizeof(bufspace)) ;
  feed("EHLO client.example\r\n", 21) ;
  CHECK(got("EHLO client.example", 19, LINEIO_CRLF, 512), "lineio CRLF line") ;
  feed("MAIL FROM:<a@b>\n", 16) ;
  CHECK(got("MAIL FROM:<a@b>", 15, 0, 512), "lineio bare LF line has no CRLF flag") ;
  feed("a\rb\r\n", 5) ;
  CHECK(got("a\rb", 3, LINEIO_CRLF | LINEIO_BARECR, 512), "lineio bare CR inside the line") ;
  feed("ab\r\r\n", 5) ;
  CHECK(got("ab\r", 3, LINEIO_CRLF | LINEIO_BARECR, 512), "lineio CR CR LF: one bare CR then CRLF") ;
  feed("x\r\ry\n", 5) ;
  CHECK(got("x\r\ry", 4, LINEIO_BARECR, 512), "lineio two bare CRs, LF end") ;
  feed("a\0b\r\n", 5) ;
  CHECK(got("a\0b", 3, LINEIO_CRLF | LINEIO_NUL, 512), "lineio NUL byte flagged and kept") ;
  feed("\r\n", 2) ;
  CHECK(got("", 0, LINEIO_CRLF, 512), "lineio empty CRLF line") ;
  feed("\n", 1) ;
  CHECK(got("", 0, 0, 512), "lineio empty LF line") ;

  /* Length limits: max counts the NUL, so max-1 content bytes fit. */
  feed("1234567\r\n", 9) ;
  CHECK(got("1234567", 7, LINEIO_CRLF, 8), "lineio line of max-1 bytes fits") ;
  feed("12345678\r\nNEXT\r\n", 16) ;
  CHECK(fails(ERANGE, 8, 1000), "lineio line of max bytes is ERANGE") ;
  CHECK(got("NEXT", 4, LINEIO_CRLF, 8), "lineio after ERANGE the next line is intact") ;
  feed("1234567\rx\r\nAFTER\r\n", 18) ;
  CHECK(fails(ERANGE, 8, 1000), "lineio bare CR past the limit is ERANGE") ;
  CHECK(got("AFTER", 5, LINEIO_CRLF, 8), "lineio after bare-CR ERANGE") ;
  feed("1234567\r", 8) ;
  feed("\n", 1) ;
  CHECK(got("1234567", 7, LINEIO_CRLF, 8), "lineio CRLF split across reads at the limit") ;
  {
    char line[4] ;
    size_t len ;
    unsigned int flags ;
    tain d ;
    deadline_in(&d, 100) ;
    errno = 0 ;
    CHECK(lineio_get(&b, line, 0, &len, &flags, &d) == -1 && errno == EINVAL, "lineio max 0 is EINVAL") ;
  }

  /* Timeouts. */
  {
    tain start, end ;
    tain_now_g() ;
    start = STAMP ;
    CHECK(fails(ETIMEDOUT, 512, 150), "lineio timeout with no input") ;
    tain_now_g() ;
    end = STAMP ;
    tain_sub(&end, &end, &start) ;
    CHECK(tain_to_millisecs(&end) >= 140 && tain_to_millisecs(&end) < 1000, "lineio timeout waits for the deadline") ;
  }
  feed("partial", 7) ;
  CHECK(fails(ETIMEDOUT, 512, 100), "lineio timeout in the middle of a line") ;
  feed("\r\n", 2) ;
  CHECK(got("", 0, LINEIO_CRLF, 512), "lineio the bytes read before a timeout are gone") ;
  {
    /* The discard after ERANGE is bounded by the deadline too. */
    static char longline[3000] ;
    memset(longline, 'x', sizeof(longline)) ;
    feed(longline, sizeof(longline)) ;
    CHECK(fails(ETIMEDOUT, 512, 100), "lineio over-long line without LF times out") ;
    feed("\r\n", 2) ;
    CHECK(got("", 0, LINEIO_CRLF, 512), "lineio after a timed-out discard the rest reads as a new line") ;
    feed(longline, sizeof(longline)) ;
    feed("\r\nOK\r\n", 6) ;
    CHECK(fails(ERANGE, 512, 1000), "lineio over-long line is ERANGE") ;
    CHECK(got("OK", 2, LINEIO_CRLF, 512), "lineio line after a long discard") ;
    {
      /* The discard waits for the LF that a slow peer sends later. */
      pid_t pid ;
      int status ;
      feed(longline, sizeof(longline)) ;
      pid = fork() ;
      if (pid < 0) return 111 ;
      if (!pid)
      {
        usleep(100000) ;
        feed(longline, sizeof(longline)) ;
        usleep(100000) ;
        feed("\nLATE\r\n", 7) ;
        _exit(0) ;
      }
      CHECK(fails(ERANGE, 512, 3000), "lineio discard waits for a late LF") ;
      CHECK(got("LATE", 4, LINEIO_CRLF, 512), "lineio line after a late LF") ;
      waitpid(pid, &status, 0) ;
    }
  }
  {
    /* Data already buffered is returned even when the deadline passed. */
    char line[16] ;
    size_t len ;
    unsigned int flags ;
    tain past ;
    feed("ONE\r\nTWO\r\n", 10) ;
    CHECK(got("ONE", 3, LINEIO_CRLF, 16), "lineio first of two pipelined lines") ;
    CHECK(lineio_pending(&b), "lineio_pending sees the second line") ;
    tain_now_g() ;
    past = STAMP ;
    CHECK(lineio_get(&b, line, 16, &len, &flags, &past) == 1 && len == 3 && !memcmp(line, "TWO", 3), "lineio buffered line returned after the deadline") ;
    CHECK(!lineio_pending(&b), "lineio_pending false when drained") ;
    feed("A\r\nB\r\nC\r\n", 9) ;
    CHECK(got("A", 1, LINEIO_CRLF, 16), "lineio get before discard") ;
    lineio_discard(&b) ;
    CHECK(!lineio_pending(&b), "lineio_discard empties the buffer") ;
    feed("D\r\n", 3) ;
    CHECK(got("D", 1, LINEIO_CRLF, 16), "lineio discarded lines are gone") ;
  }

  /* EOF. */
  feed("abc", 3) ;
  close(sv[1]) ; sv[1] = -1 ;
  CHECK(fails(EPIPE, 512, 1000), "lineio EOF mid-line is EPIPE") ;
  {
    char line[16] ;
    size_t len = 5 ;
    unsigned int flags ;
    CHECK(get(line, 16, &len, &flags, 1000) == 0 && len == 0, "lineio EOF at a line boundary returns 0") ;
  }
  teardown() ;

  setup(sizeof(bufspace)) ;
  feed("1234567890", 10) ;
  close(sv[1]) ; sv[1] = -1 ;
  CHECK(fails(EPIPE, 4, 1000), "lineio EOF while discarding an over-long line is EPIPE") ;
  teardown() ;

  /* A tiny buffer (3 usable bytes) forces many fills, wraps the circular
   * buffer and splits CR from LF between fills. */
  setup(4) ;
  feed("ab\r\nlonger line than the buffer\r\nc\rd\n", 37) ;
  CHECK(got("ab", 2, LINEIO_CRLF, 512), "lineio small buffer CR LF split") ;
  CHECK(got("longer line than the buffer", 27, LINEIO_CRLF, 512), "lineio line longer than the buffer") ;
  CHECK(got("c\rd", 3, LINEIO_BARECR, 512), "lineio small buffer bare CR") ;
  {
    unsigned int i ;
    int ok = 1 ;
    for (i = 0 ; i < 200 ; i++)
    {
      char s[32] ;
      int n = snprintf(s, sizeof(s), "line %u\r\n", i) ;
      feed(s, n) ;
      if (!got(s, n - 2, LINEIO_CRLF, 32)) { ok = 0 ; break ; }
    }
    CHECK(ok, "lineio 200 lines through a wrapping buffer") ;
  }
  teardown() ;

  /* Writing: lineio_put / lineio_puts / lineio_flush. */
  {
    int p[2] ;
    char wbuf[64] ;
    buffer w ;
    tain d ;
    static char big[300000] ;
    size_t i ;
    pid_t pid ;
    int status ;
    for (i = 0 ; i < sizeof(big) ; i++) big[i] = 'a' + i % 26 ;

    if (pipe(p) < 0 || ndelay_on(p[1]) < 0) return 111 ;
    buffer_init(&w, &buffer_write, p[1], wbuf, sizeof(wbuf)) ;
    deadline_in(&d, 1000) ;
    CHECK(lineio_puts(&w, "250 OK\r\n", &d) == 1, "lineio_puts returns 1") ;
    {
      char r[16] ;
      ssize_t n = read(p[0], r, sizeof(r)) ;
      CHECK(n == 8 && !memcmp(r, "250 OK\r\n", 8), "lineio_puts flushed the line") ;
    }
    deadline_in(&d, 150) ;
    errno = 0 ;
    CHECK(!lineio_put(&w, big, sizeof(big), &d) && errno == ETIMEDOUT, "lineio_put times out when the peer does not read") ;
    close(p[0]) ; close(p[1]) ;

    if (pipe(p) < 0 || ndelay_on(p[1]) < 0) return 111 ;
    buffer_init(&w, &buffer_write, p[1], wbuf, sizeof(wbuf)) ;
    pid = fork() ;
    if (pid < 0) return 111 ;
    if (!pid)
    {
      /* Reads slowly at first, then checks every byte. */
      char r[4096] ;
      size_t total = 0 ;
      ssize_t n ;
      close(p[1]) ;
      usleep(50000) ;
      while ((n = read(p[0], r, sizeof(r))) > 0)
      {
        ssize_t k ;
        for (k = 0 ; k < n ; k++) if (r[k] != (char)('a' + (total + k) % 26)) _exit(2) ;
        total += n ;
      }
      _exit(total == sizeof(big) ? 0 : 1) ;
    }
    close(p[0]) ;
    deadline_in(&d, 5000) ;
    CHECK(lineio_put(&w, big, sizeof(big), &d) == 1, "lineio_put larger than buffer and pipe") ;
    close(p[1]) ;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "lineio_put delivered every byte in order") ;

    if (pipe(p) < 0 || ndelay_on(p[1]) < 0) return 111 ;
    buffer_init(&w, &buffer_write, p[1], wbuf, sizeof(wbuf)) ;
    close(p[0]) ;
    deadline_in(&d, 1000) ;
    errno = 0 ;
    CHECK(!lineio_puts(&w, "221 bye\r\n", &d) && errno == EPIPE, "lineio_puts to a closed peer is EPIPE") ;
    close(p[1]) ;

    if (pipe(p) < 0 || ndelay_on(p[1]) < 0) return 111 ;
    buffer_init(&w, &buffer_write, p[1], wbuf, sizeof(wbuf)) ;
    deadline_in(&d, 1000) ;
    CHECK(lineio_flush(&w, &d) == 1, "lineio_flush of an empty buffer") ;
    buffer_putnoflush(&w, "x\r\n", 3) ;
    CHECK(lineio_flush(&w, &d) == 1 && buffer_isempty(&w), "lineio_flush empties the buffer") ;
    close(p[0]) ; close(p[1]) ;
  }
  return check_done() ;
}
