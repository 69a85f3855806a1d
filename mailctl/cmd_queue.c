/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "cmd_queue.h"

/* mailctl queue: Postfix's postqueue/postsuper verbs, done by queued
 * itself through its control socket, so that nothing races the
 * scheduler: list, show ID, flush, retry ID, delete ID (no bounce; the
 * log says who), hold ID, release ID. */

#define dieusage() strerr_dieusage(100, MC_USAGE_QUEUE)

static void config (void)
{
  if (!config_init())
  {
    if (config_error_line()) strerr_dief1x(100, "syntax error in $PH_ENVFILE") ;
    strerr_diefu1sys(111, "read $PH_ENVFILE") ;
  }
}

void mcq_ask (char const *command, stralloc *reply)
{
  stralloc path = STRALLOC_ZERO ;
  char const *qdir = config_get("PH_QUEUE_DIR") ;
  tain deadline ;
  size_t sent = 0, len = strlen(command) ;
  int fd ;
  if (!qdir) strerr_dienotset(100, "PH_QUEUE_DIR") ;
  if (!stralloc_cats(&path, qdir) || !stralloc_cats(&path, "/control") || !stralloc_0(&path))
    strerr_diefu1sys(111, "allocate memory") ;
  fd = ipc_stream_nbcoe() ;
  if (fd < 0) strerr_diefu1sys(111, "create a socket") ;
  if (!ipc_connect(fd, path.s)) strerr_diefu3sys(111, "connect to ", path.s, " (is queued running?)") ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, MCQ_TIMEOUT) ;
  /* One short line out, then everything in until queued closes; bounded
   * in time and in size. */
  for (;;)
  {
    iopause_fd x = { .fd = fd, .events = sent < len + 1 ? IOPAUSE_WRITE : IOPAUSE_READ } ;
    int r = iopause_g(&x, 1, &deadline) ;
    if (r < 0) strerr_diefu1sys(111, "iopause") ;
    if (!r) strerr_dief1x(111, "queued did not answer in time") ;
    if (sent < len + 1)
    {
      ssize_t w = sent < len ? fd_write(fd, command + sent, len - sent) : fd_write(fd, "\n", 1) ;
      if (w < 0) { if (error_isagain(errno)) continue ; strerr_diefu1sys(111, "write to queued") ; }
      sent += (size_t)w ;
      continue ;
    }
    if (!stralloc_readyplus(reply, 65536)) strerr_diefu1sys(111, "allocate memory") ;
    {
      ssize_t n = fd_read(fd, reply->s + reply->len, 65536) ;
      if (n < 0) { if (error_isagain(errno)) continue ; strerr_diefu1sys(111, "read from queued") ; }
      if (!n) break ;
      reply->len += (size_t)n ;
      if (reply->len > MCQ_REPLY_MAX) strerr_dief1x(111, "answer from queued too large") ;
    }
  }
  fd_close(fd) ;
  stralloc_free(&path) ;
  /* Lines are LF-terminated and NUL-free: make each a C string. */
  for (size_t i = 0 ; i < reply->len ; i++)
    if (!reply->s[i]) reply->s[i] = '?' ;
  if (!reply->len || reply->s[reply->len - 1] != '\n') strerr_dief1x(111, "incomplete answer from queued") ;
}

static int needs_id (char const *verb)
{
  static char const *const v[] = { "show", "retry", "delete", "hold", "release", 0 } ;
  for (char const *const *p = v ; *p ; p++) if (!strcmp(verb, *p)) return 1 ;
  return 0 ;
}

int mc_queue (int argc, char const *const *argv)
{
  stralloc cmd = STRALLOC_ZERO ;
  stralloc reply = STRALLOC_ZERO ;
  int r ;
  if (argc < 1) dieusage() ;
  config() ;
  if (!strcmp(argv[0], "list") || !strcmp(argv[0], "flush"))
  {
    if (argc != 1) dieusage() ;
  }
  else if (needs_id(argv[0]))
  {
    size_t n = strlen(argv[1] ? argv[1] : "") ;
    if (argc != 2 || n < 12 || n > 24) dieusage() ;
    for (size_t i = 0 ; i < n ; i++)
    {
      char c = argv[1][i] ;
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
        strerr_dief2x(100, "not a queue id: ", argv[1]) ;
    }
  }
  else dieusage() ;
  if (!stralloc_cats(&cmd, argv[0]) || (argc == 2 && (!stralloc_catb(&cmd, " ", 1) || !stralloc_cats(&cmd, argv[1])))
   || !stralloc_0(&cmd)) strerr_diefu1sys(111, "allocate memory") ;
  mcq_ask(cmd.s, &reply) ;
  if (!strcmp(argv[0], "list")) r = mcq_print_list(&reply) ;
  else if (!strcmp(argv[0], "show")) r = mcq_print_show(&reply) ;
  else r = mcq_print_status(&reply) ;
  stralloc_free(&cmd) ;
  stralloc_free(&reply) ;
  return r ;
}

int mc_mailq (int argc, char const *const *argv)
{
  stralloc reply = STRALLOC_ZERO ;
  int r ;
  (void)argv ;
  if (argc > 1) strerr_dieusage(100, "mailq") ;
  config() ;
  mcq_ask("list", &reply) ;
  r = mcq_print_mailq(&reply) ;
  stralloc_free(&reply) ;
  return r ;
}
