/* ISC license. */

/* common/ucspitls, client mode: the report parser, tlsc's path, and
 * ucspitls_client_start()/_end() against a fake tlsc (this program run
 * as "test_ucspitls_client fake MODE ...", through a small script named
 * by PH_TLSC), which checks the fds and arguments it is given and then
 * plays one of tlsc's outcomes.
 *
 * "test_ucspitls_client client ip port servername [verify] [quiet]
 * [deadline=ms]" is
 * also the caller that tests/integration/test_tlsc.py runs against the
 * real tlsc: it connects, calls ucspitls_client_start(), prints one
 * line ("TLS ok proto=.. cipher=.. verified=0|1 error=<..> cn=<..>" or
 * "TLS fail errno=<name> error=<..>"), then copies its stdin into the
 * session and the session to its stdout; at EOF on either side it calls
 * ucspitls_client_end() and exits with its result (0 = clean). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/ip46.h>
#include <skalibs/socket.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/ucspitls.h"
#include "common/ucspitls-internal.h"
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

static int isopen (int fd)
{
  return fcntl(fd, F_GETFD) >= 0 ;
}

static char const *errname (int e)
{
  switch (e)
  {
    case ECONNREFUSED : return "ECONNREFUSED" ;
    case EPERM : return "EPERM" ;
    case ETIMEDOUT : return "ETIMEDOUT" ;
    case EPROTO : return "EPROTO" ;
    case ENOENT : return "ENOENT" ;
    case EINVAL : return "EINVAL" ;
    case EIO : return "EIO" ;
    default : return "other" ;
  }
}

/* ---------------------------------------------------------------- fake tlsc */

static void putreport (char const *s, size_t len)
{
  if (allwrite(3, s, len) < len) _exit(111) ;
  fd_shutdown(3, 1) ;
  close(3) ;
}

#define OKREPORT "SSL_PROTOCOL=TLSv1.3\0SSL_CIPHER=TLS_AES_256_GCM_SHA384\0SSL_VERIFIED=1\0SSL_PEER_CN=mx.example.test\0"

/* What every fake checks first: the fds, as ucspitls_client_start
 * promises them, and nothing else inherited. Exit 42 if not. */
static void fake_check_fds (void)
{
  struct stat st ;
  int type ;
  socklen_t len = sizeof(type) ;
  char const *sentinel = getenv("FAKE_SENTINEL") ;
  if (fstat(0, &st) < 0 || !S_ISFIFO(st.st_mode)) _exit(42) ;
  if (fstat(1, &st) < 0 || !S_ISFIFO(st.st_mode)) _exit(42) ;
  if (!isopen(2)) _exit(42) ;
  if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) < 0) _exit(42) ;
  len = sizeof(type) ;
  if (getsockopt(6, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) _exit(42) ;
  if (isopen(4) || isopen(5) || isopen(7)) _exit(42) ;
  if (sentinel)
  {
    unsigned int fd ;
    if (!uint0_scan(sentinel, &fd) || isopen((int)fd)) _exit(42) ;
  }
}

/* argv: fake MODE tlsc-arguments... */
static int fake (int argc, char const *const *argv)
{
  char const *mode = argv[2] ;
  int verify = 0, quiet = 0, hasname = 0, hastimeout = 0 ;
  int i = 3 ;
  fake_check_fds() ;
  for (; i < argc ; i++)
  {
    if (!strcmp(argv[i], "-V")) verify = 1 ;
    else if (!strcmp(argv[i], "-v") && i + 1 < argc && !strcmp(argv[i+1], "0")) { quiet = 1 ; i++ ; }
    else if (!strcmp(argv[i], "-k") && i + 1 < argc) { hasname = !strcmp(argv[i+1], "mx.example.test") ; i++ ; }
    else if (!strcmp(argv[i], "-T") && i + 1 < argc)
    {
      unsigned int secs ;
      hastimeout = uint0_scan(argv[i+1], &secs) && secs >= 1 && secs <= 3600 ;
      i++ ;
    }
    else _exit(43) ;
  }
  if (!hasname || !hastimeout) _exit(43) ;
  if (!strcmp(mode, "ok") || !strcmp(mode, "okV") || !strcmp(mode, "okQ") || !strcmp(mode, "stubborn"))
  {
    char buf[4096] ;
    if (!strcmp(mode, "okV") && !verify) _exit(44) ;
    if (!strcmp(mode, "okQ") && !quiet) _exit(44) ;
    if (!strcmp(mode, "ok") && (verify || quiet)) _exit(44) ;
    putreport(OKREPORT, sizeof(OKREPORT)) ;
    for (;;)
    {
      ssize_t r = read(0, buf, sizeof(buf)) ;
      if (r <= 0) break ;
      if (allwrite(1, buf, (size_t)r) < (size_t)r) _exit(111) ;
    }
    if (!strcmp(mode, "stubborn")) for (;;) pause() ;
    return 0 ;
  }
  if (!strcmp(mode, "unverified"))
  {
    static char const r[] = "SSL_PROTOCOL=TLSv1.2\0SSL_CIPHER=ECDHE-RSA-AES256-GCM-SHA384\0SSL_VERIFIED=0\0SSL_VERIFY_ERROR=self-signed certificate\0SSL_PEER_CN=Some Host\0" ;
    putreport(r, sizeof(r)) ;
    return 0 ;
  }
  if (!strcmp(mode, "refuse"))
  {
    static char const r[] = "SSL_VERIFY_ERROR=hostname mismatch\0" ;
    putreport(r, sizeof(r)) ;
    return 1 ;
  }
  if (!strcmp(mode, "fail")) return 1 ;
  if (!strcmp(mode, "usage")) return 100 ;
  if (!strcmp(mode, "timeout")) return 99 ;
  if (!strcmp(mode, "garbage"))
  {
    static char const r[] = "SSL_PROTOCOL=TLSv1.3\0" ;
    putreport(r, sizeof(r)) ;
    for (;;) pause() ;
  }
  if (!strcmp(mode, "hang")) for (;;) pause() ;
  return 45 ;
}

/* ---------------------------------------------------------------- unit tests */

static char tmpdir[] = "/tmp/test_ucspitls_client.XXXXXX" ;
static char self[4096] ;

static void write_file (char const *path, char const *s, mode_t mode)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode) ;
  if (fd < 0 || allwrite(fd, s, strlen(s)) < strlen(s) || close(fd) < 0) die(path) ;
  if (chmod(path, mode) < 0) die("chmod") ;
}

/* PH_TLSC -> a script running this program as the fake in that mode */
static void use_fake (char const *mode)
{
  char path[4200] ;
  char text[8500] ;
  size_t n = strlen(tmpdir) ;
  memcpy(path, tmpdir, n) ;
  memcpy(path + n, "/tlsc-", 6) ;
  strcpy(path + n + 6, mode) ;
  strcpy(text, "#!/bin/sh\nexec '") ;
  strcat(text, self) ;
  strcat(text, "' fake ") ;
  strcat(text, mode) ;
  strcat(text, " \"$@\"\n") ;
  write_file(path, text, 0755) ;
  if (setenv("PH_TLSC", path, 1) < 0) die("setenv") ;
}

static void test_parse (void)
{
  ucspitls_client c = UCSPITLS_CLIENT_ZERO ;
  ucspitls_info info ;
  {
    static char const r[] = OKREPORT ;
    int ok = ucspitls_client_parse(r, sizeof(r), &c, &info) ;
    CHECK(ok && !strcmp(info.protocol, "TLSv1.3") && !strcmp(info.cipher, "TLS_AES_256_GCM_SHA384")
      && c.verified == 1 && !c.verify_error[0] && !strcmp(c.peer_cn, "mx.example.test"), "parse: verified report") ;
  }
  {
    static char const r[] = "SSL_PROTOCOL=TLSv1.2\0SSL_CIPHER=X\0SSL_VERIFIED=0\0SSL_VERIFY_ERROR=hostname mismatch\0SSL_PEER_CN=a b\0" ;
    int ok = ucspitls_client_parse(r, sizeof(r), &c, &info) ;
    CHECK(ok && !c.verified && !strcmp(c.verify_error, "hostname mismatch") && !strcmp(c.peer_cn, "a b"), "parse: unverified report keeps the reason") ;
  }
  {
    static char const r[] = "SSL_PROTOCOL=TLSv1.3\0X_FUTURE=1\0SSL_CIPHER=X\0SSL_VERIFIED=1\0" ;
    CHECK(ucspitls_client_parse(r, sizeof(r), &c, &info) && !c.peer_cn[0], "parse: unknown records ignored, CN optional") ;
  }
  {
    static char const r[] = "SSL_VERIFY_ERROR=certificate has expired\0" ;
    errno = 0 ;
    int ok = ucspitls_client_parse(r, sizeof(r), &c, &info) ;
    CHECK(!ok && errno == EPERM && !strcmp(c.verify_error, "certificate has expired"), "parse: a refusal alone is EPERM with the reason") ;
  }
  {
#define R(x) { x, sizeof(x) }
    static struct { char const *s ; size_t len ; } const bad[] = {
      R("SSL_PROTOCOL=TLSv1.3\0SSL_CIPHER=X\0"),                       /* no SSL_VERIFIED */
      R("SSL_PROTOCOL=TLSv1.3\0SSL_CIPHER=X\0SSL_VERIFIED=2\0"),       /* not 0 or 1 */
      R("SSL_PROTOCOL=TLSv1.3\0SSL_CIPHER=X\0SSL_VERIFIED=\0"),
      R("SSL_CIPHER=X\0SSL_VERIFIED=1\0"),                              /* no protocol */
      R("SSL_PROTOCOL=TLSv1.3\0SSL_VERIFIED=1\0"),                      /* no cipher */
      R("SSL_PROTOCOL=TLS v1\0SSL_CIPHER=X\0SSL_VERIFIED=1\0"),         /* space in the protocol */
      R("SSL_PROTOCOL=TLSv1.3\0SSL_CIPHER=X\0SSL_VERIFIED=1\0SSL_VERIFY_ERROR=x\0"),  /* contradiction */
      R("SSL_PROTOCOL=TLSv1.3\0SSL_CIPHER=X\0SSL_VERIFIED=0\0SSL_PEER_CN=a\tb\0"),    /* control byte */
      R("SSL_PROTOCOL=TLSv1.3\0SSL_CIPHER=X\0SSL_VERIFIED=0\0SSL_VERIFY_ERROR=\0"),
      R("SSL_PEER_CN=x\0"),
    } ;
#undef R
    int allproto = 1 ;
    for (unsigned int i = 0 ; i < sizeof(bad) / sizeof(*bad) ; i++)
    {
      errno = 0 ;
      if (ucspitls_client_parse(bad[i].s, bad[i].len, &c, &info) || errno != EPROTO)
      {
        printf("# bad report %u accepted or wrong errno %d\n", i, errno) ;
        allproto = 0 ;
      }
    }
    CHECK(allproto, "parse: malformed reports are EPROTO") ;
  }
  {
    static char const r[] = "SSL_PROTOCOL=TLSv1.3\0SSL_CIPHER=X\0SSL_VERIFIED=1" ;
    CHECK(!ucspitls_client_parse(r, sizeof(r) - 1, &c, &info) && errno == EPROTO, "parse: a report not ending in NUL") ;
    CHECK(!ucspitls_client_parse(r, 0, &c, &info) && errno == EPROTO, "parse: an empty report") ;
  }
  {
    char r[400] ;
    size_t n = 0 ;
    memcpy(r, "SSL_VERIFY_ERROR=", 17) ; n = 17 ;
    memset(r + n, 'e', 128) ; n += 128 ;
    r[n++] = 0 ;
    CHECK(!ucspitls_client_parse(r, n, &c, &info) && errno == EPROTO, "parse: a verify error over 127 bytes") ;
  }
}

static void test_path (void)
{
  char buf[4096] ;
  char path[4200] ;
  unsetenv("PH_TLSC") ;
  unsetenv("PH_STATE") ;
  errno = 0 ;
  CHECK(!ucspitls_client_path(buf, sizeof(buf)) && errno == ENOENT, "path: nothing found is ENOENT") ;
  strcpy(path, tmpdir) ; strcat(path, "/bin") ;
  if (mkdir(path, 0755) < 0) die("mkdir") ;
  strcat(path, "/tlsc") ;
  write_file(path, "#!/bin/sh\nexit 1\n", 0755) ;
  setenv("PH_STATE", tmpdir, 1) ;
  CHECK(ucspitls_client_path(buf, sizeof(buf)) && !strcmp(buf, path), "path: $PH_STATE/bin/tlsc") ;
  setenv("PH_TLSC", "/nonexistent/tlsc", 1) ;
  CHECK(!ucspitls_client_path(buf, sizeof(buf)) && errno == ENOENT, "path: PH_TLSC wins, even when missing") ;
  strcpy(path, tmpdir) ; strcat(path, "/notexec") ;
  write_file(path, "x", 0644) ;
  setenv("PH_TLSC", path, 1) ;
  CHECK(!ucspitls_client_path(buf, sizeof(buf)) && errno == ENOENT, "path: PH_TLSC not executable") ;
  CHECK(!ucspitls_client_path(buf, 8) && errno == ENAMETOOLONG, "path: too long for the buffer") ;
  unsetenv("PH_TLSC") ;
  unsetenv("PH_STATE") ;
}

/* a connected stream socket to hand over, and its peer */
static int pair (int *peer)
{
  int sv[2] ;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) die("socketpair") ;
  *peer = sv[1] ;
  return sv[0] ;
}

static int start (char const *mode, unsigned int flags, ucspitls_client *c, ucspitls_info *info, unsigned int ms, int *sockfd)
{
  tain d ;
  int peer ;
  int r ;
  *sockfd = pair(&peer) ;
  if (mode) use_fake(mode) ;
  deadline_in(&d, ms) ;
  r = ucspitls_client_start(*sockfd, "mx.example.test", flags, c, info, &d) ;
  {
    int e = errno ;
    close(peer) ;
    errno = e ;
  }
  return r ;
}

static void test_start (void)
{
  ucspitls_client c = UCSPITLS_CLIENT_ZERO ;
  ucspitls_info info ;
  int sockfd ;
  int devnull = open("/dev/null", O_RDONLY) ;
  int sentinel = fcntl(devnull, F_DUPFD, 20) ;  /* not close-on-exec: the child must close it all the same */
  char fmt[UINT_FMT] ;
  tain d ;
  if (devnull < 0 || sentinel < 20) die("open /dev/null above 19") ;
  close(devnull) ;
  fmt[uint_fmt(fmt, (unsigned int)sentinel)] = 0 ;
  setenv("FAKE_SENTINEL", fmt, 1) ;

  {
    int ok = start("ok", 0, &c, &info, 5000, &sockfd) ;
    CHECK(ok && c.pid > 0 && c.rd >= 0 && c.wr >= 0 && c.verified && !strcmp(c.peer_cn, "mx.example.test")
      && !strcmp(info.protocol, "TLSv1.3") && !strcmp(info.sni, "mx.example.test") && !info.discarded, "start: report read, fds handed back") ;
    CHECK(!isopen(sockfd), "start: the socket is closed in the caller") ;
    if (ok)
    {
      char buf[16] ;
      ssize_t r ;
      CHECK((fcntl(c.rd, F_GETFL) & O_NONBLOCK) && (fcntl(c.wr, F_GETFD) & FD_CLOEXEC), "start: fds non-blocking, close-on-exec") ;
      r = fd_write(c.wr, "hello", 5) ;
      {
        iopause_fd x = { .fd = c.rd, .events = IOPAUSE_READ, .revents = 0 } ;
        deadline_in(&d, 5000) ;
        iopause_g(&x, 1, &d) ;
      }
      r = fd_read(c.rd, buf, sizeof(buf)) ;
      CHECK(r == 5 && !memcmp(buf, "hello", 5), "start: the pipes reach tlsc both ways") ;
      deadline_in(&d, 5000) ;
      CHECK(ucspitls_client_end(&c, &d) == 0 && c.pid == 0 && c.rd == -1 && c.wr == -1, "end: tlsc exits 0 and is reaped") ;
    }
  }
  CHECK(start("okV", UCSPITLS_CLIENT_VERIFY, &c, &info, 5000, &sockfd), "start: UCSPITLS_CLIENT_VERIFY passes -V") ;
  deadline_in(&d, 5000) ; ucspitls_client_end(&c, &d) ;
  CHECK(start("okQ", UCSPITLS_CLIENT_QUIET, &c, &info, 5000, &sockfd), "start: UCSPITLS_CLIENT_QUIET passes -v 0") ;
  deadline_in(&d, 5000) ; ucspitls_client_end(&c, &d) ;

  {
    int ok = start("unverified", 0, &c, &info, 5000, &sockfd) ;
    CHECK(ok && !c.verified && !strcmp(c.verify_error, "self-signed certificate") && !strcmp(c.peer_cn, "Some Host"), "start: an unverified session still starts") ;
    deadline_in(&d, 5000) ; ucspitls_client_end(&c, &d) ;
  }
  {
    int ok = start("refuse", UCSPITLS_CLIENT_VERIFY, &c, &info, 5000, &sockfd) ;
    CHECK(!ok && errno == EPERM && !strcmp(c.verify_error, "hostname mismatch") && c.pid == 0 && c.rd < 0, "start: a refused certificate is EPERM with the reason") ;
  }
  CHECK(!start("fail", 0, &c, &info, 5000, &sockfd) && errno == ECONNREFUSED && !isopen(sockfd) && c.pid == 0, "start: a failed handshake is ECONNREFUSED") ;
  CHECK(!start("usage", 0, &c, &info, 5000, &sockfd) && errno == EINVAL, "start: tlsc's usage error is EINVAL") ;
  CHECK(!start("timeout", 0, &c, &info, 5000, &sockfd) && errno == ETIMEDOUT, "start: tlsc's own timeout is ETIMEDOUT") ;
  {
    tain t0, t1 ;
    int ok ;
    tain_now_g() ; t0 = STAMP ;
    ok = start("hang", 0, &c, &info, 300, &sockfd) ;
    tain_now_g() ; t1 = STAMP ;
    tain_sub(&t1, &t1, &t0) ;
    CHECK(!ok && errno == ETIMEDOUT && tain_to_millisecs(&t1) < 3000 && c.pid == 0, "start: the deadline kills a silent tlsc") ;
  }
  CHECK(!start("garbage", 0, &c, &info, 3000, &sockfd) && errno == EPROTO && c.pid == 0, "start: a malformed report is EPROTO") ;
  CHECK(!start("nosuchmode", 0, &c, &info, 3000, &sockfd) && errno == ECONNREFUSED, "start: tlsc dying oddly is ECONNREFUSED") ;
  {
    char path[4200] ;
    strcpy(path, tmpdir) ; strcat(path, "/garbage-exec") ;
    write_file(path, "\x7f" "ELF garbage", 0755) ;
    setenv("PH_TLSC", path, 1) ;
    CHECK(!start(0, 0, &c, &info, 3000, &sockfd) && errno == ENOENT && !isopen(sockfd), "start: tlsc that cannot be executed is ENOENT") ;
    setenv("PH_TLSC", "/nonexistent/tlsc", 1) ;
    CHECK(!start(0, 0, &c, &info, 3000, &sockfd) && errno == ENOENT && !isopen(sockfd), "start: no tlsc is ENOENT, socket closed") ;
  }
  {
    int peer ;
    int fd = pair(&peer) ;
    use_fake("ok") ;
    deadline_in(&d, 3000) ;
    CHECK(!ucspitls_client_start(fd, "bad name\n", 0, &c, &info, &d) && errno == EINVAL && !isopen(fd), "start: a name with control bytes is refused before any spawn") ;
    close(peer) ;
  }
  {
    tain t0, t1 ;
    int code ;
    int ok = start("stubborn", 0, &c, &info, 5000, &sockfd) ;
    tain_now_g() ; t0 = STAMP ;
    deadline_in(&d, 200) ;
    code = ucspitls_client_end(&c, &d) ;
    tain_now_g() ; t1 = STAMP ;
    tain_sub(&t1, &t1, &t0) ;
    CHECK(ok && code == 128 + SIGKILL && tain_to_millisecs(&t1) < 2000, "end: a tlsc that will not exit is killed at the deadline") ;
  }
  deadline_in(&d, 100) ;
  CHECK(ucspitls_client_end(&c, &d) == -1, "end: no session is -1") ;
  close(sentinel) ;
  unsetenv("FAKE_SENTINEL") ;
}

/* ---------------------------------------------------------------- client driver */

static int client (int argc, char const *const *argv)
{
  ucspitls_client c = UCSPITLS_CLIENT_ZERO ;
  ucspitls_info info ;
  unsigned int flags = 0 ;
  unsigned int ms = 20000 ;
  uint16_t port ;
  ip46 ip ;
  int fd ;
  tain d ;
  if (argc < 5 || !ip46_scan(argv[2], &ip) || !uint160_scan(argv[3], &port)) die("usage: client ip port servername [verify] [quiet] [deadline=ms]") ;
  for (int i = 5 ; i < argc ; i++)
  {
    if (!strcmp(argv[i], "verify")) flags |= UCSPITLS_CLIENT_VERIFY ;
    else if (!strcmp(argv[i], "quiet")) flags |= UCSPITLS_CLIENT_QUIET ;
    else if (!strncmp(argv[i], "deadline=", 9) && uint0_scan(argv[i] + 9, &ms)) ;
    else die("unknown client option") ;
  }
  fd = socket_tcp46_nbcoe(ip46_is6(&ip)) ;
  if (fd < 0) die("socket") ;
  deadline_in(&d, 10000) ;
  if (!(ip46_is6(&ip) ? socket_deadlineconnstamp6_g(fd, ip.ip, port, &d) : socket_deadlineconnstamp4_g(fd, ip.ip, port, &d))) die("connect") ;
  deadline_in(&d, ms) ;
  if (!ucspitls_client_start(fd, argv[4], flags, &c, &info, &d))
  {
    printf("TLS fail errno=%s error=<%s>\n", errname(errno), c.verify_error) ;
    return 1 ;
  }
  printf("TLS ok proto=%s cipher=%s verified=%d error=<%s> cn=<%s> sni=%s\n", info.protocol, info.cipher, c.verified, c.verify_error, c.peer_cn, info.sni) ;
  fflush(stdout) ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) die("ndelay") ;
  {
    char up[65536], down[65536] ;
    size_t ul = 0, dl = 0 ;
    int ineof = 0, rdeof = 0 ;
    while (!(ineof && !ul) && !(rdeof && !dl))
    {
      iopause_fd x[4] ;
      unsigned int n = 0 ;
      int iin = -1, iwr = -1, ird = -1, iout = -1 ;
      if (!ineof && ul < sizeof(up)) { x[n].fd = 0 ; x[n].events = IOPAUSE_READ ; iin = n++ ; }
      if (ul) { x[n].fd = c.wr ; x[n].events = IOPAUSE_WRITE ; iwr = n++ ; }
      if (!rdeof && dl < sizeof(down)) { x[n].fd = c.rd ; x[n].events = IOPAUSE_READ ; ird = n++ ; }
      if (dl) { x[n].fd = 1 ; x[n].events = IOPAUSE_WRITE ; iout = n++ ; }
      deadline_in(&d, 60000) ;
      if (iopause_g(x, n, &d) <= 0) die("iopause") ;
      if (iin >= 0 && x[iin].revents)
      {
        ssize_t r = fd_read(0, up + ul, sizeof(up) - ul) ;
        if (r > 0) ul += (size_t)r ; else if (!r || !error_isagain(errno)) ineof = 1 ;
      }
      if (iwr >= 0 && x[iwr].revents)
      {
        ssize_t r = fd_write(c.wr, up, ul) ;
        if (r > 0) { memmove(up, up + r, ul - (size_t)r) ; ul -= (size_t)r ; }
        else if (r < 0 && !error_isagain(errno)) { rdeof = 1 ; ul = 0 ; dl = 0 ; }
      }
      if (ird >= 0 && x[ird].revents)
      {
        ssize_t r = fd_read(c.rd, down + dl, sizeof(down) - dl) ;
        if (r > 0) dl += (size_t)r ; else if (!r || !error_isagain(errno)) rdeof = 1 ;
      }
      if (iout >= 0 && x[iout].revents)
      {
        ssize_t r = fd_write(1, down, dl) ;
        if (r > 0) { memmove(down, down + r, dl - (size_t)r) ; dl -= (size_t)r ; }
        else if (r < 0 && !error_isagain(errno)) die("write stdout") ;
      }
    }
  }
  deadline_in(&d, 10000) ;
  return ucspitls_client_end(&c, &d) ;
}

int main (int argc, char const *const *argv)
{
  if (argc >= 3 && !strcmp(argv[1], "fake")) return fake(argc, argv) ;
  if (argc >= 2 && !strcmp(argv[1], "client")) return client(argc, argv) ;
  {
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1) ;
    if (n <= 0) die("readlink") ;
    self[n] = 0 ;
  }
  if (!mkdtemp(tmpdir)) die("mkdtemp") ;
  signal(SIGPIPE, SIG_IGN) ;
  test_parse() ;
  test_path() ;
  test_start() ;
  {
    char cmd[100] ;
    strcpy(cmd, "rm -rf ") ;
    strcat(cmd, tmpdir) ;
    if (system(cmd)) printf("# could not remove %s\n", tmpdir) ;
  }
  return check_done() ;
}
