/* ISC license. */

/* Asks dkimsign.sock for "arcseal 1 <qid> <alias>" (dkimsign/README.md)
 * and puts the answer's fields on top of a copy of the message in
 * memory: deliverd-remote writes no file. */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "common/log.h"
#include "remote_arc.h"

static int unsealed (remote_req const *req, int fd, char const *why)
{
  log_event3("arc_unsealed", "qid", req->qid, "alias", req->forward, "reason", why) ;
  return fd ;
}

static int send_all (int fd, char const *s, size_t len, tain const *deadline)
{
  size_t w = 0 ;
  while (w < len)
  {
    iopause_fd x = { .fd = fd, .events = IOPAUSE_WRITE, .revents = 0 } ;
    ssize_t r = fd_write(fd, s + w, len - w) ;
    if (r > 0) { w += (size_t)r ; continue ; }
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return 0 ;
    tain_now_g() ;
    if (iopause_g(&x, 1, deadline) <= 0) return 0 ;
  }
  return 1 ;
}

static int recv_all (int fd, stralloc *sa, size_t max, tain const *deadline)
{
  for (;;)
  {
    iopause_fd x = { .fd = fd, .events = IOPAUSE_READ, .revents = 0 } ;
    char buf[4096] ;
    ssize_t r = fd_read(fd, buf, sizeof(buf)) ;
    if (!r) return 1 ;
    if (r > 0)
    {
      if (sa->len + (size_t)r > max || !stralloc_catb(sa, buf, (size_t)r)) return 0 ;
      continue ;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) return 0 ;
    tain_now_g() ;
    if (iopause_g(&x, 1, deadline) <= 0) return 0 ;
  }
}

/* The fields of the answer: every byte printable ASCII, tab or LF, the
 * first field an ARC-Seal (arc_seal's order: AS, AMS, AAR), each line
 * ended; *flen their length, 0 when the verdict says unsealed. */
static int answer_fields (char const *s, size_t len, size_t *flen, char const **verdict)
{
  size_t e ;
  if (!len || s[len-1] != '\n') return 0 ;
  if (s[0] == '\n') e = 0 ;
  else
  {
    char const *p = memmem(s, len, "\n\n", 2) ;
    if (!p) return 0 ;
    e = (size_t)(p - s) + 1 ;
  }
  for (size_t i = 0 ; i < e ; i++)
    if (!((s[i] >= 32 && s[i] < 127) || s[i] == '\t' || s[i] == '\n')) return 0 ;
  if (e && (e < 9 || strncasecmp(s, "ARC-Seal:", 9))) return 0 ;
  *flen = e ;
  *verdict = s + e + 1 ;
  return 1 ;
}

int remote_arc (remote_req const *req, int fd)
{
  stralloc msg = STRALLOC_ZERO, ans = STRALLOC_ZERO, path = STRALLOC_ZERO ;
  char const *rundir = config_get("PH_RUN_DIR") ;
  char const *verdict = 0 ;
  struct stat st ;
  size_t flen = 0 ;
  tain deadline ;
  int s = -1, out = fd ;
  if (!req->forward) return fd ;
  if (!rundir) return unsealed(req, fd, "PH_RUN_DIR is not set") ;
  if (fstat(fd, &st) < 0) return unsealed(req, fd, "unable to stat the queue file") ;
  if ((uint64_t)st.st_size > REMOTE_ARC_MSG_MAX) return unsealed(req, fd, "message too large to seal") ;
  if (!stralloc_cats(&msg, "arcseal 1 ") || !stralloc_cats(&msg, req->qid) || !stralloc_catb(&msg, " ", 1)
   || !stralloc_cats(&msg, req->forward) || !stralloc_catb(&msg, "\n", 1)
   || !stralloc_readyplus(&msg, (size_t)st.st_size)
   || !stralloc_cats(&path, rundir) || !stralloc_cats(&path, "/dkimsign.sock") || !stralloc_0(&path))
  { out = unsealed(req, fd, "out of memory") ; goto end ; }
  {
    size_t want = (size_t)st.st_size, got = 0 ;
    while (got < want)
    {
      ssize_t r = pread(fd, msg.s + msg.len + got, want - got, (off_t)got) ;
      if (r < 0 && errno == EINTR) continue ;
      if (r <= 0) { out = unsealed(req, fd, "unable to read the queue file") ; goto end ; }
      got += (size_t)r ;
    }
    msg.len += want ;
  }
  tain_now_g() ;
  tain_addsec_g(&deadline, 60) ;
  s = ipc_stream_nbcoe() ;
  if (s < 0 || !ipc_timed_connect_g(s, path.s, &deadline)) { out = unsealed(req, fd, "signing service unavailable") ; goto end ; }
  if (!send_all(s, msg.s, msg.len, &deadline)) { out = unsealed(req, fd, "unable to send the message to the signing service") ; goto end ; }
  fd_shutdown(s, 1) ;
  if (!recv_all(s, &ans, REMOTE_ARC_ANSWER_MAX, &deadline)) { out = unsealed(req, fd, "no answer from the signing service") ; goto end ; }
  if (!answer_fields(ans.s, ans.len, &flen, &verdict)) { out = unsealed(req, fd, "malformed answer from the signing service") ; goto end ; }
  if (!flen || strncmp(verdict, "deliver ", 8))
  {
    ans.s[ans.len - 1] = 0 ;
    out = unsealed(req, fd, verdict) ;
    goto end ;
  }
  {
    size_t hl = msg.len - (size_t)st.st_size ;
    int m = memfd_create("arc", MFD_CLOEXEC) ;
    if (m < 0) { out = unsealed(req, fd, "unable to create a memory file") ; goto end ; }
    if (allwrite(m, ans.s, flen) < flen || allwrite(m, msg.s + hl, msg.len - hl) < msg.len - hl)
    {
      fd_close(m) ;
      out = unsealed(req, fd, "unable to write the memory file") ;
      goto end ;
    }
    out = m ;
  }
 end:
  if (s >= 0) fd_close(s) ;
  stralloc_free(&msg) ;
  stralloc_free(&ans) ;
  stralloc_free(&path) ;
  return out ;
}
