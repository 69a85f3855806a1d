/* ISC license. */

/* Client input: fd 0 is read in chunks into raw; under COMPRESS the raw
 * bytes are inflated into inq a bounded piece at a time (a small
 * compressed input may expand a thousandfold), otherwise moved as they
 * are. The reader's buffer is filled from inq by imap_sio_readop, so
 * the parser never sees whether compression is on. */

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/error.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_session-internal.h"

/* The reader's buffer asks for bytes: give it what inq holds. */
ssize_t imap_sio_readop (int fd, struct iovec const *v, unsigned int n)
{
  size_t total = 0 ;
  (void)fd ;
  for (unsigned int i = 0 ; i < n && imap_sio.inpos < imap_sio.inq.len ; i++)
  {
    size_t avail = imap_sio.inq.len - imap_sio.inpos ;
    size_t w = v[i].iov_len < avail ? v[i].iov_len : avail ;
    memcpy(v[i].iov_base, imap_sio.inq.s + imap_sio.inpos, w) ;
    imap_sio.inpos += w ;
    total += w ;
  }
  if (imap_sio.inpos == imap_sio.inq.len) imap_sio.inpos = imap_sio.inq.len = 0 ;
  if (!total)
  {
    if (imap_sio.ineof && !imap_sio.rawpos && !imap_sio.raw.len) return 0 ;
    errno = EWOULDBLOCK ;
    return -1 ;
  }
  return (ssize_t)total ;
}

size_t imap_sio_buffered (void)
{
  return (imap_sio.inq.len - imap_sio.inpos) + (imap_sio.raw.len - imap_sio.rawpos) + buffer_len(&imap_sio.b) ;
}

int imap_sio_stage (void)
{
  if (imap_sio.rawpos == imap_sio.raw.len) return 1 ;
  if (imap_sio.compress) return imap_sio_inflate() ;
  if (!stralloc_catb(&imap_sio.inq, imap_sio.raw.s + imap_sio.rawpos, imap_sio.raw.len - imap_sio.rawpos)) return 0 ;
  imap_sio.raw.len = imap_sio.rawpos = 0 ;
  return 1 ;
}

int imap_sio_read (void)
{
  ssize_t r ;
  if (imap_sio.rawpos == imap_sio.raw.len) imap_sio.raw.len = imap_sio.rawpos = 0 ;
  if (!stralloc_readyplus(&imap_sio.raw, IMAP_SIO_READ_CHUNK)) return 0 ;
  r = fd_read(0, imap_sio.raw.s + imap_sio.raw.len, IMAP_SIO_READ_CHUNK) ;
  if (r < 0)
  {
    if (error_isagain(errno)) return -1 ;
    imap_sio.ineof = 1 ;
    return 0 ;
  }
  if (!r)
  {
    imap_sio.ineof = 1 ;
    return 0 ;
  }
  imap_sio.raw.len += r ;
  return 1 ;
}
