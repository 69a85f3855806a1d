/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <skalibs/strerr.h>

#include "common/log.h"
#include "tests/unit/check.h"
#include "tests/unit/fixture/unit_capture.h"

/* fd 2 goes to a pipe while a line is logged; the line is read back. */

static int logged_is (char const *want, void (*f)(void))
{
  char got[8192] ;
  unit_capture_start() ;
  f() ;
  unit_capture_end(got, sizeof(got)) ;
  if (strcmp(got, want)) { printf("# got:  %s# want: %s", got, want) ; return 0 ; }
  return 1 ;
}

static void plain (void) { log_event1("start", "k", "v") ; }
static void two (void) { log_event2("conn", "ip", "127.0.0.1", "port", "25") ; }
static void three (void) { log_event3("x", "a", "1", "b", "2", "c", "3") ; }
static void spaces (void) { log_event1("e", "msg", "hello world") ; }
static void quotes (void) { log_event1("e", "msg", "say \"hi\"") ; }
static void backslash (void) { log_event1("e", "p", "a\\b") ; }
static void equals (void) { log_event1("e", "v", "a=b") ; }
static void empty (void) { log_event1("e", "v", "") ; }
static void nullval (void) { log_event1("e", "v", 0) ; }
static void control (void) { log_event1("e", "v", "a\r\nb\tc\x7f") ; }
static void utf8 (void) { log_event1("e", "to", "j\xc3\xb6rg@b\xc3\xbc\x63her.example") ; }
static void uvalue (void)
{
  logline l ;
  log_begin(&l, "size") ;
  log_kvu(&l, "bytes", 18446744073709551615ULL) ;
  log_kvu(&l, "zero", 0) ;
  log_commit(&l) ;
}
static void withnul (void)
{
  logline l ;
  log_begin(&l, "e") ;
  log_kvn(&l, "v", "a\0b", 3) ;
  log_kvn(&l, "w", "abcdef", 3) ;
  log_commit(&l) ;
}
static void quiet (void)
{
  log_verbosity = 0 ;
  log_event1("e", "k", "v") ;
  log_verbosity = 1 ;
}

static void keeps_errno (void)
{
  errno = ENOSPC ;
  log_event1("e", "k", "v") ;
}

int main (void)
{
  PROG = "tlog" ;
  CHECK(log_verbosity == 1, "log_verbosity defaults to 1") ;
  CHECK(logged_is("tlog: event=start k=v\n", plain), "log one field") ;
  CHECK(logged_is("tlog: event=conn ip=127.0.0.1 port=25\n", two), "log two fields") ;
  CHECK(logged_is("tlog: event=x a=1 b=2 c=3\n", three), "log three fields") ;
  CHECK(logged_is("tlog: event=e msg=\"hello world\"\n", spaces), "log quotes values with spaces") ;
  CHECK(logged_is("tlog: event=e msg=\"say \\\"hi\\\"\"\n", quotes), "log escapes quotes") ;
  CHECK(logged_is("tlog: event=e p=\"a\\\\b\"\n", backslash), "log escapes backslash") ;
  CHECK(logged_is("tlog: event=e v=\"a=b\"\n", equals), "log quotes '='") ;
  CHECK(logged_is("tlog: event=e v=\"\"\n", empty), "log quotes empty value") ;
  CHECK(logged_is("tlog: event=e v=\"\"\n", nullval), "log null value as empty") ;
  CHECK(logged_is("tlog: event=e v=\"a\\x0d\\x0ab\\x09c\\x7f\"\n", control), "log escapes control bytes as \\xHH") ;
  CHECK(logged_is("tlog: event=e to=j\xc3\xb6rg@b\xc3\xbc\x63her.example\n", utf8), "log passes UTF-8 through unquoted") ;
  CHECK(logged_is("tlog: event=size bytes=18446744073709551615 zero=0\n", uvalue), "log_kvu") ;
  CHECK(logged_is("tlog: event=e v=\"a\\x00b\" w=abc\n", withnul), "log_kvn with NUL and length") ;
  CHECK(logged_is("", quiet), "log verbosity 0 is silent") ;
  CHECK(logged_is("tlog: event=e k=v\n", keeps_errno) && errno == ENOSPC, "log_commit keeps errno") ;

  /* Truncation: the line is cut at LOGLINE_MAX with "..." and a final
   * newline, whatever is appended after the cut, in one write. */
  {
    char big[5000] ;
    char got[8192] ;
    size_t n ;
    logline l ;
    memset(big, 'a', sizeof(big) - 1) ;
    big[sizeof(big) - 1] = 0 ;
    unit_capture_start() ;
    log_begin(&l, "big") ;
    log_kv(&l, "v", big) ;
    log_kv(&l, "after", "more") ;
    log_kvu(&l, "n", 12345) ;
    log_commit(&l) ;
    n = unit_capture_end(got, sizeof(got)) ;
    CHECK(n == LOGLINE_MAX, "log truncated line has LOGLINE_MAX bytes") ;
    CHECK(n >= 4 && !memcmp(got + n - 4, "...\n", 4), "log truncated line ends with ...\\n") ;
    CHECK(!memcmp(got, "tlog: event=big v=aaaa", 22), "log truncated line keeps its start") ;
    CHECK(!memchr(got, '\n', n - 1), "log truncated line has one newline") ;
  }
  /* A line exactly filling the buffer is not cut. */
  {
    char big[LOGLINE_MAX] ;
    char got[8192] ;
    size_t n ;
    logline l ;
    size_t fill = LOGLINE_MAX - 1 - strlen("tlog: event=x v=") ;
    memset(big, 'b', fill) ;
    big[fill] = 0 ;
    unit_capture_start() ;
    log_begin(&l, "x") ;
    log_kv(&l, "v", big) ;
    log_commit(&l) ;
    n = unit_capture_end(got, sizeof(got)) ;
    CHECK(n == LOGLINE_MAX && got[n-2] == 'b' && got[n-1] == '\n', "log line of exactly LOGLINE_MAX is kept whole") ;
  }
  /* Cut inside a quoted value. */
  {
    char big[3000] ;
    char got[8192] ;
    size_t n ;
    logline l ;
    memset(big, '"', sizeof(big) - 1) ;
    big[sizeof(big) - 1] = 0 ;
    unit_capture_start() ;
    log_begin(&l, "q") ;
    log_kv(&l, "v", big) ;
    log_commit(&l) ;
    n = unit_capture_end(got, sizeof(got)) ;
    CHECK(n == LOGLINE_MAX && !memcmp(got + n - 4, "...\n", 4), "log cut inside escapes") ;
  }
  return check_done() ;
}
