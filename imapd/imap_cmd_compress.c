/* ISC license. */

/* COMPRESS DEFLATE (RFC 4978). The OK goes out uncompressed; both
 * directions are compressed from the next byte on. A client that sent
 * more bytes after the command before seeing the OK cannot be told
 * which of them were compressed: refused. */

#include "imapd/imap_session-internal.h"

int imap_cmd_compress (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  if (!imap_sp(c) || !imap_try_word(c, "DEFLATE"))
  {
    if (!c->error) c->error = "Unknown compression mechanism" ;
    return imap_bad(s, tag, c) ;
  }
  if (!imap_end(c)) return imap_bad(s, tag, c) ;
  if (imap_sio.compress) return imap_tagged(s, tag, "NO [COMPRESSIONACTIVE] DEFLATE active already") ;
  if (imap_sio_buffered()) return imap_tagged(s, tag, "BAD Commands pipelined after COMPRESS") ;
  if (!imap_tagged(s, tag, "OK DEFLATE active") || !imap_sio_flush()) return 0 ;
  if (!imap_sio_compress_start())
  {
    imap_log_event(s, "imap_compress_fail", 0, 0) ;
    return 0 ;
  }
  imap_log_event(s, "imap_compress", 0, 0) ;
  return 1 ;
}
