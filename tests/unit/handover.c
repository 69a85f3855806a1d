/* ISC license. */

/* common/handover: both sides over a real Unix socket. A child plays
 * the session spawner (handover_receive, then an answer); the parent
 * plays imapd (handover_send). Checks the fds really travel (a byte
 * written into the received write fd comes out of the parent's pipe),
 * the fields and pending bytes arrive as sent, the K/Z/D answers, and
 * the parser's refusals. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/handover.h"
#include "tests/unit/check.h"

static char path[64] ;

/* The spawner: accepts one connection, receives, checks what the test
 * expects, writes "x" into the received write fd, answers code. Exit 0
 * when everything matched. */
static void spawner (int lfd, char code, char const *text)
{
  handover h = HANDOVER_ZERO ;
  tain deadline ;
  int fd = ipc_accept(lfd, 0, 0, 0) ;
  if (fd < 0) _exit(10) ;
  tain_now_g() ;
  tain_addsec_g(&deadline, 5) ;
  if (!handover_receive(fd, &h, &deadline)) _exit(11) ;
  if (strcmp(handover_get(&h, "service"), "imap") || strcmp(handover_get(&h, "tag"), "a1")) _exit(12) ;
  if (handover_get(&h, "nosuch")) _exit(13) ;
  if (h.pendinglen != 8 || memcmp(h.pending, "b NOOP\r\n", 8)) _exit(14) ;
  if (fd_write(h.fd[1], "x", 1) != 1) _exit(15) ;
  if (!handover_answer(fd, code, text, &deadline)) _exit(16) ;
  handover_free(&h) ;
  _exit(0) ;
}

static int one (char code, char const *text, char *got, size_t gotmax, char *fromfd)
{
  int p[2], lfd, r, wstat ;
  pid_t pid ;
  stralloc f = STRALLOC_ZERO ;
  tain deadline ;
  /* blocking: the spawner may reach accept() before we connect */
  lfd = ipc_stream_b() ;
  unlink(path) ;
  if (lfd < 0 || ipc_bind(lfd, path) < 0 || ipc_listen(lfd, 1) < 0 || pipe(p) < 0) return -1 ;
  pid = fork() ;
  if (pid < 0) return -1 ;
  if (!pid) spawner(lfd, code, text) ;
  fd_close(lfd) ;
  if (!handover_field(&f, "service", "imap") || !handover_field(&f, "ticket", "0123") || !handover_field(&f, "tag", "a1")) return -1 ;
  tain_now_g() ;
  tain_addsec_g(&deadline, 5) ;
  r = handover_send(path, p[0], p[1], f.s, f.len, "b NOOP\r\n", 8, got, gotmax, &deadline) ;
  /* our write end closed first: a spawner that died gives EOF, not a hang */
  fd_close(p[1]) ;
  if (read(p[0], fromfd, 1) != 1) *fromfd = 0 ;
  fd_close(p[0]) ;
  waitpid(pid, &wstat, 0) ;
  stralloc_free(&f) ;
  if (!WIFEXITED(wstat) || WEXITSTATUS(wstat)) return -100 - (WIFEXITED(wstat) ? WEXITSTATUS(wstat) : 99) ;
  return r ;
}

int main (void)
{
  char text[HANDOVER_ANSWER_MAX] ;
  char c ;
  int r ;
  size_t fl ;
  memcpy(path, "/tmp/handover-test.", 19) ;
  {
    char pidfmt[20] ;
    size_t n = 0 ;
    unsigned long v = (unsigned long)getpid() ;
    do { pidfmt[n++] = '0' + v % 10 ; v /= 10 ; } while (v) ;
    for (size_t i = 0 ; i < n ; i++) path[19 + i] = pidfmt[n - 1 - i] ;
    path[19 + n] = 0 ;
  }

  r = one('K', 0, text, sizeof(text), &c) ;
  CHECK(r == 'K', "answer_K") ;
  CHECK(c == 'x', "fds_travel") ;
  r = one('Z', "busy\ttry later", text, sizeof(text), &c) ;
  CHECK(r == 'Z' && !strcmp(text, "busytry later"), "answer_Z_text_without_controls") ;
  r = one('D', "bad ticket", text, sizeof(text), &c) ;
  CHECK(r == 'D' && !strcmp(text, "bad ticket"), "answer_D") ;
  unlink(path) ;
  {
    tain deadline ;
    tain_now_g() ;
    tain_addsec_g(&deadline, 2) ;
    r = handover_send(path, 0, 1, "service=imap", 13, "", 0, text, sizeof(text), &deadline) ;
    CHECK(!r && (errno == ENOENT || errno == ECONNREFUSED), "no_spawner") ;
  }

  CHECK(handover_parse("service=imap\0ticket=x\0\0rest", 28, &fl) && fl == 22, "parse_ok") ;
  CHECK(!handover_parse("ticket=x\0service=imap\0\0", 23, &fl) && errno == EPROTO, "parse_service_first") ;
  CHECK(!handover_parse("service=imap\0ticket=x\0", 22, &fl) && errno == EPROTO, "parse_no_end_mark") ;
  CHECK(!handover_parse("service=imap\0bad key=x\0\0", 24, &fl) && errno == EPROTO, "parse_bad_key") ;
  CHECK(!handover_parse("service=imap\0k=a\rb\0\0", 20, &fl) && errno == EPROTO, "parse_cr_in_value") ;
  CHECK(!handover_parse("\0", 1, &fl) && errno == EPROTO, "parse_no_fields") ;
  {
    static char big[13 + 1 + HANDOVER_PENDING_MAX + 1] ;
    memcpy(big, "service=imap\0\0", 14) ;
    CHECK(handover_parse(big, 14 + HANDOVER_PENDING_MAX, &fl), "parse_pending_max") ;
    CHECK(!handover_parse(big, 14 + HANDOVER_PENDING_MAX + 1, &fl) && errno == EMSGSIZE, "parse_pending_over") ;
  }
  {
    stralloc f = STRALLOC_ZERO ;
    CHECK(!handover_field(&f, "user", "a\r\nb") && errno == EINVAL, "field_refuses_crlf") ;
    CHECK(!handover_field(&f, "us er", "a") && errno == EINVAL, "field_refuses_bad_key") ;
    CHECK(handover_field(&f, "tag", "A001") && f.len == 9 && !memcmp(f.s, "tag=A001", 9), "field_ok") ;
    stralloc_free(&f) ;
  }
  return check_done() ;
}
