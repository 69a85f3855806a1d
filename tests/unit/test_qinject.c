/* ISC license. */

/* common/qinject: the bytes it sends (netstrings, chunking, envelope and
 * message ends), the answers it reads (K, Z, D, early answers, bad or
 * missing answers, deadlines), against a fake server in a child. */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/qinject.h"
#include "tests/unit/check.h"

static char sockpath[64] ;
static char reply[256] ;
static qinject q ;

/* Server behaviours. */
#define SRV_ECHO_CHECK 1   /* read `expect` exactly, answer `ans`, then same again if twice */
#define SRV_EARLY 2        /* read `expect` bytes, answer `ans` at once, close */
#define SRV_SILENT 3       /* read everything, never answer */

static int listener (void)
{
  int fd = ipc_stream_b() ;
  if (fd < 0) return -1 ;
  unlink(sockpath) ;
  if (ipc_bind(fd, sockpath) < 0 || ipc_listen(fd, 4) < 0) return -1 ;
  return fd ;
}

/* Forks a server that accepts one connection. */
static pid_t serve (int lfd, int mode, char const *expect, size_t elen, char const *ans, unsigned int rounds)
{
  pid_t pid = fork() ;
  if (pid) return pid ;
  {
    int c = ipc_accept(lfd, 0, 0, 0) ;
    char *buf = malloc(elen + 1) ;
    if (c < 0 || !buf) _exit(2) ;
    for (unsigned int i = 0 ; i < rounds ; i++)
    {
      if (allread(c, buf, elen) != elen) _exit(3) ;
      if (mode == SRV_EARLY)
      {
        allwrite(c, ans, strlen(ans)) ;
        close(c) ;
        _exit(0) ;
      }
      if (mode == SRV_SILENT) { sleep(5) ; _exit(0) ; }
      if (memcmp(buf, expect, elen)) { allwrite(c, "Dmismatch\n", 10) ; _exit(4) ; }
      allwrite(c, ans, strlen(ans)) ;
    }
    {
      char x ;
      if (read(c, &x, 1) != 0) _exit(5) ;  /* the client closes cleanly */
    }
    _exit(0) ;
  }
}

static int child_ok (pid_t pid)
{
  int w ;
  if (waitpid(pid, &w, 0) != pid) return 0 ;
  return WIFEXITED(w) && WEXITSTATUS(w) == 0 ;
}

static void deadline_in (tain *d, int secs)
{
  tain_now_g() ;
  tain_addsec_g(d, secs) ;
}

static int send_envelope (void)
{
  tain d ;
  deadline_in(&d, 5) ;
  return qinject_field(&q, 'F', "a@b.example", 11, &d)
      && qinject_field(&q, 'T', "c@d.example", 11, &d)
      && qinject_field(&q, 'N', "NOTIFY=NEVER", 12, &d) ;
}

static char const env_bytes[] = "12:Fa@b.example,12:Tc@d.example,13:NNOTIFY=NEVER," ;

int main (void)
{
  int lfd ;
  tain d ;
  signal(SIGPIPE, SIG_IGN) ;
  tain_now_set_stopwatch_g() ;
  memcpy(sockpath, "/tmp/test_qinject.", 18) ;
  {
    size_t n = 18 + uint_fmt(sockpath + 18, (unsigned int)getpid()) ;
    sockpath[n] = 0 ;
  }
  lfd = listener() ;
  CHECK(lfd >= 0, "listen") ;
  if (lfd < 0) return check_done() ;

  /* 1. One message, two rounds on one connection. */
  {
    stralloc e = STRALLOC_ZERO ;
    pid_t pid ;
    char c1, c2 ;
    stralloc_cats(&e, env_bytes) ;
    stralloc_cats(&e, "0:,14:Subject: x\n\nhi,3:\n.\n,0:,") ;
    pid = serve(lfd, SRV_ECHO_CHECK, e.s, e.len, "K0123456789ABC\n", 2) ;
    deadline_in(&d, 5) ;
    CHECK(qinject_connect(&q, sockpath, &d), "connect") ;
    CHECK(send_envelope(), "envelope sent") ;
    CHECK(qinject_data(&q, "Subject: x\n\nhi", 14, &d) && qinject_data(&q, "", 0, &d) && qinject_data(&q, "\n.\n", 3, &d), "data sent (empty chunk sends nothing)") ;
    c1 = qinject_finish(&q, reply, sizeof(reply), &d) ;
    CHECK(c1 == 'K' && !strcmp(reply + 1, "0123456789ABC"), "K answer with queue id") ;
    CHECK(send_envelope(), "second envelope") ;
    CHECK(qinject_data(&q, "Subject: x\n\nhi", 14, &d) && qinject_data(&q, "\n.\n", 3, &d), "second data") ;
    c2 = qinject_finish(&q, reply, sizeof(reply), &d) ;
    CHECK(c2 == 'K', "second message on the same connection") ;
    qinject_close(&q) ;
    CHECK(child_ok(pid), "server saw exactly the expected netstrings") ;
    stralloc_free(&e) ;
  }

  /* 2. A body over 64 KiB is cut into 65536-byte netstrings. */
  {
    size_t big = 65536 + 100 ;
    char *body = malloc(big) ;
    stralloc e = STRALLOC_ZERO ;
    pid_t pid ;
    memset(body, 'x', big) ;
    stralloc_cats(&e, env_bytes) ;
    stralloc_cats(&e, "0:,65536:") ;
    stralloc_catb(&e, body, 65536) ;
    stralloc_cats(&e, ",100:") ;
    stralloc_catb(&e, body, 100) ;
    stralloc_cats(&e, ",0:,") ;
    pid = serve(lfd, SRV_ECHO_CHECK, e.s, e.len, "Z4.3.1 insufficient system storage\n", 1) ;
    deadline_in(&d, 5) ;
    CHECK(qinject_connect(&q, sockpath, &d) && send_envelope() && qinject_data(&q, body, big, &d), "big body sent") ;
    CHECK(qinject_finish(&q, reply, sizeof(reply), &d) == 'Z' && !strcmp(reply, "Z4.3.1 insufficient system storage"), "Z answer passed through") ;
    qinject_close(&q) ;
    CHECK(child_ok(pid), "chunks of 65536 bytes") ;
    free(body) ;
    stralloc_free(&e) ;
  }

  /* 3. Early answer: the server refuses after the envelope and closes
   *    while the client is still sending a large body. */
  {
    size_t big = 4 << 20 ;
    char *body = malloc(big) ;
    pid_t pid ;
    int sent ;
    char c ;
    memset(body, 'y', big) ;
    pid = serve(lfd, SRV_EARLY, env_bytes, sizeof(env_bytes) - 1, "D5.3.4 message too big\n", 1) ;
    deadline_in(&d, 5) ;
    CHECK(qinject_connect(&q, sockpath, &d) && send_envelope(), "early: envelope sent") ;
    sent = qinject_data(&q, body, big, &d) ;
    CHECK(!sent && (errno == EPIPE || errno == ECONNRESET), "early: sending fails once the server closed") ;
    c = qinject_early(&q, reply, sizeof(reply)) ;
    CHECK(c == 'D' && !strcmp(reply, "D5.3.4 message too big"), "qinject_early reads the early answer") ;
    qinject_close(&q) ;
    CHECK(child_ok(pid), "early: server exited") ;
    free(body) ;
  }

  /* 4. Early answer seen only by qinject_finish. */
  {
    pid_t pid = serve(lfd, SRV_EARLY, env_bytes, sizeof(env_bytes) - 1, "Z4.3.0 queue write error\n", 1) ;
    deadline_in(&d, 5) ;
    CHECK(qinject_connect(&q, sockpath, &d) && send_envelope(), "early2: envelope sent") ;
    CHECK(qinject_finish(&q, reply, sizeof(reply), &d) == 'Z', "qinject_finish returns an early Z") ;
    qinject_close(&q) ;
    child_ok(pid) ;
  }

  /* 5. No early answer pending: qinject_early returns 0 and keeps nothing. */
  {
    stralloc e = STRALLOC_ZERO ;
    pid_t pid ;
    stralloc_cats(&e, env_bytes) ;
    stralloc_cats(&e, "0:,1:a,0:,") ;
    pid = serve(lfd, SRV_ECHO_CHECK, e.s, e.len, "K0123456789ABCD\n", 1) ;
    deadline_in(&d, 5) ;
    CHECK(qinject_connect(&q, sockpath, &d) && send_envelope() && qinject_data(&q, "a", 1, &d), "quiet: sent") ;
    CHECK(qinject_early(&q, reply, sizeof(reply)) == 0, "qinject_early is 0 without an answer") ;
    CHECK(qinject_finish(&q, reply, sizeof(reply), &d) == 'K', "then finish gets K") ;
    qinject_close(&q) ;
    CHECK(child_ok(pid), "quiet: server ok") ;
    stralloc_free(&e) ;
  }

  /* 6. Local refusals. */
  {
    char big[4097] ;
    memset(big, 'a', sizeof(big)) ;
    q.fd = -1 ;
    deadline_in(&d, 5) ;
    CHECK(qinject_connect(&q, "/nonexistent/sock", &d) == 0, "connect to a missing socket fails") ;
    {
      pid_t pid = serve(lfd, SRV_SILENT, "", 0, "", 1) ;
      deadline_in(&d, 5) ;
      CHECK(qinject_connect(&q, sockpath, &d), "connect for refusals") ;
      CHECK(!qinject_field(&q, 'T', big, sizeof(big), &d) && errno == EMSGSIZE, "field over 4096 bytes refused") ;
      CHECK(qinject_field(&q, 'F', "", 0, &d), "null sender is an empty F") ;
      CHECK(qinject_data(&q, "x", 1, &d), "data") ;
      CHECK(!qinject_field(&q, 'T', "a@b", 3, &d) && errno == EINVAL, "field after data refused") ;
      deadline_in(&d, 1) ;
      CHECK(qinject_finish(&q, reply, sizeof(reply), &d) == 0 && errno == ETIMEDOUT, "no answer: ETIMEDOUT at the deadline") ;
      qinject_close(&q) ;
      kill(pid, SIGKILL) ;
      waitpid(pid, 0, 0) ;
    }
  }

  /* 7. A malformed answer is EPROTO. */
  {
    stralloc e = STRALLOC_ZERO ;
    pid_t pid ;
    stralloc_cats(&e, env_bytes) ;
    stralloc_cats(&e, "0:,1:a,0:,") ;
    pid = serve(lfd, SRV_ECHO_CHECK, e.s, e.len, "250 ok\n", 1) ;
    deadline_in(&d, 5) ;
    CHECK(qinject_connect(&q, sockpath, &d) && send_envelope() && qinject_data(&q, "a", 1, &d), "bad answer: sent") ;
    CHECK(qinject_finish(&q, reply, sizeof(reply), &d) == 0 && errno == EPROTO, "unknown answer letter is EPROTO") ;
    qinject_close(&q) ;
    child_ok(pid) ;
    stralloc_free(&e) ;
  }

  unlink(sockpath) ;
  return check_done() ;
}
