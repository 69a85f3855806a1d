/* ISC license. */

/* COMPRESS=DEFLATE (RFC 4978): raw deflate (no zlib header, window
 * bits -15) both ways. Output is flushed with Z_SYNC_FLUSH whenever the
 * session flushes, so every response reaches the client whole. */

#include <errno.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_session-internal.h"

int imap_sio_compress_start (void)
{
  imap_sio.zout.zalloc = Z_NULL ; imap_sio.zout.zfree = Z_NULL ; imap_sio.zout.opaque = Z_NULL ;
  imap_sio.zin.zalloc = Z_NULL ; imap_sio.zin.zfree = Z_NULL ; imap_sio.zin.opaque = Z_NULL ;
  imap_sio.zin.next_in = Z_NULL ; imap_sio.zin.avail_in = 0 ;
  if (deflateInit2(&imap_sio.zout, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return (errno = ENOMEM, 0) ;
  if (inflateInit2(&imap_sio.zin, -15) != Z_OK)
  {
    deflateEnd(&imap_sio.zout) ;
    return (errno = ENOMEM, 0) ;
  }
  imap_sio.compress = 1 ;
  return 1 ;
}

/* Appends the deflated form of s to wire. */
int imap_sio_deflate (char const *s, size_t len, int flush)
{
  z_stream *z = &imap_sio.zout ;
  z->next_in = (Bytef *)s ;
  z->avail_in = len ;
  for (;;)
  {
    int r ;
    size_t room ;
    if (!stralloc_readyplus(&imap_sio.wire, 16384)) return 0 ;
    room = imap_sio.wire.a - imap_sio.wire.len ;
    if (room > 1u << 30) room = 1u << 30 ;
    z->next_out = (Bytef *)imap_sio.wire.s + imap_sio.wire.len ;
    z->avail_out = room ;
    r = deflate(z, flush ? Z_SYNC_FLUSH : Z_NO_FLUSH) ;
    if (r != Z_OK && r != Z_BUF_ERROR) return (errno = EPROTO, 0) ;
    imap_sio.wire.len += room - z->avail_out ;
    if (!z->avail_in && z->avail_out) break ;
  }
  return 1 ;
}

/* Inflates raw into inq, at most IMAP_SIO_INQ_LOW bytes per call; the
 * rest waits in raw (the caller reads fd 0 again only once raw is used). */
int imap_sio_inflate (void)
{
  z_stream *z = &imap_sio.zin ;
  size_t produced = 0 ;
  while (imap_sio.rawpos < imap_sio.raw.len && produced < IMAP_SIO_INQ_LOW)
  {
    int r ;
    size_t room, before = imap_sio.raw.len - imap_sio.rawpos ;
    if (!stralloc_readyplus(&imap_sio.inq, 16384)) return 0 ;
    room = imap_sio.inq.a - imap_sio.inq.len ;
    if (room > 65536) room = 65536 ;
    z->next_in = (Bytef *)imap_sio.raw.s + imap_sio.rawpos ;
    z->avail_in = before ;
    z->next_out = (Bytef *)imap_sio.inq.s + imap_sio.inq.len ;
    z->avail_out = room ;
    r = inflate(z, Z_SYNC_FLUSH) ;
    if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END) return (errno = EPROTO, 0) ;
    imap_sio.rawpos += before - z->avail_in ;
    imap_sio.inq.len += room - z->avail_out ;
    produced += room - z->avail_out ;
    if (r == Z_STREAM_END) return (errno = EPROTO, 0) ;   /* the client ended the stream: nothing can follow */
    if (r == Z_BUF_ERROR || (before == z->avail_in && room == z->avail_out)) break ;
  }
  if (imap_sio.rawpos == imap_sio.raw.len) imap_sio.raw.len = imap_sio.rawpos = 0 ;
  return 1 ;
}
