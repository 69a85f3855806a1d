/* ISC license. */

/* common/authclient: the reply and handshake parsers and the escaping on
 * their own, then the whole client against the real authd (build/bin/
 * authd next to this test's build, run under a socketpair with a
 * passwd.cdb made here with common/cdbwrite and common/pwhash), and
 * against small scripted servers for what authd never does (malformed
 * handshakes, silence, over-long lines). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/authclient.h"
#include "common/authclient-internal.h"
#include "common/cdbwrite.h"
#include "common/pwhash.h"
#include "tests/unit/check.h"

static char authd_path[4096] ;
static char tmpdir[] = "/tmp/test_authclient.XXXXXX" ;
static char logpath[4200] ;
static authclient ac = AUTHCLIENT_ZERO ;
static authclient_reply r ;

static void deadline_in (tain *d, unsigned int ms)
{
  tain t ;
  tain_now_g() ;
  tain_from_millisecs(&t, ms) ;
  tain_add_g(d, &t) ;
}

static int parse (char const *line, uint32_t id)
{
  return authclient_reply_parse(line, strlen(line), id, &r) ;
}

static void test_reply_parser (void)
{
  static char big[AUTHCLIENT_TEXT_MAX + 64] ;
  CHECK(parse("CONT\t7\t", 7) == AUTHCLIENT_CONT && r.len == 0, "reply_cont_empty") ;
  CHECK(parse("CONT\t7\tVXNlcm5hbWU6", 7) == AUTHCLIENT_CONT && !strcmp(r.text, "VXNlcm5hbWU6"), "reply_cont_challenge") ;
  CHECK(parse("CONT\t7\tYQ==", 7) == AUTHCLIENT_CONT, "reply_cont_padding") ;
  CHECK(!parse("CONT\t7\tYQ=", 7) && errno == EPROTO, "reply_cont_bad_length") ;
  CHECK(!parse("CONT\t7\tY=Q=", 7), "reply_cont_inner_padding") ;
  CHECK(!parse("CONT\t7\tab\r\n", 7), "reply_cont_crlf_refused") ;
  CHECK(!parse("CONT\t7\tYWJj ZGVm", 7), "reply_cont_space_refused") ;
  CHECK(!parse("CONT\t7", 7), "reply_cont_missing_data") ;
  CHECK(!parse("CONT\t7\tYQ==\textra", 7), "reply_cont_extra_field") ;
  CHECK(!parse("CONT\t8\tYQ==", 7), "reply_wrong_id") ;
  CHECK(!parse("CONT\t07\tYQ==", 7), "reply_id_leading_zero") ;
  CHECK(!parse("CONT\t+7\tYQ==", 7), "reply_id_sign") ;
  CHECK(!parse("CONT\t4294967303\tYQ==", 7), "reply_id_overflow") ;
  CHECK(parse("OK\t7\tuser=demo@example.test", 7) == AUTHCLIENT_OK && !strcmp(r.text, "demo@example.test"), "reply_ok_user") ;
  CHECK(parse("OK\t7\tticket=xyz\tuser=a@b\tnologin", 7) == AUTHCLIENT_OK && !strcmp(r.text, "a@b"), "reply_ok_unknown_params_ignored") ;
  CHECK(!parse("OK\t7", 7), "reply_ok_without_user") ;
  CHECK(!parse("OK\t7\tuser=", 7), "reply_ok_empty_user") ;
  CHECK(!parse("OK\t7\tuser=a\tuser=b", 7), "reply_ok_two_users") ;
  CHECK(!parse("OK\t7\tuser=a\001tb", 7), "reply_ok_user_with_escaped_tab") ;
  CHECK(!parse("OK\t7\tuser=a\001xb", 7), "reply_ok_bad_escape") ;
  CHECK(parse("OK\t7\tuser=a\0011b", 7) == 0, "reply_ok_user_with_control_refused") ;
  CHECK(parse("FAIL\t7", 7) == AUTHCLIENT_FAIL && !r.temp && !r.len, "reply_fail_bare") ;
  CHECK(parse("FAIL\t7\tuser=x@y\treason=Temporary authentication failure\ttemp", 7) == AUTHCLIENT_FAIL && r.temp && !strcmp(r.text, "Temporary authentication failure"), "reply_fail_temp_reason") ;
  CHECK(!parse("FAIL\t7\treason=a\001nb", 7), "reply_fail_reason_newline_refused") ;
  memcpy(big, "FAIL\t7\treason=", 14) ;
  memset(big + 14, 'x', AUTHCLIENT_TEXT_MAX + 10) ;
  /* a two-byte UTF-8 character straddling the cut */
  big[14 + AUTHCLIENT_TEXT_MAX - 1] = (char)0xc3 ;
  big[14 + AUTHCLIENT_TEXT_MAX] = (char)0xa9 ;
  big[14 + AUTHCLIENT_TEXT_MAX + 10] = 0 ;
  CHECK(parse(big, 7) == AUTHCLIENT_FAIL && r.len == AUTHCLIENT_TEXT_MAX - 1 && r.text[r.len] == 0, "reply_fail_long_reason_cut_on_utf8_boundary") ;
  CHECK(!parse("DONE", 7) && !parse("NOTOK\t7", 7) && !parse("", 7) && !parse("ok\t7\tuser=a", 7), "reply_unknown_commands") ;
  CHECK(authclient_reply_parse("OK\t7\tuser=a\0b", 13, 7, &r) == 0, "reply_nul_refused") ;
  {
    stralloc sa = STRALLOC_ZERO ;
    int ok = stralloc_cats(&sa, "FAIL\t7") ;
    for (unsigned int i = 0 ; ok && i < AUTHCLIENT_FIELDS_MAX ; i++) ok = stralloc_cats(&sa, "\tx") ;
    CHECK(ok && !authclient_reply_parse(sa.s, sa.len, 7, &r) && errno == EPROTO, "reply_too_many_fields") ;
    stralloc_free(&sa) ;
  }
}

static int feed (authclient *a, char const *lines)
{
  /* lines separated by \n; returns the last result */
  int res = 0 ;
  a->hs_version = 0 ; a->hs_lines = 0 ; a->mechlen = 0 ; a->mechs[0] = 0 ; a->cookie[0] = 0 ;
  while (*lines)
  {
    char const *nl = strchr(lines, '\n') ;
    size_t len = nl ? (size_t)(nl - lines) : strlen(lines) ;
    res = authclient_handshake_line(a, lines, len) ;
    if (res) return res ;
    lines += len + !!nl ;
  }
  return res ;
}

static void test_handshake_parser (void)
{
  static authclient a = AUTHCLIENT_ZERO ;
  CHECK(feed(&a, "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nSPID\t12\nCUID\t34\nCOOKIE\t0123456789abcdef0123456789abcdef\nDONE") == 1
        && !strcmp(a.mechs, "PLAIN LOGIN") && a.spid == 12 && a.cuid == 34 && !strcmp(a.cookie, "0123456789abcdef0123456789abcdef"), "handshake_authd") ;
  CHECK(authclient_has_mech(&a, "plain") && authclient_has_mech(&a, "LOGIN") && !authclient_has_mech(&a, "LOG") && !authclient_has_mech(&a, "CRAM-MD5") && !authclient_has_mech(&a, ""), "handshake_has_mech") ;
  CHECK(feed(&a, "MECH\tPLAIN\nDONE") == -1 && errno == EPROTO, "handshake_version_first") ;
  CHECK(feed(&a, "VERSION\t2\t0\nMECH\tPLAIN\nDONE") == -1, "handshake_other_major") ;
  CHECK(feed(&a, "VERSION\t1\nMECH\tPLAIN\nDONE") == -1, "handshake_version_without_minor") ;
  CHECK(feed(&a, "VERSION\t1\t1\nDONE") == -1, "handshake_no_mechanism") ;
  CHECK(feed(&a, "VERSION\t1\t1\nMECH\tGSSAPI\tprivate\nDONE") == -1, "handshake_private_only") ;
  CHECK(feed(&a, "VERSION\t1\t1\nMECH\tGSSAPI\tprivate\nMECH\tPLAIN\tplaintext\tfuture-flag\nMECH\tPLAIN\nDONE") == 1 && !strcmp(a.mechs, "PLAIN"), "handshake_private_skipped_duplicates_merged") ;
  CHECK(feed(&a, "VERSION\t1\t1\nMECH\tplain\nDONE") == -1, "handshake_lower_case_mech") ;
  CHECK(feed(&a, "VERSION\t1\t1\nMECH\tABCDEFGHIJKLMNOPQRSTU\nDONE") == -1, "handshake_mech_name_too_long") ;
  CHECK(feed(&a, "VERSION\t1\t1\nMECH\tPLAIN\nNEWTHING\tx\ty\nDONE") == 1, "handshake_unknown_command_skipped") ;
  CHECK(feed(&a, "VERSION\t1\t1\nMECH\tPLAIN\nnewthing\nDONE") == -1, "handshake_malformed_command") ;
  CHECK(feed(&a, "VERSION\t1\t1\nMECH\tPLAIN\nSPID\tx\nDONE") == -1, "handshake_bad_spid") ;
  CHECK(feed(&a, "VERSION\t1\t1\nMECH\tPLAIN\nCOOKIE\txyz\nDONE") == -1, "handshake_bad_cookie") ;
  CHECK(feed(&a, "VERSION\t1\t1\nMECH\tPLAIN\nVERSION\t1\t1\nDONE") == -1, "handshake_second_version") ;
  CHECK(feed(&a, "VERSION\t1\t1\nMECH\tPLAIN\nDONE\tx") == -1, "handshake_done_with_args") ;
  {
    stralloc sa = STRALLOC_ZERO ;
    int ok = stralloc_cats(&sa, "VERSION\t1\t1\n") ;
    for (unsigned int i = 0 ; ok && i < AUTHCLIENT_HANDSHAKE_MAX ; i++) ok = stralloc_cats(&sa, "MECH\tPLAIN\n") ;
    ok = ok && stralloc_cats(&sa, "DONE") && stralloc_0(&sa) ;
    CHECK(ok && feed(&a, sa.s) == -1, "handshake_too_many_lines") ;
    sa.len = 0 ;
    ok = stralloc_cats(&sa, "VERSION\t1\t1\n") ;
    for (unsigned int i = 0 ; ok && i < 40 ; i++)
    {
      char name[8] = "MECH-AA" ;
      name[5] = 'A' + i / 26 ; name[6] = 'A' + i % 26 ;
      ok = stralloc_cats(&sa, "MECH\tXXXXXXXXXXX") && stralloc_cats(&sa, name) && stralloc_cats(&sa, "\n") ;
    }
    ok = ok && stralloc_cats(&sa, "DONE") && stralloc_0(&sa) ;
    CHECK(ok && feed(&a, sa.s) == -1, "handshake_mech_list_overflow") ;
    stralloc_free(&sa) ;
  }
}

static void test_escaping (void)
{
  stralloc sa = STRALLOC_ZERO ;
  char out[64] ;
  size_t n ;
  CHECK(authclient_escape_cat(&sa, "a\tb\nc\rd\001e", 9) && sa.len == 13 && !memcmp(sa.s, "a\001tb\001nc\001rd\0011e", 13), "escape_dovecot_tabescape") ;
  CHECK(authclient_unescape(sa.s, sa.len, out, sizeof(out), &n) && n == 9 && !memcmp(out, "a\tb\nc\rd\001e", 9), "unescape_round_trip") ;
  CHECK(!authclient_unescape("ab\001", 3, out, sizeof(out), &n) && errno == EPROTO, "unescape_trailing_escape") ;
  CHECK(authclient_unescape("abcdef", 6, out, 3, &n) && n == 6 && !memcmp(out, "abc", 3), "unescape_reports_full_length") ;
  sa.len = 0 ;
  CHECK(!authclient_escape_cat(&sa, "a\0b", 3) && errno == EINVAL, "escape_refuses_nul") ;
  stralloc_free(&sa) ;
}

/* passwd.cdb as mailctl writes it (docs/internals.md): the hash, a NUL,
 * the extra field. "broken@..." has no NUL: authd's lookup fails, which
 * it answers FAIL temp. */
static int make_passwd (char const *dir)
{
  static char path[4200] ;
  cdbwrite w = CDBWRITE_ZERO ;
  char hash[PWHASH_OUTPUT_MAX + 32] ;
  size_t n = pwhash_make(hash, "s3cret\tpw", 9) ;
  if (!n) return 0 ;
  hash[n++] = 0 ;
  memcpy(path, dir, strlen(dir)) ;
  memcpy(path + strlen(dir), "/passwd.cdb", 12) ;
  if (!cdbwrite_start(&w, path)) return 0 ;
  if (!cdbwrite_add(&w, "demo@example.test", 17, hash, n)
   || !cdbwrite_add(&w, "broken@example.test", 19, "{PLAIN}x", 8)
   || !cdbwrite_finish(&w, 0600, (uid_t)-1, (gid_t)-1))
  {
    cdbwrite_abort(&w) ;
    return 0 ;
  }
  return 1 ;
}

/* Runs authd with fd 0 = fd 1 = one end of a socketpair. */
static pid_t spawn_authd (int *fd, char const *delay)
{
  int sv[2] ;
  pid_t pid ;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return -1 ;
  pid = fork() ;
  if (pid < 0) return -1 ;
  if (!pid)
  {
    int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600) ;
    if (log < 0 || dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0 || dup2(log, 2) < 0) _exit(111) ;
    close(sv[0]) ;
    close(sv[1]) ;
    close(log) ;
    unsetenv("PH_ENVFILE") ;
    setenv("PH_CDB_DIR", tmpdir, 1) ;
    setenv("PH_AUTH_FAIL_DELAY", delay, 1) ;
    setenv("PH_AUTH_IDLE_TIMEOUT", "20", 1) ;
    /* as s6-ipcserver would say: root, whose rip= authd believes */
    setenv("IPCREMOTEEUID", "0", 1) ;
    execl(authd_path, "authd", (char *)0) ;
    _exit(127) ;
  }
  close(sv[1]) ;
  *fd = sv[0] ;
  return pid ;
}

/* Runs a scripted server: writes script, then reads until EOF. */
static pid_t spawn_script (int *fd, char const *script, size_t len)
{
  int sv[2] ;
  pid_t pid ;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return -1 ;
  pid = fork() ;
  if (pid < 0) return -1 ;
  if (!pid)
  {
    char buf[4096] ;
    close(sv[0]) ;
    if (allwrite(sv[1], script, len) != len) _exit(1) ;
    while (read(sv[1], buf, sizeof(buf)) > 0) ;
    _exit(0) ;
  }
  close(sv[1]) ;
  *fd = sv[0] ;
  return pid ;
}

static int reap (pid_t pid)
{
  int wstat ;
  if (waitpid(pid, &wstat, 0) != pid) return -1 ;
  return WIFEXITED(wstat) ? WEXITSTATUS(wstat) : 128 + WTERMSIG(wstat) ;
}

static int logged (char const *needle)
{
  static stralloc sa = STRALLOC_ZERO ;
  int found ;
  sa.len = 0 ;
  if (!openslurpclose(&sa, logpath) || !stralloc_0(&sa)) return 0 ;
  found = !!strstr(sa.s, needle) ;
  return found ;
}

static authclient_request const smtp = { .mech = "PLAIN", .service = "smtp", .rip = "192.0.2.7", .lip = "127.0.0.1", .secured = 1 } ;

/* base64 of "\0demo@example.test\0s3cret\tpw" and friends */
#define PLAIN_OK "AGRlbW9AZXhhbXBsZS50ZXN0AHMzY3JldAlwdw=="
#define PLAIN_BAD "AGRlbW9AZXhhbXBsZS50ZXN0AHdyb25n"
#define PLAIN_BROKEN "AGJyb2tlbkBleGFtcGxlLnRlc3QAeA=="
#define B64_USER "ZGVtb0BleGFtcGxlLnRlc3Q="
#define B64_PASS "czNjcmV0CXB3"

static void test_against_authd (void)
{
  tain d ;
  int fd ;
  pid_t pid = spawn_authd(&fd, "0") ;
  if (pid < 0) { CHECK(0, "authd_spawn") ; return ; }
  deadline_in(&d, 5000) ;
  CHECK(authclient_start_fd(&ac, fd, &d) && !strcmp(ac.mechs, "PLAIN LOGIN") && ac.cuid == (uint32_t)pid && strlen(ac.cookie) == 32, "authd_handshake") ;

  deadline_in(&d, 5000) ;
  CHECK(authclient_auth(&ac, &smtp, PLAIN_OK, strlen(PLAIN_OK), &r, &d) == AUTHCLIENT_OK && !strcmp(r.text, "demo@example.test") && !ac.id, "authd_plain_initial_response_ok") ;

  deadline_in(&d, 5000) ;
  CHECK(authclient_auth(&ac, &smtp, 0, 0, &r, &d) == AUTHCLIENT_CONT && r.len == 0 && ac.id, "authd_plain_empty_challenge") ;
  CHECK(authclient_cont(&ac, PLAIN_OK, strlen(PLAIN_OK), &r, &d) == AUTHCLIENT_OK && !strcmp(r.text, "demo@example.test"), "authd_plain_after_challenge_ok") ;

  deadline_in(&d, 5000) ;
  CHECK(authclient_auth(&ac, &smtp, "", 0, &r, &d) == AUTHCLIENT_CONT && r.len == 0, "authd_empty_initial_response_is_none") ;
  CHECK(authclient_cont(&ac, PLAIN_BAD, strlen(PLAIN_BAD), &r, &d) == AUTHCLIENT_FAIL && !r.temp, "authd_plain_wrong_password_fails") ;

  {
    authclient_request login = smtp ;
    login.mech = "login" ;
    deadline_in(&d, 5000) ;
    CHECK(authclient_auth(&ac, &login, 0, 0, &r, &d) == AUTHCLIENT_CONT && !strcmp(r.text, "VXNlcm5hbWU6"), "authd_login_asks_username") ;
    CHECK(authclient_cont(&ac, B64_USER, strlen(B64_USER), &r, &d) == AUTHCLIENT_CONT && !strcmp(r.text, "UGFzc3dvcmQ6"), "authd_login_asks_password") ;
    CHECK(authclient_cont(&ac, B64_PASS, strlen(B64_PASS), &r, &d) == AUTHCLIENT_OK && !strcmp(r.text, "demo@example.test"), "authd_login_ok") ;
  }

  deadline_in(&d, 5000) ;
  CHECK(authclient_auth(&ac, &smtp, PLAIN_BROKEN, strlen(PLAIN_BROKEN), &r, &d) == AUTHCLIENT_FAIL && r.temp, "authd_lookup_error_is_temp_fail") ;

  {
    /* A client trying to slip a parameter in: the TAB is escaped, so
     * authd sees one field and refuses its base64. */
    char const *evil = PLAIN_OK "\tservice=evil\tresp=" PLAIN_OK ;
    deadline_in(&d, 5000) ;
    CHECK(authclient_auth(&ac, &smtp, evil, strlen(evil), &r, &d) == AUTHCLIENT_FAIL && ac.fd >= 0, "authd_tab_injection_escaped") ;
    CHECK(logged("reason=bad_base64"), "authd_saw_bad_base64") ;
    evil = "AGRl\nCONT\t1\tAA==" ;
    CHECK(authclient_auth(&ac, &smtp, evil, strlen(evil), &r, &d) == AUTHCLIENT_FAIL && ac.fd >= 0, "authd_newline_injection_escaped") ;
  }

  deadline_in(&d, 5000) ;
  CHECK(!authclient_auth(&ac, &smtp, "AG\0x", 4, &r, &d) && errno == EINVAL && ac.fd >= 0 && !ac.id, "auth_nul_refused_connection_kept") ;
  CHECK(!authclient_cont(&ac, "AA==", 4, &r, &d) && errno == EINVAL && ac.fd >= 0, "cont_without_request") ;
  {
    static char huge[AUTHCLIENT_SEND_MAX + 1] ;
    memset(huge, 'A', sizeof(huge)) ;
    CHECK(!authclient_auth(&ac, &smtp, huge, sizeof(huge), &r, &d) && errno == EMSGSIZE && ac.fd >= 0, "auth_too_long_refused_connection_kept") ;
  }
  {
    authclient_request nosvc = smtp ;
    nosvc.service = "" ;
    CHECK(!authclient_auth(&ac, &nosvc, 0, 0, &r, &d) && errno == EINVAL, "auth_requires_service") ;
  }
  CHECK(authclient_auth(&ac, &smtp, PLAIN_OK, strlen(PLAIN_OK), &r, &d) == AUTHCLIENT_OK, "authd_connection_still_usable") ;
  CHECK(logged("event=auth_ok") && logged("ip=192.0.2.7") && logged("service=smtp") && logged("secured=yes"), "authd_logged_request_params") ;

  /* cancel in the middle of LOGIN */
  {
    authclient_request login = smtp ;
    login.mech = "LOGIN" ;
    CHECK(authclient_auth(&ac, &login, 0, 0, &r, &d) == AUTHCLIENT_CONT, "authd_login_started") ;
    authclient_abort(&ac) ;
    CHECK(ac.fd < 0 && !authclient_auth(&ac, &smtp, 0, 0, &r, &d) && errno == ENOTCONN, "abort_closes") ;
  }
  CHECK(reap(pid) == 0, "authd_exits_cleanly_after_abort") ;
}

static void test_authd_delay_and_death (void)
{
  tain d ;
  int fd ;
  pid_t pid = spawn_authd(&fd, "2") ;
  if (pid < 0) { CHECK(0, "authd_spawn_delayed") ; return ; }
  deadline_in(&d, 5000) ;
  CHECK(authclient_start_fd(&ac, fd, &d), "authd_delayed_handshake") ;
  deadline_in(&d, 300) ;
  CHECK(!authclient_auth(&ac, &smtp, PLAIN_BAD, strlen(PLAIN_BAD), &r, &d) && errno == ETIMEDOUT && ac.fd < 0, "deadline_before_delayed_fail") ;
  CHECK(reap(pid) == 0, "authd_delayed_exits") ;

  pid = spawn_authd(&fd, "0") ;
  deadline_in(&d, 5000) ;
  CHECK(pid > 0 && authclient_start_fd(&ac, fd, &d), "authd_second_handshake") ;
  kill(pid, SIGKILL) ;
  reap(pid) ;
  {
    int ok = authclient_auth(&ac, &smtp, PLAIN_OK, strlen(PLAIN_OK), &r, &d) ;
    CHECK(!ok && (errno == EPIPE || errno == ECONNRESET) && ac.fd < 0, "server_gone_is_epipe") ;
  }
}

static void script_case (char const *name, char const *script, int want_ok, int want_errno)
{
  tain d ;
  int fd, ok ;
  pid_t pid = spawn_script(&fd, script, strlen(script)) ;
  if (pid < 0) { CHECK(0, name) ; return ; }
  deadline_in(&d, 400) ;
  ok = authclient_start_fd(&ac, fd, &d) ;
  CHECK(want_ok ? ok : (!ok && errno == want_errno && ac.fd < 0), name) ;
  authclient_close(&ac) ;
  reap(pid) ;
}

static void test_scripted (void)
{
  static char longline[AUTHCLIENT_LINE_MAX + 64] ;
  script_case("script_minimal_ok", "VERSION\t1\t1\nMECH\tPLAIN\nDONE\n", 1, 0) ;
  script_case("script_crlf_refused", "VERSION\t1\t1\r\nMECH\tPLAIN\r\nDONE\r\n", 0, EPROTO) ;
  script_case("script_no_done_times_out", "VERSION\t1\t1\nMECH\tPLAIN\n", 0, ETIMEDOUT) ;
  script_case("script_partial_line_times_out", "VERSION\t1\t1\nMECH\tPLA", 0, ETIMEDOUT) ;
  memcpy(longline, "VERSION\t1\t1\nMECH\tPLAIN\nX", 24) ;
  memset(longline + 24, 'A', AUTHCLIENT_LINE_MAX + 10) ;
  longline[24 + AUTHCLIENT_LINE_MAX + 10] = '\n' ;
  script_case("script_long_line_refused", longline, 0, EPROTO) ;
  {
    /* The server closes right after DONE is missing: EOF. */
    tain d ;
    int sv[2] ;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) { CHECK(0, "script_eof") ; return ; }
    if (allwrite(sv[1], "VERSION\t1\t1\n", 12) != 12) { CHECK(0, "script_eof") ; return ; }
    close(sv[1]) ;
    deadline_in(&d, 400) ;
    CHECK(!authclient_start_fd(&ac, sv[0], &d) && errno == EPIPE, "script_eof") ;
  }
  {
    /* A server that answers another id, then one that sends junk. */
    tain d ;
    int fd ;
    char const *s = "VERSION\t1\t1\nMECH\tPLAIN\nDONE\nOK\t2\tuser=x\n" ;
    pid_t pid = spawn_script(&fd, s, strlen(s)) ;
    deadline_in(&d, 2000) ;
    CHECK(authclient_start_fd(&ac, fd, &d) && !authclient_auth(&ac, &smtp, 0, 0, &r, &d) && errno == EPROTO && ac.fd < 0, "script_reply_to_other_id") ;
    reap(pid) ;
    s = "VERSION\t1\t1\nMECH\tPLAIN\nDONE\nCONT\t1\t\001\n" ;
    pid = spawn_script(&fd, s, strlen(s)) ;
    deadline_in(&d, 2000) ;
    ac.lastid = 0 ;
    CHECK(authclient_start_fd(&ac, fd, &d) && !authclient_auth(&ac, &smtp, 0, 0, &r, &d) && errno == EPROTO, "script_junk_challenge") ;
    reap(pid) ;
  }
}

int main (int argc, char const *const *argv)
{
  char const *slash = strrchr(argv[0], '/') ;
  size_t dirlen = slash ? (size_t)(slash - argv[0]) : 1 ;
  (void)argc ;
  signal(SIGPIPE, SIG_IGN) ;
  if (dirlen + 20 > sizeof(authd_path)) return 111 ;
  /* build/tests/test_authclient -> build/bin/authd */
  memcpy(authd_path, slash ? argv[0] : ".", dirlen) ;
  memcpy(authd_path + dirlen, "/../bin/authd", 14) ;
  tain_now_set_stopwatch_g() ;

  test_reply_parser() ;
  test_handshake_parser() ;
  test_escaping() ;
  test_scripted() ;

  if (!mkdtemp(tmpdir)) { CHECK(0, "mkdtemp") ; return check_done() ; }
  memcpy(logpath, tmpdir, strlen(tmpdir)) ;
  memcpy(logpath + strlen(tmpdir), "/authd.log", 11) ;
  CHECK(access(authd_path, X_OK) == 0, "authd_binary_present") ;
  CHECK(make_passwd(tmpdir), "passwd_cdb_written") ;
  test_against_authd() ;
  test_authd_delay_and_death() ;
  authclient_close(&ac) ;
  rm_rf(tmpdir) ;
  return check_done() ;
}
