/* ISC license. */

/* common/preauth*: the parts imapd and pop3d share before login, tested
 * against common/preauth.h. preauth_init runs in a forked child (it
 * changes the process: nodump, non-blocking fds 0/1, SIGPIPE, and dies
 * 100 on a bad setting) that writes back what it set; the counters run
 * in-process with fd 2 captured and a datagram socket standing in for
 * banwatch; the PLAIN encoding is checked against RFC 4616's example
 * and decoded back with a decoder of the test's own. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <skalibs/cbuffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/preauth.h"
#include "tests/unit/check.h"
#include "tests/unit/fixture/unit_capture.h"

/* The ENOMEM case asks for an impossible allocation: under ASan, that
 * must return 0 as in the normal build instead of aborting. */
char const *__asan_default_options (void) ;
char const *__asan_default_options (void)
{
  return "allocator_may_return_null=1" ;
}

static char tmpdir[64] ;

/* ---- preauth_plain_ok ---- */

static void test_plain_ok (void)
{
  static struct { int tls, loopback, plain, want ; } const t[] =
  {
    { 0, 0, PREAUTH_PLAIN_NO, 0 },
    { 0, 1, PREAUTH_PLAIN_NO, 0 },
    { 1, 0, PREAUTH_PLAIN_NO, 1 },
    { 1, 1, PREAUTH_PLAIN_NO, 1 },
    { 0, 0, PREAUTH_PLAIN_YES, 1 },
    { 0, 1, PREAUTH_PLAIN_YES, 1 },
    { 1, 0, PREAUTH_PLAIN_YES, 1 },
    { 1, 1, PREAUTH_PLAIN_YES, 1 },
    { 0, 0, PREAUTH_PLAIN_LOOPBACK, 0 },
    { 0, 1, PREAUTH_PLAIN_LOOPBACK, 1 },
    { 1, 0, PREAUTH_PLAIN_LOOPBACK, 1 },
    { 1, 1, PREAUTH_PLAIN_LOOPBACK, 1 },
  } ;
  static char const *const pname[] = { "no", "yes", "loopback" } ;
  for (size_t i = 0 ; i < sizeof(t) / sizeof(t[0]) ; i++)
  {
    preauth p ;
    char name[96] ;
    memset(&p, 0, sizeof(p)) ;
    p.tls = t[i].tls ;
    p.loopback = t[i].loopback ;
    p.plain = t[i].plain ;
    snprintf(name, sizeof(name), "plain_ok plain=%s tls=%d loopback=%d -> %d", pname[t[i].plain], t[i].tls, t[i].loopback, t[i].want) ;
    CHECK(!!preauth_plain_ok(&p) == t[i].want, name) ;
  }
}

/* ---- preauth_plain_encode ---- */

static int b64val (char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return c - 'a' + 26 ;
  if (c >= '0' && c <= '9') return c - '0' + 52 ;
  if (c == '+') return 62 ;
  if (c == '/') return 63 ;
  return -1 ;
}

/* A strict RFC 4648 §4 decoder: length a multiple of 4, padding only at
 * the end. Returns the decoded length, or -1. */
static long b64_decode (char const *s, size_t len, unsigned char *out)
{
  size_t o = 0 ;
  if (len % 4) return -1 ;
  for (size_t i = 0 ; i < len ; i += 4)
  {
    int v[4] ;
    unsigned int pad = 0 ;
    for (unsigned int j = 0 ; j < 4 ; j++)
    {
      if (s[i + j] == '=')
      {
        if (i + 4 != len || j < 2) return -1 ;
        pad++ ; v[j] = 0 ;
      }
      else
      {
        if (pad) return -1 ;
        v[j] = b64val(s[i + j]) ;
        if (v[j] < 0) return -1 ;
      }
    }
    out[o++] = (v[0] << 2) | (v[1] >> 4) ;
    if (pad < 2) out[o++] = ((v[1] & 15) << 4) | (v[2] >> 2) ;
    if (pad < 1) out[o++] = ((v[2] & 3) << 6) | v[3] ;
  }
  return (long)o ;
}

static int encodes_to (char const *user, size_t ulen, char const *pass, size_t plen, char const *want)
{
  stralloc sa = STRALLOC_ZERO ;
  int ok = preauth_plain_encode(&sa, user, ulen, pass, plen) == 1
        && sa.len == strlen(want) && !memcmp(sa.s, want, sa.len) ;
  if (!ok) printf("# got %.*s want %s\n", (int)sa.len, sa.s ? sa.s : "", want) ;
  stralloc_free(&sa) ;
  return ok ;
}

static void test_plain_encode (void)
{
  /* RFC 4616 §4's example, without an authzid */
  CHECK(encodes_to("tim", 3, "tanstaaftanstaaf", 16, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"), "plain_encode RFC 4616 example (NUL authcid NUL passwd)") ;
  CHECK(encodes_to("", 0, "", 0, "AAA="), "plain_encode empty user and password: two NULs, one pad") ;
  CHECK(encodes_to("a", 1, "", 0, "AGEA"), "plain_encode 3 bytes: no padding") ;
  CHECK(encodes_to("ab", 2, "", 0, "AGFiAA=="), "plain_encode 4 bytes: two pads") ;
  CHECK(encodes_to("abc", 3, "", 0, "AGFiYwA="), "plain_encode 5 bytes: one pad") ;
  /* bytes above 127 (UTF-8, 0xff) and a NUL inside the password: taken
   * by length, sign-extension would break the alphabet index */
  CHECK(encodes_to("j\xc3\xb6rg", 5, "p\xff\xfe\0x", 5, "AGrDtnJnAHD//gB4"), "plain_encode high bytes and an inner NUL kept by length") ;
  CHECK(encodes_to("tim and more", 3, "tanstaaftanstaafXYZ", 16, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"), "plain_encode reads only userlen and passlen bytes") ;

  {
    stralloc sa = STRALLOC_ZERO ;
    int ok = stralloc_cats(&sa, "AUTH PLAIN ") && preauth_plain_encode(&sa, "tim", 3, "tanstaaftanstaaf", 16) == 1 ;
    ok = ok && sa.len == 11 + 28 && !memcmp(sa.s, "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", sa.len) ;
    CHECK(ok, "plain_encode appends after what enc holds") ;
    stralloc_free(&sa) ;
  }

  {
    /* every length of user and password 0..40, pseudo-random bytes:
     * decodes back to NUL user NUL pass */
    unsigned char user[41], pass[41], dec[200] ;
    unsigned int seed = 12345 ;
    int ok = 1 ;
    for (size_t i = 0 ; i < sizeof(user) ; i++) { seed = seed * 1103515245u + 12345u ; user[i] = seed >> 16 ; seed = seed * 1103515245u + 12345u ; pass[i] = seed >> 16 ; }
    for (size_t ul = 0 ; ok && ul <= 40 ; ul++)
      for (size_t pl = 0 ; ok && pl <= 40 ; pl++)
      {
        stralloc sa = STRALLOC_ZERO ;
        long n ;
        if (preauth_plain_encode(&sa, (char *)user, ul, (char *)pass, pl) != 1) { ok = 0 ; break ; }
        n = b64_decode(sa.s, sa.len, dec) ;
        ok = sa.len == 4 * ((ul + pl + 2 + 2) / 3) && n == (long)(ul + pl + 2)
          && dec[0] == 0 && !memcmp(dec + 1, user, ul) && dec[1 + ul] == 0 && !memcmp(dec + 2 + ul, pass, pl) ;
        if (!ok) printf("# user %zu pass %zu: %.*s\n", ul, pl, (int)sa.len, sa.s) ;
        stralloc_free(&sa) ;
      }
    CHECK(ok, "plain_encode round trip, every user/password length 0..40") ;
  }

  {
    /* a length no allocation can hold: refused with 0 (ENOMEM), enc
     * untouched; the huge length is never read (the allocation comes
     * first) */
    stralloc sa = STRALLOC_ZERO ;
    int r ;
    if (!stralloc_cats(&sa, "keep")) { perror("stralloc") ; _exit(111) ; }
    errno = 0 ;
    r = preauth_plain_encode(&sa, "u", SIZE_MAX / 4, "p", 1) ;
    CHECK(r == 0 && sa.len == 4 && !memcmp(sa.s, "keep", 4), "plain_encode oversized user refused with 0, enc unchanged") ;
    r = preauth_plain_encode(&sa, "u", 1, "p", SIZE_MAX / 4) ;
    CHECK(r == 0 && sa.len == 4, "plain_encode oversized password refused with 0, enc unchanged") ;
    stralloc_free(&sa) ;
  }
}

/* ---- counters ---- */

static int banfd = -1 ;

/* Opens $tmpdir/banwatch.sock as banwatch would, and points PH_RUN_DIR
 * at it (banevent_send reads the environment). */
static void ban_open (void)
{
  banfd = unit_banwatch_open(tmpdir) ;
}

static void preauth_fake (preauth *p, unsigned int maxbad, unsigned int maxauthfail)
{
  memset(p, 0, sizeof(*p)) ;
  p->service = "imap" ;
  p->rip = "192.0.2.7" ;
  p->maxbad = maxbad ;
  p->maxauthfail = maxauthfail ;
  memcpy(p->session, "0123456789abcdef", 17) ;
}

static void test_bad (void)
{
  preauth p ;
  char log[8192], ban[1024] ;
  int r[4] ;
  preauth_fake(&p, 3, 3) ;
  unit_capture_start() ;
  r[0] = preauth_bad(&p, "XYZZY") ;
  r[1] = preauth_bad(&p, "") ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[0] == 0 && r[1] == 0 && p.bad == 2, "preauth_bad below PH_IMAP_MAX_BAD=3: 0, counted") ;
  CHECK(strstr(log, "event=bad_command ip=192.0.2.7 session=0123456789abcdef cmd=XYZZY count=1\n")
     && strstr(log, "event=bad_command ip=192.0.2.7 session=0123456789abcdef count=2\n"),
     "preauth_bad logs bad_command ip= session= [cmd=] count=") ;
  CHECK(!strstr(log, "too_many_bad_commands"), "preauth_bad no too_many_bad_commands before the limit") ;
  CHECK(unit_banwatch_drain(banfd, ban, sizeof(ban)) == 0, "preauth_bad no banwatch event before the limit") ;
  unit_capture_start() ;
  r[2] = preauth_bad(&p, "LOGOUTX") ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[2] == 1 && p.bad == 3, "preauth_bad the 3rd refusal of 3 returns 1") ;
  CHECK(strstr(log, "count=3\n") && strstr(log, "event=too_many_bad_commands ip=192.0.2.7 session=0123456789abcdef\n"), "preauth_bad logs too_many_bad_commands at the limit") ;
  CHECK(unit_banwatch_drain(banfd, ban, sizeof(ban)) == 1 && !strcmp(ban, "event=bad_command ip=192.0.2.7 service=imap\n"), "preauth_bad one banwatch event service=imap at the limit") ;

  preauth_fake(&p, 1, 3) ;
  unit_capture_start() ;
  r[3] = preauth_bad(&p, 0) ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[3] == 1 && strstr(log, "session=0123456789abcdef count=1\n"), "preauth_bad max 1: the first refusal ends it, a null cmd is left out") ;
  unit_banwatch_drain(banfd, ban, sizeof(ban)) ;
}

static void test_auth_failed (void)
{
  preauth p ;
  char log[8192], ban[1024] ;
  int r[3] ;
  preauth_fake(&p, 20, 3) ;
  unit_capture_start() ;
  r[0] = preauth_auth_failed(&p, "PLAIN", "demo@example.test") ;
  r[1] = preauth_auth_failed(&p, "LOGIN", "") ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[0] == 0 && r[1] == 0 && p.authfail == 2, "preauth_auth_failed below PH_IMAP_MAX_AUTH_FAIL=3: 0, counted") ;
  CHECK(strstr(log, "event=auth_fail ip=192.0.2.7 user=demo@example.test mech=PLAIN session=0123456789abcdef count=1\n")
     && strstr(log, "event=auth_fail ip=192.0.2.7 user=\"\" mech=LOGIN session=0123456789abcdef count=2\n"),
     "preauth_auth_failed logs auth_fail ip= user= mech= session= count=") ;
  unit_capture_start() ;
  r[2] = preauth_auth_failed(&p, "PLAIN", "x y") ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[2] == 1 && p.authfail == 3, "preauth_auth_failed the 3rd failure of 3 returns 1") ;
  CHECK(strstr(log, "user=\"x y\"") && strstr(log, "count=3\n"), "preauth_auth_failed the last failure is logged too") ;
  /* authd reports failed logins to banwatch itself (badcommand.h) */
  CHECK(unit_banwatch_drain(banfd, ban, sizeof(ban)) == 0, "preauth_auth_failed sends no banwatch event") ;
  CHECK(p.bad == 0, "preauth_auth_failed leaves the bad-command count alone") ;
}

/* ---- preauth_wipe_consumed ---- */

static unsigned int nonzero (char const *s, size_t n)
{
  unsigned int k = 0 ;
  for (size_t i = 0 ; i < n ; i++) k += !!s[i] ;
  return k ;
}

static void test_wipe (void)
{
  char buf[32], got[32] ;
  cbuffer c ;
  size_t n ;
  memset(buf, 0, sizeof(buf)) ;
  if (!cbuffer_init(&c, buf, sizeof(buf))) { perror("cbuffer_init") ; _exit(111) ; }
  cbuffer_puts(&c, "a LOGIN u hunter2\r\nNOOP") ;
  n = cbuffer_get(&c, got, 19) ;
  preauth_wipe_consumed(&c) ;
  CHECK(n == 19 && nonzero(buf, sizeof(buf)) == 4 && !memmem(buf, sizeof(buf), "hunt", 4), "wipe_consumed clears the bytes already read") ;
  n = cbuffer_get(&c, got, sizeof(got)) ;
  CHECK(n == 4 && !memcmp(got, "NOOP", 4), "wipe_consumed keeps the unread bytes") ;
  /* the next line wraps around the end of the array */
  cbuffer_puts(&c, "b LOGIN v s3cr3t-wraps\r\nX") ;
  n = cbuffer_get(&c, got, 24) ;
  preauth_wipe_consumed(&c) ;
  CHECK(n == 24 && nonzero(buf, sizeof(buf)) == 1 && cbuffer_get(&c, got, sizeof(got)) == 1 && got[0] == 'X', "wipe_consumed clears a free part that wraps, the kept slot included") ;
}

/* ---- preauth_init, in a child ---- */

typedef struct init_result_s init_result ;
struct init_result_s
{
  int plain, tls, loopback, dumpable, nb0, nb1, sigpipe_ignored ;
  size_t hostlen ;
  unsigned int idlesecs, maxbad, maxauthfail ;
  char rip[64], authpath[128], sessionpath[128], host[PREAUTH_HOST_MAX + 1], session[17], tlsproto[32] ;
} ;

static void copy (char *dst, size_t max, char const *src)
{
  size_t n = src ? strlen(src) : 0 ;
  if (n >= max) n = max - 1 ;
  if (n) memcpy(dst, src, n) ;
  dst[n] = 0 ;
}

/* Runs preauth_init(service, prefix) in a child whose environment is
 * exactly env (NAME=value strings, 0-terminated). Returns its exit code
 * (128 + signal if killed), fills *res when it got that far and err
 * with what it wrote on fd 2. */
static int run_init (char const *const *env, char const *service, char const *prefix, init_result *res, char *err, size_t errmax)
{
  int rp[2], ep[2], status ;
  pid_t pid ;
  size_t got = 0 ;
  ssize_t r ;
  memset(res, 0, sizeof(*res)) ;
  err[0] = 0 ;
  if (pipe(rp) < 0 || pipe(ep) < 0) { perror("pipe") ; _exit(111) ; }
  fflush(stdout) ;
  pid = fork() ;
  if (pid < 0) { perror("fork") ; _exit(111) ; }
  if (!pid)
  {
    preauth p ;
    init_result out ;
    struct sigaction sa ;
    /* fresh descriptions: O_NONBLOCK must not reach the parent's fds */
    int null = open("/dev/null", O_RDWR) ;
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(ep[1], 2) < 0) _exit(90) ;
    close(null) ; close(rp[0]) ; close(ep[0]) ; close(ep[1]) ;
    clearenv() ;
    for (size_t i = 0 ; env[i] ; i++)
    {
      char const *eq = strchr(env[i], '=') ;
      char name[128] ;
      if (!eq || (size_t)(eq - env[i]) >= sizeof(name)) _exit(91) ;
      memcpy(name, env[i], eq - env[i]) ;
      name[eq - env[i]] = 0 ;
      if (setenv(name, eq + 1, 1) < 0) _exit(91) ;
    }
    memset(&p, 0, sizeof(p)) ;
    preauth_init(&p, service, prefix) ;
    memset(&out, 0, sizeof(out)) ;
    out.plain = p.plain ;
    out.tls = p.tls ;
    out.loopback = p.loopback ;
    out.dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) ;
    out.nb0 = !!(fcntl(0, F_GETFL) & O_NONBLOCK) ;
    out.nb1 = !!(fcntl(1, F_GETFL) & O_NONBLOCK) ;
    /* skalibs' sig_altignore catches it with a handler that does
     * nothing (no SIG_IGN to inherit across exec): ignored means the
     * signal does not kill us */
    out.sigpipe_ignored = sigaction(SIGPIPE, 0, &sa) == 0 && sa.sa_handler != SIG_DFL && raise(SIGPIPE) == 0 ;
    out.idlesecs = p.idlesecs ;
    out.maxbad = p.maxbad ;
    out.maxauthfail = p.maxauthfail ;
    copy(out.rip, sizeof(out.rip), p.rip) ;
    copy(out.authpath, sizeof(out.authpath), p.authpath) ;
    copy(out.sessionpath, sizeof(out.sessionpath), p.sessionpath) ;
    out.hostlen = strnlen(p.host, sizeof(p.host)) ;
    copy(out.host, sizeof(out.host), p.host) ;
    copy(out.session, sizeof(out.session), p.session) ;
    copy(out.tlsproto, sizeof(out.tlsproto), p.tls ? p.tlsinfo.protocol : "") ;
    if (write(rp[1], &out, sizeof(out)) != (ssize_t)sizeof(out)) _exit(92) ;
    _exit(0) ;
  }
  close(rp[1]) ;
  close(ep[1]) ;
  while (got < sizeof(*res) && (r = read(rp[0], (char *)res + got, sizeof(*res) - got)) > 0) got += r ;
  close(rp[0]) ;
  {
    size_t len = 0 ;
    while (len < errmax - 1 && (r = read(ep[0], err + len, errmax - 1 - len)) > 0) len += r ;
    err[len] = 0 ;
  }
  close(ep[0]) ;
  if (waitpid(pid, &status, 0) < 0) { perror("waitpid") ; _exit(111) ; }
  if (!WIFEXITED(status)) return 128 + WTERMSIG(status) ;
  if (!WEXITSTATUS(status) && got != sizeof(*res)) return 93 ;
  return WEXITSTATUS(status) ;
}

static int is_hex16 (char const *s)
{
  if (strlen(s) != 16) return 0 ;
  for (unsigned int i = 0 ; i < 16 ; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0 ;
  return 1 ;
}

/* the plaintext policy a setting gives, or -(exit code) */
static int plain_with (char const *value)
{
  char setting[128] ;
  char const *env[] = { "PH_RUN_DIR=/run/ph", "TCPREMOTEIP=192.0.2.1", setting, 0 } ;
  init_result res ;
  char err[4096] ;
  int e ;
  snprintf(setting, sizeof(setting), "PH_IMAP_PLAINTEXT_AUTH=%s", value) ;
  e = run_init(env, "imap", "PH_IMAP", &res, err, sizeof(err)) ;
  return e ? -e : res.plain ;
}

/* exit code of preauth_init with one extra setting */
static int exit_with (char const *setting, char *err, size_t errmax)
{
  char const *env[] = { "PH_RUN_DIR=/run/ph", "TCPREMOTEIP=192.0.2.1", setting, 0 } ;
  init_result res ;
  return run_init(env, "imap", "PH_IMAP", &res, err, errmax) ;
}

static int loopback_of (char const *const *env, char *rip, size_t ripmax)
{
  init_result res ;
  char err[4096] ;
  int e = run_init(env, "imap", "PH_IMAP", &res, err, sizeof(err)) ;
  if (e) return -e ;
  copy(rip, ripmax, res.rip) ;
  return res.loopback ;
}

static void test_init (void)
{
  init_result res ;
  char err[4096], want[256] ;
  int e ;

  {
    char const *env[] = { "PH_RUN_DIR=/run/ph", "TCPREMOTEIP=127.0.0.1", "PH_HOSTNAME=mx.example.test", 0 } ;
    e = run_init(env, "imap", "PH_IMAP", &res, err, sizeof(err)) ;
    CHECK(e == 0, "init defaults: exit 0") ;
    CHECK(res.plain == PREAUTH_PLAIN_LOOPBACK && res.idlesecs == 60 && res.maxbad == 20 && res.maxauthfail == 3,
      "init defaults: loopback, 60 s, MAX_BAD 20, MAX_AUTH_FAIL 3") ;
    CHECK(!strcmp(res.authpath, "/run/ph/auth.sock") && !strcmp(res.sessionpath, "/run/ph/imap-session.sock"), "init socket paths under PH_RUN_DIR") ;
    CHECK(!strcmp(res.host, "mx.example.test") && !strcmp(res.rip, "127.0.0.1") && res.loopback == 1 && res.tls == 0, "init host, rip, loopback, no TLS") ;
    CHECK(is_hex16(res.session), "init session id is 16 hex digits") ;
    CHECK(res.dumpable == 0, "init makes the process not dumpable") ;
    CHECK(res.nb0 && res.nb1, "init makes fds 0/1 non-blocking") ;
    CHECK(res.sigpipe_ignored, "init SIGPIPE does not kill the process") ;
    snprintf(want, sizeof(want), "event=connect ip=127.0.0.1 session=%s\n", res.session) ;
    CHECK(strstr(err, want) != 0, "init logs connect ip= session=") ;
  }

  CHECK(plain_with("yes") == PREAUTH_PLAIN_YES, "init PH_IMAP_PLAINTEXT_AUTH=yes") ;
  CHECK(plain_with("no") == PREAUTH_PLAIN_NO, "init PH_IMAP_PLAINTEXT_AUTH=no") ;
  CHECK(plain_with("loopback") == PREAUTH_PLAIN_LOOPBACK, "init PH_IMAP_PLAINTEXT_AUTH=loopback") ;
  CHECK(plain_with("") == PREAUTH_PLAIN_LOOPBACK, "init PH_IMAP_PLAINTEXT_AUTH empty counts as unset: loopback") ;
  e = exit_with("PH_IMAP_PLAINTEXT_AUTH=maybe", err, sizeof(err)) ;
  CHECK(e == 100 && strstr(err, "PH_IMAP_PLAINTEXT_AUTH must be loopback, yes or no"), "init PH_IMAP_PLAINTEXT_AUTH=maybe dies 100, naming the setting") ;
  CHECK(plain_with("YES") == -100, "init PH_IMAP_PLAINTEXT_AUTH=YES (case matters) dies 100") ;
  CHECK(plain_with("yes ") == -100, "init PH_IMAP_PLAINTEXT_AUTH='yes ' dies 100") ;

  {
    char const *env[] = { "PH_RUN_DIR=/run/ph", "PH_IMAP_PLAINTEXT_AUTH=maybe", "PH_POP3_PLAINTEXT_AUTH=no", "PH_POP3_MAX_BAD=4", 0 } ;
    e = run_init(env, "pop3", "PH_POP3", &res, err, sizeof(err)) ;
    CHECK(e == 0 && res.plain == PREAUTH_PLAIN_NO && res.maxbad == 4 && !strcmp(res.sessionpath, "/run/ph/pop3-session.sock"),
      "init prefix PH_POP3 reads only PH_POP3_* settings") ;
  }
  {
    char path[96] ;
    char envfile[128] ;
    int fd ;
    snprintf(path, sizeof(path), "%s/mailserver.env", tmpdir) ;
    snprintf(envfile, sizeof(envfile), "PH_ENVFILE=%s", path) ;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) ;
    if (fd < 0 || write(fd, "PH_IMAP_PLAINTEXT_AUTH=no\nPH_IMAP_MAX_AUTH_FAIL=5\n", 50) != 50) { perror("env file") ; _exit(111) ; }
    close(fd) ;
    {
      char const *env[] = { "PH_RUN_DIR=/run/ph", envfile, 0 } ;
      e = run_init(env, "imap", "PH_IMAP", &res, err, sizeof(err)) ;
      CHECK(e == 0 && res.plain == PREAUTH_PLAIN_NO && res.maxauthfail == 5, "init settings from $PH_ENVFILE") ;
    }
    unlink(path) ;
  }

  {
    char const *env[] = { "PH_RUN_DIR=/run/ph", "PH_IMAP_MAX_BAD=5", "PH_IMAP_MAX_AUTH_FAIL=100000", "PH_IMAP_PREAUTH_TIMEOUT=86400", 0 } ;
    e = run_init(env, "imap", "PH_IMAP", &res, err, sizeof(err)) ;
    CHECK(e == 0 && res.maxbad == 5 && res.maxauthfail == 100000 && res.idlesecs == 86400, "init numbers set, at their maxima") ;
  }
  e = exit_with("PH_IMAP_MAX_BAD=0", err, sizeof(err)) ;
  CHECK(e == 100 && strstr(err, "PH_IMAP_MAX_BAD must be a positive number up to 100000"), "init PH_IMAP_MAX_BAD=0 dies 100") ;
  e = exit_with("PH_IMAP_MAX_BAD=100001", err, sizeof(err)) ;
  CHECK(e == 100, "init PH_IMAP_MAX_BAD=100001 dies 100") ;
  e = exit_with("PH_IMAP_MAX_AUTH_FAIL=three", err, sizeof(err)) ;
  CHECK(e == 100 && strstr(err, "PH_IMAP_MAX_AUTH_FAIL"), "init PH_IMAP_MAX_AUTH_FAIL=three dies 100") ;
  e = exit_with("PH_IMAP_PREAUTH_TIMEOUT=86401", err, sizeof(err)) ;
  CHECK(e == 100 && strstr(err, "PH_IMAP_PREAUTH_TIMEOUT must be a positive number up to 86400"), "init PH_IMAP_PREAUTH_TIMEOUT=86401 dies 100") ;
  {
    char const *env[] = { "TCPREMOTEIP=127.0.0.1", 0 } ;
    e = run_init(env, "imap", "PH_IMAP", &res, err, sizeof(err)) ;
    CHECK(e == 100 && strstr(err, "PH_RUN_DIR"), "init without PH_RUN_DIR dies 100") ;
  }

  {
    char rip[64] ;
    char const *v6[] = { "PH_RUN_DIR=/r", "TCPREMOTEIP=::1", 0 } ;
    char const *mapped[] = { "PH_RUN_DIR=/r", "TCPREMOTEIP=::ffff:127.0.0.9", 0 } ;
    char const *other[] = { "PH_RUN_DIR=/r", "TCPREMOTEIP=192.0.2.1", 0 } ;
    char const *v6other[] = { "PH_RUN_DIR=/r", "TCPREMOTEIP=2001:db8::1", 0 } ;
    char const *proxy[] = { "PH_RUN_DIR=/r", "TCPREMOTEIP=127.0.0.1", "TCPPROXYLOCAL=1", 0 } ;
    char const *none[] = { "PH_RUN_DIR=/r", 0 } ;
    CHECK(loopback_of(v6, rip, sizeof(rip)) == 1, "init ::1 is loopback") ;
    CHECK(loopback_of(mapped, rip, sizeof(rip)) == 1, "init ::ffff:127.0.0.9 is loopback") ;
    CHECK(loopback_of(other, rip, sizeof(rip)) == 0, "init 192.0.2.1 is not loopback") ;
    CHECK(loopback_of(v6other, rip, sizeof(rip)) == 0, "init 2001:db8::1 is not loopback") ;
    CHECK(loopback_of(proxy, rip, sizeof(rip)) == 0, "init 127.0.0.1 behind TCPPROXYLOCAL is not loopback") ;
    CHECK(loopback_of(none, rip, sizeof(rip)) == 0 && rip[0] == 0, "init no TCPREMOTEIP: rip \"\", not loopback") ;
  }

  {
    char const *env[] = { "PH_RUN_DIR=/r", "TCPREMOTEIP=192.0.2.1", "SSL_PROTOCOL=TLSv1.3", "SSL_CIPHER=TLS_AES_128_GCM_SHA256", 0 } ;
    char const *ctl[] = { "PH_RUN_DIR=/r", "SSL_PROTOCOL=TLSv1.3", "SSL_CIPHER=TLS_AES_128_GCM_SHA256", "SSLCTLFD=5", 0 } ;
    e = run_init(env, "imap", "PH_IMAP", &res, err, sizeof(err)) ;
    CHECK(e == 0 && res.tls == 1 && !strcmp(res.tlsproto, "TLSv1.3") && strstr(err, " tls=TLSv1.3"), "init implicit TLS from tlsd's variables, logged in connect") ;
    e = run_init(ctl, "imap", "PH_IMAP", &res, err, sizeof(err)) ;
    CHECK(e == 0 && res.tls == 0, "init SSLCTLFD (STARTTLS still to come) is not TLS yet") ;
  }

  {
    char host[320] = "PH_HOSTNAME=" ;
    size_t n = strlen(host) ;
    char const *env[] = { "PH_RUN_DIR=/r", host, 0 } ;
    memset(host + n, 'h', 300) ;
    host[n + 300] = 0 ;
    e = run_init(env, "imap", "PH_IMAP", &res, err, sizeof(err)) ;
    CHECK(e == 0 && res.hostlen == PREAUTH_HOST_MAX && strspn(res.host, "h") == PREAUTH_HOST_MAX, "init a 300-byte host name is cut to PREAUTH_HOST_MAX") ;
  }
}

int main (void)
{
  PROG = "preauth-test" ;
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/preauth-unit.XXXXXX") ;
  if (!mkdtemp(tmpdir)) { perror("mkdtemp") ; return 111 ; }
  test_plain_ok() ;
  test_plain_encode() ;
  ban_open() ;
  test_bad() ;
  test_auth_failed() ;
  test_wipe() ;
  test_init() ;
  {
    char path[96] ;
    snprintf(path, sizeof(path), "%s/banwatch.sock", tmpdir) ;
    close(banfd) ;
    unlink(path) ;
    rmdir(tmpdir) ;
  }
  return check_done() ;
}
