/* ISC license. */

#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>

#include "smtpc.h"
#include "remote_msg.h"

int remote_msg_scan (int fd, remote_msg *m)
{
  static char buf[REMOTE_BLOCK] ;
  smtpc_enc e = SMTPC_ENC_INIT(0) ;
  struct stat st ;
  uint64_t off = 0 ;
  int inheader = 1 ;
  size_t linelen = 0 ;   /* bytes of the current line, CR not counted */
  if (fstat(fd, &st) < 0) return 0 ;
  m->fd = fd ;
  m->size = (uint64_t)st.st_size ;
  m->wiresize = 0 ;
  m->has8bit = 0 ;
  m->header8bit = 0 ;
  while (off < m->size)
  {
    size_t want = m->size - off > sizeof(buf) ? sizeof(buf) : (size_t)(m->size - off) ;
    ssize_t r = pread(fd, buf, want, (off_t)off) ;
    if (r < 0) { if (errno == EINTR) continue ; return 0 ; }
    if (!r) return (errno = EIO, 0) ;
    for (ssize_t i = 0 ; i < r ; i++)
    {
      unsigned char c = (unsigned char)buf[i] ;
      if (c >= 0x80)
      {
        m->has8bit = 1 ;
        if (inheader) m->header8bit = 1 ;
      }
      if (!inheader) continue ;
      if (c == '\n')
      {
        if (!linelen) inheader = 0 ;   /* the empty line ends the header section */
        linelen = 0 ;
      }
      else if (c != '\r') linelen++ ;
    }
    smtpc_encode(&e, buf, (size_t)r, 0, &m->wiresize) ;
    off += (uint64_t)r ;
  }
  smtpc_encode_end(&e, 0, &m->wiresize) ;
  return 1 ;
}
