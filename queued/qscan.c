/* ISC license. */

#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "queued/qid.h"
#include "queued/qconf.h"
#include "queued/qdir.h"
#include "queued/qmsg.h"
#include "queued/qsched.h"
#include "queued/qfilter.h"
#include "queued/qdispatch.h"
#include "queued/qscan.h"

static void log_msg (char const *event, char const *qid, char const *k, char const *v)
{
  logline l ;
  log_begin(&l, event) ;
  log_kv(&l, "qid", qid) ;
  if (k) log_kv(&l, k, v) ;
  log_commit(&l) ;
}

static void log_queued (char const *event, qmsg const *m)
{
  logline l ;
  log_begin(&l, event) ;
  log_kv(&l, "qid", m->qid) ;
  log_kv(&l, "from", qmsg_sender(m)) ;
  log_kvu(&l, "size", m->size) ;
  log_kvu(&l, "rcpts", qmsg_nrcpt(m)) ;
  log_kvu(&l, "pending", m->npending) ;
  if (m->held) log_kv(&l, "held", "yes") ;
  log_commit(&l) ;
}

/* Loads from/<qid>; for incoming, also takes it into queue/. Named (by
 * the trigger, not by a directory listing), the message goes to its
 * delivery agent at once, before the directory is read for others; and
 * a system error is left to the scan that follows, which meets the same
 * directory and reports it (a name no longer there was taken already). */
static void load_one (char const *from, char const *qid, int named)
{
  size_t flen = strlen(from) ;
  char dir[flen + QID_MAX + 2] ;
  char const *why ;
  int r ;
  int incoming = from[0] == 'i' ;
  qmsg *m = qmsg_new() ;
  if (!m)
  {
    log_msg("load_error", qid, "error", strerror(errno)) ;
    return ;
  }
  memcpy(dir, from, flen) ;
  dir[flen] = '/' ;
  memcpy(dir + flen + 1, qid, strlen(qid) + 1) ;
  r = qmsg_load(m, dir, qid, conf.lifetime, &why) ;
  switch (r)
  {
    case QLOAD_OK :
      if (incoming && !qdir_take(qid))
      {
        int e = errno ;
        if (e == EEXIST || e == ENOTEMPTY)
        {
          /* Cannot happen while inodes are unique (docs/queue.md). */
          log_msg("corrupt", qid, "reason", "queue id already in queue/") ;
          qdir_corrupt(from, qid) ;
        }
        else if (!named) log_msg("load_error", qid, "error", strerror(e)) ;
        break ;
      }
      if (!qsched_add(m))
      {
        log_msg("load_error", qid, "error", strerror(errno)) ;
        break ;   /* in queue/ now: the next rescan loads it */
      }
      qfilter_classify(m) ;
      log_queued(incoming ? "queued" : "loaded", m) ;
      qsched_hold_arrival(m) ;
      if (named) qdispatch_one(m) ;
      qsched_check(m) ;
      return ;
    case QLOAD_GONE :
      if (qdir_remove(from, qid, 0)) log_msg("removed", qid, "reason", "interrupted removal finished") ;
      else log_msg("remove_error", qid, "error", strerror(errno)) ;
      break ;
    case QLOAD_CORRUPT :
      log_msg("corrupt", qid, "reason", why) ;
      if (!qdir_corrupt(from, qid)) log_msg("corrupt_move_error", qid, "error", strerror(errno)) ;
      break ;
    default :
      if (named) break ;
      log_msg("load_error", qid, "error", strerror(errno)) ;
      break ;
  }
  qmsg_free(m) ;
}

static int scan (char const *from, int useindex)
{
  DIR *d ;
  int full = 0 ;
  if (useindex && !qsched_index_build())
  {
    log_event2("scan_error", "dir", from, "error", strerror(errno)) ;
    return 0 ;
  }
  d = opendir(from) ;
  if (!d)
  {
    log_event2("scan_error", "dir", from, "error", strerror(errno)) ;
    return 0 ;
  }
  for (;;)
  {
    struct dirent *e ;
    size_t n ;
    /* At the in-memory limit the rest waits: in incoming/ it stays
     * committed and is taken later; in queue/ the next rescan loads it. */
    if (qsched_count() >= conf.active_max)
    {
      full = 1 ;
      log_event1("active_limit", "dir", from) ;
      break ;
    }
    errno = 0 ;
    e = readdir(d) ;
    if (!e)
    {
      if (errno) log_event2("scan_error", "dir", from, "error", strerror(errno)) ;
      break ;
    }
    n = strlen(e->d_name) ;
    if (!qid_valid(e->d_name, n)) continue ;   /* ".", "..", strays */
    if (useindex && qsched_index_has(e->d_name)) continue ;
    load_one(from, e->d_name, 0) ;
  }
  closedir(d) ;
  return full ;
}

void qscan_incoming_named (char const *s, size_t len)
{
  char qid[QID_MAX + 1] ;
  if (!qid_valid(s, len)) return ;
  /* At the limit the scan that follows says so and leaves the rest. */
  if (qsched_count() >= conf.active_max) return ;
  memcpy(qid, s, len) ;
  qid[len] = 0 ;
  load_one("incoming", qid, 1) ;
}

int qscan_incoming (void)
{
  return scan("incoming", 0) ;
}

int qscan_queue (void)
{
  return scan("queue", 1) ;
}
