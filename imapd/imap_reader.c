/* ISC license. */

/* Assembles one IMAP command (RFC 9051 §2.2, §4.3) from untrusted
 * input: its lines and the literals they announce. Bounds: a line is at
 * most IMAP_LINE_MAX bytes, a command IMAP_COMMAND_MAX bytes, except
 * APPEND, whose literals may each reach literal_max (APPENDLIMIT, RFC
 * 7889) on top of that.
 *
 * r->state holds a phase in its low bits and flags above; r->scanned is
 * the offset in r->cmd where the current line starts. While skipping an
 * over-long or broken line, r->cmd only keeps the line's last bytes, to
 * see whether it ended with a non-synchronizing literal header whose
 * bytes must be skipped too: nothing of a refused command is executed. */

#include <string.h>
#include <sys/uio.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"
#include "imapd/imap_reader-internal.h"

static int fail (imap_reader *r, int e, unsigned int phase, int close)
{
  r->error = e ;
  r->state = (r->state & ~IMAP_RS_PHASE) | phase ;
  if (close) r->state |= IMAP_RS_CLOSE ;
  return -1 ;
}

/* Is the first line "tag SP APPEND ..." (or "tag SP UID APPEND")? */
static int is_append (char const *s, size_t len)
{
  size_t i = 0, j ;
  unsigned int k = 0 ;
  while (i < len && s[i] != ' ') i++ ;
  for (; k < 2 ; k++)
  {
    if (i >= len || s[i] != ' ') return 0 ;
    j = ++i ;
    while (i < len && s[i] != ' ' && s[i] != '\r' && s[i] != '\n') i++ ;
    if (imap_word_is(s + j, i - j, "APPEND")) return 1 ;
    if (!imap_word_is(s + j, i - j, "UID")) return 0 ;
  }
  return 0 ;
}

/* A complete line is at the end of r->cmd: command done, or a literal. */
static int line_done (imap_reader *r)
{
  char const *line = r->cmd.s + r->scanned ;
  size_t len = r->cmd.len - r->scanned - 2 ;
  uint64_t n, bound = r->literal_max ? r->literal_max : IMAP_COMMAND_MAX ;
  int nonsync, binary ;
  int h = imap_literal_header(line, len, &n, &nonsync, &binary) ;
  if (!(r->state & IMAP_RS_NAMED))
  {
    r->state |= IMAP_RS_NAMED ;
    if (is_append(r->cmd.s, r->cmd.len)) r->state |= IMAP_RS_APPEND ;
  }
  if (memchr(line, '\r', len))
  {
    /* a CR not followed by LF: refuse the line, and skip the bytes of a
     * {n+} it announces so that none of them runs as a command */
    if (h > 0 && nonsync)
    {
      r->literal_left = n ;
      return fail(r, IMAP_READER_BARELINE, IMAP_RS_SKIPLITERAL, 0) ;
    }
    return fail(r, IMAP_READER_BARELINE, IMAP_RS_LINE, 0) ;
  }
  if (h < 0) return fail(r, IMAP_READER_BADLITERAL, IMAP_RS_LINE, 0) ;
  if (!h)
  {
    r->state = (r->state & ~IMAP_RS_PHASE) | IMAP_RS_DONE ;
    return 1 ;
  }
  if (nonsync) r->state |= IMAP_RS_NONSYNC ; else r->state &= ~IMAP_RS_NONSYNC ;
  /* RFC 7888 §4: without LITERAL+, only {n+} with n ≤ 4096 (LITERAL-). */
  if (nonsync && !r->literal_plus_ok && n > 4096)
    return fail(r, IMAP_READER_LITERAL_TOOBIG, IMAP_RS_LINE, 1) ;
  if (n > bound) return fail(r, IMAP_READER_LITERAL_TOOBIG, IMAP_RS_LINE, nonsync) ;
  if (r->state & IMAP_RS_APPEND)
  {
    if (r->cmd.len + n > bound + IMAP_COMMAND_MAX)
      return fail(r, IMAP_READER_LITERAL_TOOBIG, IMAP_RS_LINE, nonsync) ;
  }
  else if (r->cmd.len + n > IMAP_COMMAND_MAX)
    return nonsync ? fail(r, IMAP_READER_LITERAL_TOOBIG, IMAP_RS_LINE, 1) : fail(r, IMAP_READER_TOOLONG, IMAP_RS_LINE, 0) ;
  r->literal_left = n ;
  r->state = (r->state & ~IMAP_RS_PHASE) | (n ? IMAP_RS_LITERAL : IMAP_RS_LINE) ;
  r->scanned = r->cmd.len ;
  if (!nonsync) r->want_continuation = 1 ;
  return 0 ;
}

/* One chunk of line bytes: data[0..n) as much as belongs to the line. */
static int line_chunk (imap_reader *r, buffer *b, char const *data, size_t n, size_t cmdmax)
{
  char const *lf = memchr(data, '\n', n) ;
  char const *nul ;
  size_t chunk = lf ? (size_t)(lf - data) + 1 : n ;
  size_t linelen = r->cmd.len - r->scanned ;
  size_t need = chunk ;
  if (lf)
  {
    int cr = chunk >= 2 ? data[chunk - 2] == '\r' : (linelen && r->cmd.s[r->cmd.len - 1] == '\r') ;
    if (!cr) need++ ;  /* bare LF is stored as CRLF */
  }
  nul = memchr(data, 0, chunk) ;
  if (nul)
  {
    size_t k = nul - data ;
    if (linelen + k > IMAP_LINE_MAX) k = IMAP_LINE_MAX - linelen ;
    if (!stralloc_catb(&r->cmd, data, k)) return -2 ;
    buffer_rseek(b, k) ;
    return fail(r, IMAP_READER_BARELINE, IMAP_RS_SKIPLINE, 0) ;
  }
  if (linelen + need > IMAP_LINE_MAX || r->cmd.len + need > cmdmax)
  {
    size_t k = linelen < IMAP_LINE_MAX ? IMAP_LINE_MAX - linelen : 0 ;
    if (r->cmd.len + k > cmdmax) k = cmdmax > r->cmd.len ? cmdmax - r->cmd.len : 0 ;
    if (k > chunk) k = chunk ;
    if (lf && k == chunk) k-- ;  /* leave the LF for the skipper */
    if (!stralloc_catb(&r->cmd, data, k)) return -2 ;
    buffer_rseek(b, k) ;
    return fail(r, IMAP_READER_TOOLONG, IMAP_RS_SKIPLINE, 0) ;
  }
  if (lf && need > chunk)
  {
    if (!stralloc_catb(&r->cmd, data, chunk - 1) || !stralloc_catb(&r->cmd, "\r\n", 2)) return -2 ;
  }
  else if (!stralloc_catb(&r->cmd, data, chunk)) return -2 ;
  buffer_rseek(b, chunk) ;
  return lf ? line_done(r) : 0 ;
}

/* Skipping a refused line: keep its tail to spot a trailing {n+}. */
static int skip_chunk (imap_reader *r, buffer *b, char const *data, size_t n)
{
  char const *lf = memchr(data, '\n', n) ;
  size_t chunk = lf ? (size_t)(lf - data) + 1 : n ;
  size_t keep = chunk > IMAP_RS_TAIL ? IMAP_RS_TAIL : chunk ;
  if (r->cmd.len + keep > IMAP_RS_TAIL)
  {
    size_t drop = r->cmd.len + keep - IMAP_RS_TAIL ;
    if (drop > r->cmd.len) drop = r->cmd.len ;
    memmove(r->cmd.s, r->cmd.s + drop, r->cmd.len - drop) ;
    r->cmd.len -= drop ;
  }
  if (!stralloc_catb(&r->cmd, data + chunk - keep, keep)) return -2 ;
  buffer_rseek(b, chunk) ;
  if (lf)
  {
    uint64_t len ;
    int nonsync, binary ;
    size_t l = r->cmd.len - 1 ;
    if (l && r->cmd.s[l - 1] == '\r') l-- ;
    if (imap_literal_header(r->cmd.s, l, &len, &nonsync, &binary) > 0 && nonsync)
    {
      r->literal_left = len ;
      r->state = (r->state & ~IMAP_RS_PHASE) | IMAP_RS_SKIPLITERAL ;
    }
    else r->state &= ~(IMAP_RS_PHASE | IMAP_RS_APPEND | IMAP_RS_NAMED | IMAP_RS_NONSYNC) ;
    r->cmd.len = 0 ;
    r->scanned = 0 ;
  }
  return 0 ;
}

int imap_reader_get (imap_reader *r, buffer *b)
{
  r->want_continuation = 0 ;
  if (r->error)
  {
    if (r->state & IMAP_RS_CLOSE) return -1 ;
    r->error = 0 ;
    if (r->cmd.s) imap_reader_clear(r) ;
    r->state &= IMAP_RS_PHASE ;
    if ((r->state & IMAP_RS_PHASE) != IMAP_RS_SKIPLINE && (r->state & IMAP_RS_PHASE) != IMAP_RS_SKIPLITERAL)
      r->state = IMAP_RS_LINE ;
  }
  if ((r->state & IMAP_RS_PHASE) == IMAP_RS_DONE) return 1 ;
  for (;;)
  {
    struct iovec v[2] ;
    char const *data ;
    size_t n ;
    int e = 0 ;
    unsigned int phase = r->state & IMAP_RS_PHASE ;
    if (!buffer_len(b)) return 0 ;
    buffer_rpeek(b, v) ;
    if (v[0].iov_len) { data = v[0].iov_base ; n = v[0].iov_len ; }
    else { data = v[1].iov_base ; n = v[1].iov_len ; }
    if (!n) return 0 ;
    switch (phase)
    {
      case IMAP_RS_LITERAL :
      {
        size_t take = n < r->literal_left ? n : r->literal_left ;
        if (!stralloc_catb(&r->cmd, data, take)) e = -2 ;
        else
        {
          buffer_rseek(b, take) ;
          r->literal_left -= take ;
          if (!r->literal_left)
          {
            r->state = (r->state & ~IMAP_RS_PHASE) | IMAP_RS_LINE ;
            r->scanned = r->cmd.len ;
          }
        }
        break ;
      }
      case IMAP_RS_SKIPLITERAL :
      {
        size_t take = n < r->literal_left ? n : r->literal_left ;
        buffer_rseek(b, take) ;
        r->literal_left -= take ;
        if (!r->literal_left) r->state = (r->state & ~IMAP_RS_PHASE) | IMAP_RS_SKIPLINE ;
        break ;
      }
      case IMAP_RS_SKIPLINE :
        e = skip_chunk(r, b, data, n) ;
        break ;
      default :
        e = line_chunk(r, b, data, n, (r->state & IMAP_RS_APPEND) ? (size_t)-1 : IMAP_COMMAND_MAX) ;
        if (e == 1) return 1 ;
        if (!e && r->want_continuation) return 0 ;
        break ;
    }
    if (e == -2) return fail(r, IMAP_READER_TOOLONG, IMAP_RS_LINE, 1) ;  /* out of memory: give up on the connection */
    if (e < 0) return -1 ;
  }
}
