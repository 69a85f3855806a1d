/* ISC license. */

/* $PH_STATE/queue-stats/counts (queued/qstats.h). The directory is made
 * by mkruntime (owner phqueue, mode 0755): phqueue cannot write
 * $PH_STATE itself, and the queue directory is 0700. The states are the
 * ones "list" shows (queued/qctl.c), so the two never disagree on what
 * a message is doing. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>  /* rename() only */
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/posixplz.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/log.h"
#include "queued/qmsg.h"
#include "queued/qsched.h"
#include "queued/qstats.h"

enum { QS_ACTIVE, QS_DEFERRED, QS_HELD, QS_WAITING, QS_TOTAL, QS_N } ;
static char const *const qs_names[QS_N] = { "active", "deferred", "held", "waiting", "total" } ;

static uint64_t last_counts[QS_N] ;
static int written = 0 ;      /* last_counts is what the file holds */
static int warned = 0 ;
static tain last = TAIN_ZERO ;

/* The classification of qctl.c's msg_state: a message being deleted
 * counts only in the total; filtering counts as active. */
static void count (uint64_t *c)
{
  size_t n = qsched_count() ;
  memset(c, 0, QS_N * sizeof(uint64_t)) ;
  for (size_t j = 0 ; j < n ; j++)
  {
    qmsg const *m = qsched_at(j) ;
    if (!m->npending && !m->deleted) continue ;
    c[QS_TOTAL]++ ;
    if (m->deleted) continue ;
    if (m->held) { c[QS_HELD]++ ; continue ; }
    if (m->fstate == QFILTER_PENDING || m->fstate == QFILTER_RUNNING || m->ninflight) { c[QS_ACTIVE]++ ; continue ; }
    {
      int deferred = 0 ;
      for (size_t i = 0 ; i < qmsg_nrcpt(m) ; i++)
        if (qmsg_rcpt(m, i)->state == QRCPT_PENDING && qmsg_rcpt(m, i)->delay) { deferred = 1 ; break ; }
      c[deferred ? QS_DEFERRED : QS_WAITING]++ ;
    }
  }
}

/* Written to counts.tmp (mode 0644 whatever the umask) and renamed over
 * counts, so a reader sees the old file or the new one, never a part. */
static int write_counts (uint64_t const *c)
{
  char const *state = config_get("PH_STATE") ;
  stralloc path = STRALLOC_ZERO, tmp = STRALLOC_ZERO ;
  char body[QS_N * (16 + UINT64_FMT)] ;
  size_t len = 0 ;
  int fd, ok = 0 ;
  if (!state) { errno = EINVAL ; return 0 ; }
  for (unsigned int k = 0 ; k < QS_N ; k++)
  {
    size_t l = strlen(qs_names[k]) ;
    memcpy(body + len, qs_names[k], l) ; len += l ;
    body[len++] = ' ' ;
    len += uint64_fmt(body + len, c[k]) ;
    body[len++] = '\n' ;
  }
  if (!stralloc_cats(&path, state) || !stralloc_cats(&path, "/queue-stats/counts")
   || !stralloc_copyb(&tmp, path.s, path.len) || !stralloc_cats(&tmp, ".tmp")
   || !stralloc_0(&tmp) || !stralloc_0(&path)) goto end ;
  fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644) ;
  if (fd < 0) goto end ;
  if (fchmod(fd, 0644) < 0 || allwrite(fd, body, len) != len)
  {
    int e = errno ;
    fd_close(fd) ;
    unlink_void(tmp.s) ;
    errno = e ;
    goto end ;
  }
  fd_close(fd) ;
  if (rename(tmp.s, path.s) < 0) { unlink_void(tmp.s) ; goto end ; }
  ok = 1 ;
 end:
  stralloc_free(&path) ;
  stralloc_free(&tmp) ;
  return ok ;
}

void qstats_tick (tain const *now, tain *deadline)
{
  tain next ;
  uint64_t c[QS_N] ;
  tain_addsec(&next, &last, 1) ;
  if (tain_less(now, &next))
  {
    if (tain_less(&next, deadline)) *deadline = next ;
    return ;
  }
  last = *now ;
  count(c) ;
  if (written && !memcmp(c, last_counts, sizeof(c))) return ;
  if (!write_counts(c))
  {
    /* a missing directory (a state laid out by an older mkruntime) or a
     * full disk: said once, retried at the next change */
    written = 0 ;
    if (!warned)
    {
      logline l ;
      log_begin(&l, "queue_stats_failed") ;
      log_kv(&l, "errno", strerror(errno)) ;
      log_commit(&l) ;
      warned = 1 ;
    }
    return ;
  }
  memcpy(last_counts, c, sizeof(c)) ;
  written = 1 ;
  warned = 0 ;
}
