/* ISC license. */

/* common/ucspitls: the report parser, the environment of implicit mode,
 * ucspitls_available(), and ucspitls_start() against a fake engine
 * (the test plays tlsd's part on the control socket and the pipes).
 *
 * "test_ucspitls app" is also the protocol program that
 * tests/integration/test_tlsd.py runs behind the real tlsd: a line
 * protocol on fds 0/1 that uses this very client code. */

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
#include <skalibs/types.h>

#include "common/lineio.h"
#include "common/ucspitls.h"
#include "tests/unit/check.h"

static void die (char const *what)
{
  perror(what) ;
  exit(111) ;
}

static void deadline_in (tain *d, unsigned int ms)
{
  tain t ;
  tain_now_g() ;
  tain_from_millisecs(&t, ms) ;
  tain_add_g(d, &t) ;
}

static void setfdenv (char const *name, int fd)
{
  char fmt[UINT_FMT] ;
  fmt[uint_fmt(fmt, (unsigned int)fd)] = 0 ;
  if (setenv(name, fmt, 1) < 0) die("setenv") ;
}

static void clearenv_tls (void)
{
  unsetenv("SSLCTLFD") ; unsetenv("SSLREADFD") ; unsetenv("SSLWRITEFD") ;
  unsetenv("SSL_PROTOCOL") ; unsetenv("SSL_CIPHER") ; unsetenv("SSL_TLS_SNI_SERVERNAME") ;
}

/* ---------------------------------------------------------------- app */

static char inspace[BUFFER_INSIZE] ;
static char outspace[BUFFER_OUTSIZE] ;
static buffer in = BUFFER_INIT(&buffer_read, 0, inspace, BUFFER_INSIZE) ;
static buffer out = BUFFER_INIT(&buffer_write, 1, outspace, BUFFER_OUTSIZE) ;

static void say (char const *s)
{
  tain d ;
  deadline_in(&d, 30000) ;
  if (!lineio_puts(&out, s, &d)) _exit(111) ;
}

static void sayinfo (char const *what, ucspitls_info const *info)
{
  char fmt[UINT64_FMT] ;
  fmt[uint64_fmt(fmt, info->discarded)] = 0 ;
  buffer_puts(&out, what) ;
  buffer_puts(&out, " proto=") ; buffer_puts(&out, info->protocol) ;
  buffer_puts(&out, " cipher=") ; buffer_puts(&out, info->cipher) ;
  buffer_puts(&out, " sni=") ; buffer_puts(&out, info->sni) ;
  buffer_puts(&out, " discarded=") ; buffer_puts(&out, fmt) ;
  say("\r\n") ;
}

/* The protocol: one command per line, one answer line each.
 *   STARTTLS        "220 go" then the switch, then "TLS proto= cipher= sni= discarded="
 *   ECHO text       "ECHO text"
 *   ID              "ID pid=<pid> uid=<uid>"
 *   OPEN path       "OPEN ok" or "OPEN <errno>"
 *   BIG n           n bytes of 'x' then CRLF
 *   QUIT            "BYE", exit 0 */
static int app (void)
{
  char line[4096] ;
  ucspitls_info info ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) _exit(111) ;
  if (ucspitls_env(&info)) sayinfo("READY implicit", &info) ;
  else say(ucspitls_available() ? "READY starttls\r\n" : "READY plain\r\n") ;
  for (;;)
  {
    size_t len ;
    unsigned int flags ;
    tain d ;
    int r ;
    deadline_in(&d, 60000) ;
    r = lineio_get(&in, line, sizeof(line), &len, &flags, &d) ;
    if (r <= 0) return r ? 111 : 0 ;
    if (!strcmp(line, "STARTTLS"))
    {
      if (!ucspitls_available()) { say("454 TLS not available\r\n") ; continue ; }
      buffer_puts(&out, "220 go\r\n") ;
      deadline_in(&d, 70000) ;
      if (!ucspitls_start(&in, &out, &info, &d))
      {
        say(errno == ECONNREFUSED ? "454 refused\r\n" : "454 failed\r\n") ;
        return 1 ;
      }
      sayinfo("TLS", &info) ;
    }
    else if (!strncmp(line, "ECHO ", 5))
    {
      buffer_puts(&out, line) ;
      say("\r\n") ;
    }
    else if (!strcmp(line, "ID"))
    {
      char fmt[UINT64_FMT] ;
      buffer_puts(&out, "ID pid=") ;
      fmt[uint64_fmt(fmt, (uint64_t)getpid())] = 0 ;
      buffer_puts(&out, fmt) ;
      buffer_puts(&out, " uid=") ;
      fmt[uint64_fmt(fmt, (uint64_t)getuid())] = 0 ;
      buffer_puts(&out, fmt) ;
      say("\r\n") ;
    }
    else if (!strncmp(line, "OPEN ", 5))
    {
      int fd = open(line + 5, O_RDONLY) ;
      if (fd >= 0) { close(fd) ; say("OPEN ok\r\n") ; }
      else
      {
        char fmt[UINT_FMT] ;
        fmt[uint_fmt(fmt, (unsigned int)errno)] = 0 ;
        buffer_puts(&out, "OPEN ") ;
        buffer_puts(&out, fmt) ;
        say("\r\n") ;
      }
    }
    else if (!strncmp(line, "BIG ", 4))
    {
      unsigned int n ;
      if (!uint0_scan(line + 4, &n)) { say("ERR\r\n") ; continue ; }
      deadline_in(&d, 60000) ;
      while (n)
      {
        char chunk[4096] ;
        size_t k = n < sizeof(chunk) ? n : sizeof(chunk) ;
        memset(chunk, 'x', k) ;
        if (!lineio_put(&out, chunk, k, &d)) return 111 ;
        n -= k ;
      }
      say("\r\n") ;
    }
    else if (!strcmp(line, "QUIT"))
    {
      say("BYE\r\n") ;
      return 0 ;
    }
    else say("ERR\r\n") ;
  }
}

/* ---------------------------------------------------------- unit tests */

static void test_parse (void)
{
  ucspitls_info info ;
  static char const full[] = "SSL_PROTOCOL=TLSv1.3\0SSL_CIPHER=TLS_AES_256_GCM_SHA384\0SSL_TLS_SNI_SERVERNAME=mail.example.test\0" ;
  static char const nosni[] = "SSL_PROTOCOL=TLSv1.2\0SSL_CIPHER=ECDHE-RSA-AES128-GCM-SHA256\0" ;
  static char const unknown[] = "SSL_PROTOCOL=TLSv1.2\0X_OTHER=whatever value\0SSL_CIPHER=C\0" ;
  static char const nocipher[] = "SSL_PROTOCOL=TLSv1.2\0" ;
  static char const unterminated[] = "SSL_PROTOCOL=TLSv1.2\0SSL_CIPHER=C" ;
  static char const space[] = "SSL_PROTOCOL=TLS v1\0SSL_CIPHER=C\0" ;
  static char const longproto[] = "SSL_PROTOCOL=TLSv1.2TLSv1.2TLSv1.2\0SSL_CIPHER=C\0" ;
  static char const ctrl[] = "SSL_PROTOCOL=TLSv1.2\0SSL_CIPHER=C\0SSL_TLS_SNI_SERVERNAME=a\r\nb\0" ;
  static char const emptyval[] = "SSL_PROTOCOL=\0SSL_CIPHER=C\0" ;

  CHECK(ucspitls_parse(full, sizeof(full) - 1, &info) == 1, "parse: full report") ;
  CHECK(!strcmp(info.protocol, "TLSv1.3") && !strcmp(info.cipher, "TLS_AES_256_GCM_SHA384") && !strcmp(info.sni, "mail.example.test"), "parse: fields") ;
  CHECK(ucspitls_parse(nosni, sizeof(nosni) - 1, &info) == 1 && !info.sni[0], "parse: no SNI") ;
  CHECK(ucspitls_parse(unknown, sizeof(unknown) - 1, &info) == 1 && !strcmp(info.cipher, "C"), "parse: unknown field ignored") ;
  errno = 0 ;
  CHECK(!ucspitls_parse(nocipher, sizeof(nocipher) - 1, &info) && errno == EPROTO, "parse: cipher missing") ;
  CHECK(!ucspitls_parse(unterminated, sizeof(unterminated) - 1, &info), "parse: not text0") ;
  CHECK(!ucspitls_parse(space, sizeof(space) - 1, &info), "parse: space in value") ;
  CHECK(!ucspitls_parse(longproto, sizeof(longproto) - 1, &info), "parse: protocol too long") ;
  CHECK(!ucspitls_parse(ctrl, sizeof(ctrl) - 1, &info), "parse: control bytes in SNI") ;
  CHECK(!ucspitls_parse(emptyval, sizeof(emptyval) - 1, &info), "parse: empty protocol") ;
  CHECK(!ucspitls_parse("", 0, &info), "parse: empty report") ;
}

static void test_env (void)
{
  ucspitls_info info ;
  clearenv_tls() ;
  CHECK(!ucspitls_env(&info), "env: nothing set") ;
  setenv("SSL_PROTOCOL", "TLSv1.3", 1) ;
  setenv("SSL_CIPHER", "TLS_CHACHA20_POLY1305_SHA256", 1) ;
  setenv("SSL_TLS_SNI_SERVERNAME", "imap.example.test", 1) ;
  CHECK(ucspitls_env(&info) == 1 && !strcmp(info.protocol, "TLSv1.3") && !strcmp(info.sni, "imap.example.test") && !info.discarded, "env: implicit parameters") ;
  setenv("SSLCTLFD", "5", 1) ;
  CHECK(!ucspitls_env(&info), "env: not believed beside SSLCTLFD") ;
  unsetenv("SSLCTLFD") ;
  setenv("SSL_CIPHER", "bad cipher", 1) ;
  CHECK(!ucspitls_env(&info), "env: bad value refused") ;
  clearenv_tls() ;
}

/* The fds an engine would hold: ctl[1], up[0] (reads what the app
 * writes), down[1] (writes what the app reads). */
typedef struct fake_s fake ;
struct fake_s
{
  int ctl[2] ;
  int up[2] ;
  int down[2] ;
} ;

static void fake_open (fake *f)
{
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, f->ctl) < 0 || pipe(f->up) < 0 || pipe(f->down) < 0) die("fake_open") ;
  setfdenv("SSLCTLFD", f->ctl[0]) ;
  setfdenv("SSLREADFD", f->down[0]) ;
  setfdenv("SSLWRITEFD", f->up[1]) ;
}

static void fake_close (fake *f)
{
  int *fds[3] = { f->ctl, f->up, f->down } ;
  unsigned int i = 0 ;
  for (; i < 3 ; i++)
  {
    if (fds[i][0] >= 0) close(fds[i][0]) ;
    if (fds[i][1] >= 0) close(fds[i][1]) ;
  }
  clearenv_tls() ;
}

static void test_available (void)
{
  fake f ;
  clearenv_tls() ;
  CHECK(!ucspitls_available(), "available: no variables") ;
  fake_open(&f) ;
  CHECK(ucspitls_available() == 1, "available: engine waiting") ;
  setenv("SSLWRITEFD", "1", 1) ;
  CHECK(!ucspitls_available(), "available: fd below 3 refused") ;
  setfdenv("SSLWRITEFD", f.down[0]) ;
  CHECK(!ucspitls_available(), "available: same fd twice refused") ;
  setfdenv("SSLWRITEFD", f.up[1]) ;
  close(f.ctl[1]) ; f.ctl[1] = -1 ;
  CHECK(!ucspitls_available(), "available: engine gone") ;
  fake_close(&f) ;
  setenv("SSLCTLFD", "1000", 1) ; setenv("SSLREADFD", "1001", 1) ; setenv("SSLWRITEFD", "1002", 1) ;
  CHECK(!ucspitls_available(), "available: closed fds") ;
  clearenv_tls() ;
}

static int start_errno (fake *f, unsigned int ms)
{
  ucspitls_info info ;
  tain d ;
  deadline_in(&d, ms) ;
  (void)f ;
  errno = 0 ;
  if (ucspitls_start(0, 0, &info, &d)) return -1 ;
  return errno ;
}

static void test_start_failures (void)
{
  fake f ;
  char c ;
  struct sigaction sa ;
  memset(&sa, 0, sizeof(sa)) ;
  sa.sa_handler = SIG_DFL ;
  sigaction(SIGPIPE, &sa, 0) ;  /* the 'Y' must not kill us even so */

  fake_open(&f) ;
  close(f.ctl[1]) ; f.ctl[1] = -1 ;
  CHECK(start_errno(&f, 1000) == ECONNREFUSED, "start: engine gone before Y") ;
  fake_close(&f) ;

  fake_open(&f) ;
  if (!fork()) { char y ; if (read(f.ctl[1], &y, 1) != 1 || y != 'Y') _exit(1) ; _exit(0) ; }
  close(f.ctl[1]) ; f.ctl[1] = -1 ;
  CHECK(start_errno(&f, 5000) == ECONNREFUSED, "start: handshake failed (nothing reported)") ;
  wait(0) ;
  fake_close(&f) ;

  fake_open(&f) ;
  CHECK(start_errno(&f, 200) == ETIMEDOUT, "start: deadline") ;
  CHECK(read(f.ctl[1], &c, 1) == 1 && c == 'Y', "start: Y sent") ;
  fake_close(&f) ;

  fake_open(&f) ;
  if (write(f.ctl[1], "SSL_PROTOCOL=TLSv1.3\0", 21) != 21) die("write") ;
  shutdown(f.ctl[1], SHUT_WR) ;
  CHECK(start_errno(&f, 1000) == EPROTO, "start: malformed report") ;
  fake_close(&f) ;

  clearenv_tls() ;
  CHECK(start_errno(&f, 100) == ECONNREFUSED, "start: no tlsd") ;
}

/* The whole switch, in a child whose fds 0 and 1 are a socketpair "net"
 * (the client's connection); this process plays both the client and the
 * engine. */
static void test_start_switch (void)
{
  fake f ;
  int net[2] ;
  pid_t pid ;
  char buf[512] ;
  ssize_t r ;
  size_t len = 0 ;
  int status ;
  static char const report[] = "SSL_PROTOCOL=TLSv1.3\0SSL_CIPHER=TLS_AES_128_GCM_SHA256\0SSL_TLS_SNI_SERVERNAME=mx.example.test\0" ;

  fake_open(&f) ;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, net) < 0) die("socketpair") ;
  /* the client pipelines a command after STARTTLS */
  if (write(net[1], "STARTTLS\r\nRSET\r\n", 16) != 16) die("write") ;
  pid = fork() ;
  if (pid < 0) die("fork") ;
  if (!pid)
  {
    char line[256] ;
    size_t n ;
    unsigned int flags ;
    ucspitls_info info ;
    tain d ;
    if (dup2(net[0], 0) < 0 || dup2(net[0], 1) < 0) _exit(111) ;
    close(net[0]) ; close(net[1]) ;
    close(f.ctl[1]) ; close(f.up[0]) ; close(f.down[1]) ;
    if (ndelay_on(0) < 0) _exit(111) ;
    deadline_in(&d, 5000) ;
    if (lineio_get(&in, line, sizeof(line), &n, &flags, &d) != 1 || strcmp(line, "STARTTLS")) _exit(2) ;
    buffer_puts(&out, "220 go\r\n") ;
    if (!ucspitls_start(&in, &out, &info, &d)) _exit(3) ;
    sayinfo("TLS", &info) ;
    say(ucspitls_available() || getenv("SSLCTLFD") ? "STILL\r\n" : "GONE\r\n") ;
    if (lineio_get(&in, line, sizeof(line), &n, &flags, &d) != 1) _exit(4) ;
    buffer_puts(&out, "GOT ") ;
    buffer_puts(&out, line) ;
    say("\r\n") ;
    _exit(0) ;
  }
  close(net[0]) ;
  close(f.ctl[0]) ; f.ctl[0] = -1 ;
  close(f.up[1]) ; f.up[1] = -1 ;
  close(f.down[0]) ; f.down[0] = -1 ;

  r = read(net[1], buf, sizeof(buf)) ;
  CHECK(r == 8 && !memcmp(buf, "220 go\r\n", 8), "switch: reply flushed in clear before the switch") ;
  CHECK(read(f.ctl[1], buf, 1) == 1 && buf[0] == 'Y', "switch: Y on the control socket") ;
  if (write(f.ctl[1], report, sizeof(report) - 1) != (ssize_t)(sizeof(report) - 1)) die("write") ;
  shutdown(f.ctl[1], SHUT_WR) ;
  for (;;)
  {
    r = read(f.up[0], buf + len, sizeof(buf) - 1 - len) ;
    if (r <= 0) break ;
    len += (size_t)r ;
    buf[len] = 0 ;
    if (strstr(buf, "GONE\r\n") || strstr(buf, "STILL\r\n")) break ;
  }
  buf[len] = 0 ;
  CHECK(strstr(buf, "TLS proto=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 sni=mx.example.test discarded=6\r\n") == buf, "switch: parameters, pipelined RSET discarded (6 bytes)") ;
  CHECK(strstr(buf, "GONE\r\n") != 0, "switch: variables unset, STARTTLS no longer available") ;
  if (write(f.down[1], "hello\r\n", 7) != 7) die("write") ;
  len = 0 ;
  for (;;)
  {
    r = read(f.up[0], buf + len, sizeof(buf) - 1 - len) ;
    if (r <= 0) break ;
    len += (size_t)r ;
  }
  buf[len] = 0 ;
  CHECK(!strcmp(buf, "GOT hello\r\n"), "switch: fds 0 and 1 are the pipes, buffers reset") ;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status), "switch: child exited 0") ;
  /* nothing but the reply went out in clear: RSET was never answered */
  if (ndelay_on(net[1]) < 0) die("ndelay_on") ;
  r = read(net[1], buf, sizeof(buf)) ;
  CHECK(r <= 0, "switch: nothing more on the network side") ;
  close(net[1]) ;
  fake_close(&f) ;
}

int main (int argc, char const *const *argv)
{
  if (argc >= 2 && !strcmp(argv[1], "app")) return app() ;
  test_parse() ;
  test_env() ;
  test_available() ;
  test_start_failures() ;
  test_start_switch() ;
  return check_done() ;
}
