/* ISC license. */

/* libFuzzer harness for submitd's header fix-up (submitd/sub_header.c).
 * Input: one byte choosing how the message is cut into blocks and which
 * fields are to be added, then the message in the queue's form.
 * Invariants:
 *  - the output is the input with one insertion (the missing fields,
 *    maybe with an LF around them), never anything dropped or reordered;
 *  - it never grows by more than SUB_HDR_EXTRA, nor past its room;
 *  - a field is added only when the message has none of that name, and
 *    at most once;
 *  - the result does not depend on how the input is cut;
 *  - the From values kept fit their buffer. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "submitd/sub_header.h"

#define die() abort()

static char const adddate[] = "Date: Thu, 1 Jan 1970 00:00:00 +0000\n" ;
static char const addmsgid[] = "Message-ID: <fuzz@host.test>\n" ;

typedef struct result_s result ;
struct result_s
{
  char *out ;
  size_t len ;
  sub_header h ;
} ;

static void run (uint8_t const *in, size_t len, uint8_t cut, char const *d, char const *m, result *r)
{
  size_t i = 0 ;
  unsigned int step = 0 ;
  r->out = malloc(len + SUB_HDR_EXTRA * 2 + 1) ;
  if (!r->out) die() ;
  r->len = 0 ;
  if (!sub_header_init(&r->h, d, m)) die() ;
  while (i < len)
  {
    size_t n = cut ? 1 + ((cut >> (step % 4)) + step * 7) % 40 : len - i ;
    char *tmp ;
    size_t w ;
    step++ ;
    if (n > len - i) n = len - i ;
    tmp = malloc(n + SUB_HDR_EXTRA) ;
    if (!tmp) die() ;
    w = sub_header_feed(&r->h, (char const *)in + i, n, tmp) ;
    if (w > n + SUB_HDR_EXTRA) die() ;
    memcpy(r->out + r->len, tmp, w) ;
    r->len += w ;
    free(tmp) ;
    i += n ;
  }
  {
    char tmp[SUB_HDR_EXTRA] ;
    size_t w = sub_header_end(&r->h, tmp) ;
    if (w > SUB_HDR_EXTRA) die() ;
    memcpy(r->out + r->len, tmp, w) ;
    r->len += w ;
  }
  if (r->h.fromlen > SUB_HDR_FROM_MAX) die() ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  result a, b ;
  uint8_t cut ;
  char const *d ;
  char const *m ;
  size_t pre = 0, suf = 0 ;
  if (!size) return 0 ;
  cut = data[0] ;
  d = cut & 1 ? adddate : "" ;
  m = cut & 2 ? addmsgid : "" ;
  data++ ; size-- ;
  run(data, size, 0, d, m, &a) ;
  run(data, size, cut | 1, d, m, &b) ;
  if (a.len != b.len || memcmp(a.out, b.out, a.len)) die() ;
  if (a.h.has_date != b.h.has_date || a.h.has_msgid != b.h.has_msgid || a.h.nfrom != b.h.nfrom || a.h.fromlen != b.h.fromlen || memcmp(a.h.from, b.h.from, a.h.fromlen)) die() ;
  /* one insertion X, at some point p: out = in[0..p) X in[p..size).
   * X is made of the fields that were missing, maybe with an LF before
   * (a last line without one) or after (an empty line before a body
   * that had none). */
  if (a.len < size || a.len - size > SUB_HDR_EXTRA) die() ;
  while (pre < size && a.out[pre] == (char)data[pre]) pre++ ;
  while (suf < size && a.out[a.len - 1 - suf] == (char)data[size - 1 - suf]) suf++ ;
  if (pre + suf < size) die() ;
  {
    char x[SUB_HDR_EXTRA] ;
    size_t xlen = 0 ;
    size_t inslen = a.len - size ;
    int found = !inslen ;
    /* a field that is missing is always added */
    if (((!a.h.has_date && d[0]) || (!a.h.has_msgid && m[0])) && !inslen) die() ;
    for (unsigned int form = 0 ; form < 4 && !found ; form++)
    {
      xlen = 0 ;
      if (form & 1) x[xlen++] = '\n' ;
      if (!a.h.has_date) { memcpy(x + xlen, d, strlen(d)) ; xlen += strlen(d) ; }
      if (!a.h.has_msgid) { memcpy(x + xlen, m, strlen(m)) ; xlen += strlen(m) ; }
      if (form & 2) x[xlen++] = '\n' ;
      if (xlen != inslen) continue ;
      for (size_t p = size - suf ; p <= pre && !found ; p++)
        if (!memcmp(a.out + p, x, xlen)) found = 1 ;
    }
    if (!found) die() ;
  }
  free(a.out) ;
  free(b.out) ;
  return 0 ;
}
