/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "common/mime.h"
#include "imapd/imap_msg.h"
#include "imapd/imap_fetch-internal.h"

/* The stored message has LF line ends (deliverd and mbox_append store it
 * so); IMAP serves CRLF and every size it reports is in that form, so
 * the text is converted while reading. A CRLF already there stays. */

#define CHUNK 65536

void imap_msg_set (imap_msg *msg, mbox *box, size_t index, int recent)
{
  msg->box = box ;
  msg->index = index ;
  msg->seq = (uint32_t)(index + 1) ;
  msg->m = mbox_at(box, index) ;
  msg->recent = !!recent ;
  msg->loaded = 0 ;
  msg->text.len = 0 ;
  genalloc_setlen(mime_part, &msg->tree.parts, 0) ;
  msg->tree.strings.len = 0 ;
  msg->tree.msg = 0 ;
  msg->tree.len = 0 ;
}

void imap_msg_free (imap_msg *msg)
{
  stralloc_free(&msg->text) ;
  mime_free(&msg->tree) ;
  msg->tree = (mime_tree)MIME_TREE_ZERO ;
  msg->loaded = 0 ;
}

/* Appends buf[0..n) to sa with bare LFs made CRLF; *lastcr carries
 * "the previous byte was CR" across chunks. */
static int append_crlf (stralloc *sa, char const *buf, size_t n, int *lastcr)
{
  size_t start = 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    int prevcr = i ? buf[i-1] == '\r' : *lastcr ;
    if (buf[i] == '\n' && !prevcr)
    {
      if (!stralloc_catb(sa, buf + start, i - start) || !stralloc_catb(sa, "\r", 1)) return 0 ;
      start = i ;
    }
  }
  if (n) *lastcr = buf[n-1] == '\r' ;
  return stralloc_catb(sa, buf + start, n - start) ;
}

/* Reads fd to its end, but never more than max bytes of file (stopping
 * after the empty line ending the header when header_only). */
static int read_crlf (int fd, stralloc *sa, uint64_t max, int header_only)
{
  char buf[CHUNK] ;
  uint64_t total = 0 ;
  int lastcr = 0 ;
  while (total < max)
  {
    size_t want = max - total < CHUNK ? (size_t)(max - total) : CHUNK ;
    ssize_t r = fd_read(fd, buf, want) ;
    if (r < 0) return 0 ;
    if (!r) break ;
    size_t before = sa->len ;
    if (!append_crlf(sa, buf, (size_t)r, &lastcr)) return 0 ;
    total += (uint64_t)r ;
    if (header_only)
    {
      /* look for CRLFCRLF in what was just added (and 3 bytes before) */
      size_t from = before > 3 ? before - 3 : 0 ;
      for (size_t i = from ; i + 4 <= sa->len ; i++)
        if (!memcmp(sa->s + i, "\r\n\r\n", 4)) { sa->len = i + 4 ; return 1 ; }
      /* an empty header: the message starts with the empty line */
      if (!before && sa->len >= 2 && !memcmp(sa->s, "\r\n", 2)) { sa->len = 2 ; return 1 ; }
    }
  }
  return 1 ;
}

int imap_msg_load (imap_msg *msg)
{
  struct stat st ;
  int fd ;
  if (msg->loaded) return 1 ;
  fd = mbox_open_msg(msg->box, msg->index) ;
  if (fd < 0) return 0 ;
  if (fstat(fd, &st) < 0) goto err ;
  if ((uint64_t)st.st_size > IMAP_MSG_SIZE_MAX) { errno = EFBIG ; goto err ; }
  msg->text.len = 0 ;
  /* room for the text plus a CR for every 32 bytes; grows if needed */
  if (!stralloc_ready(&msg->text, (size_t)st.st_size + (size_t)st.st_size / 32 + 1)) goto err ;
  if (!read_crlf(fd, &msg->text, (uint64_t)st.st_size, 0)) goto err ;
  fd_close(fd) ;
  genalloc_setlen(mime_part, &msg->tree.parts, 0) ;
  msg->tree.strings.len = 0 ;
  if (!mime_parse(&msg->tree, msg->text.s ? msg->text.s : "", msg->text.len)) return 0 ;
  msg->loaded = 1 ;
  return 1 ;
 err:
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return 0 ;
}

int imap_msg_read_header (mbox *box, size_t i, stralloc *sa)
{
  char const *h ;
  size_t hlen ;
  int fd, ok ;
  if (mbox_header(box, i, &h, &hlen))
  {
    sa->len = 0 ;
    return stralloc_catb(sa, h, hlen) ;
  }
  if (errno != E2BIG) return 0 ;
  /* a header too long for the cache: its first IMAP_MSG_HEADER_MAX bytes */
  fd = mbox_open_msg(box, i) ;
  if (fd < 0) return 0 ;
  sa->len = 0 ;
  ok = read_crlf(fd, sa, IMAP_MSG_HEADER_MAX, 1) ;
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return ok ;
}

int imap_msg_header (imap_msg *msg, char const **h, size_t *hlen)
{
  if (!msg->loaded)
  {
    if (mbox_header(msg->box, msg->index, h, hlen)) return 1 ;
    if (errno != E2BIG || !imap_msg_load(msg)) return 0 ;
  }
  {
    mime_part const *top = mime_at(&msg->tree, 0) ;
    *h = msg->tree.msg + top->hstart ;
    *hlen = top->hlen ;
  }
  return 1 ;
}

int64_t imap_msg_sent_date (char const *h, size_t hlen, int64_t fallback)
{
  char const *v ;
  size_t vlen ;
  int64_t t ;
  int tz ;
  if (mime_header_get(h, hlen, "Date", 0, &v, &vlen) && mime_parse_date(v, vlen, &t, &tz)) return t ;
  return fallback ;
}

char const *imap_msg_part_param (mime_tree const *t, uint32_t part, char const *name)
{
  mime_part const *p = mime_at(t, part) ;
  char const *s = mime_str(t, p->params) ;
  if (!p->params) return 0 ;
  for (unsigned int i = 0 ; i < p->nparams ; i++)
  {
    char const *v = s + strlen(s) + 1 ;
    if (!strcasecmp(s, name)) return v ;
    s = v + strlen(v) + 1 ;
  }
  return 0 ;
}
