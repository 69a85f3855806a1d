/* ISC license. */

/* libFuzzer harness for smtpd's DATA reader (smtpd/smtp_data.c).
 * Input: two bytes choosing the line and size limits, one choosing how
 * the rest is cut into chunks, then the client's bytes after "DATA\r\n".
 * Invariants checked against an independent line-based reference:
 *  - the end of data is exactly the first "\r\n.\r\n" of "\r\n" + input
 *    (never a bare-LF/bare-CR variant), and nothing after it is consumed;
 *  - a bare CR or LF in a line, or a NUL, is always reported;
 *  - without errors, the output is the unstuffed lines joined with LF;
 *  - the result does not depend on how the input is chunked. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd/smtp_data.h"

#define die() abort()

typedef struct result_s result ;
struct result_s
{
  size_t consumed ;
  int done ;
  unsigned int errors ;
  uint64_t size ;
  char *out ;
  size_t outlen ;
} ;

static void run (uint8_t const *in, size_t len, uint64_t maxsize, size_t maxline, uint8_t cut, result *r)
{
  smtp_data d ;
  size_t i = 0 ;
  unsigned int step = 0 ;
  r->out = malloc(len + 1) ;
  if (!r->out) die() ;
  r->outlen = 0 ;
  r->consumed = 0 ;
  smtp_data_init(&d, maxsize, maxline) ;
  while (i < len && !d.done)
  {
    /* chunk sizes 1..16 in a pattern chosen by cut, or all at once */
    size_t n = cut ? 1 + ((cut >> (step % 4)) + step) % 16 : len - i ;
    size_t outlen = 0 ;
    size_t used ;
    char *tmp ;
    step++ ;
    if (n > len - i) n = len - i ;
    tmp = malloc(n) ;
    if (!tmp) die() ;
    used = smtp_data_feed(&d, (char const *)in + i, n, tmp, &outlen) ;
    if (used > n || outlen > used) die() ;
    if (used < n && !d.done) die() ;   /* stops early only at the end */
    memcpy(r->out + r->outlen, tmp, outlen) ;
    r->outlen += outlen ;
    free(tmp) ;
    i += used ;
  }
  r->consumed = i ;
  r->done = d.done ;
  r->errors = d.errors ;
  r->size = d.size ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  result whole, chunked ;
  size_t maxline ;
  uint64_t maxsize ;
  uint8_t cut ;
  uint8_t const *in ;
  size_t len ;
  if (size < 3) return 0 ;
  maxline = 1 + data[0] % 80 ;
  maxsize = data[1] < 250 ? (uint64_t)data[1] * 8 : UINT64_MAX ;
  cut = data[2] ;
  in = data + 3 ;
  len = size - 3 ;

  run(in, len, maxsize, maxline, 0, &whole) ;
  run(in, len, maxsize, maxline, cut | 1, &chunked) ;
  if (whole.consumed != chunked.consumed || whole.done != chunked.done || whole.errors != chunked.errors || whole.size != chunked.size) die() ;
  if (!whole.errors && (whole.outlen != chunked.outlen || memcmp(whole.out, chunked.out, whole.outlen))) die() ;

  /* The reference: the stream as the client sent it, with the CRLF that
   * ended the DATA command in front. */
  {
    uint8_t *p = malloc(len + 2) ;
    uint8_t *end ;
    size_t contentlen ;
    int bare = 0, nul = 0, longline = 0 ;
    uint64_t refsize = 0 ;
    char *ref ;
    size_t reflen = 0 ;
    if (!p) die() ;
    p[0] = '\r' ; p[1] = '\n' ;
    memcpy(p + 2, in, len) ;
    end = memmem(p, len + 2, "\r\n.\r\n", 5) ;
    if (!end)
    {
      if (whole.done || whole.consumed != len) die() ;
      free(p) ; free(whole.out) ; free(chunked.out) ;
      return 0 ;
    }
    if (!whole.done || whole.consumed != (size_t)(end - p) + 3) die() ;
    contentlen = (size_t)(end - p) ;   /* in[0..contentlen): the lines, each with its CRLF */
    ref = malloc(contentlen + 1) ;
    if (!ref) die() ;
    {
      size_t i = 0 ;
      while (i < contentlen)
      {
        uint8_t const *crlf = memmem(in + i, contentlen - i, "\r\n", 2) ;
        size_t linelen = (size_t)(crlf - (in + i)) ;
        uint8_t const *line = in + i ;
        if (!crlf) die() ;   /* the content ends with a CRLF */
        if (memchr(line, '\r', linelen) || memchr(line, '\n', linelen)) bare = 1 ;
        if (memchr(line, 0, linelen)) nul = 1 ;
        if (linelen && line[0] == '.') { line++ ; linelen-- ; }
        if (linelen > maxline) longline = 1 ;
        memcpy(ref + reflen, line, linelen) ;
        reflen += linelen ;
        ref[reflen++] = '\n' ;
        refsize += linelen + 1 ;
        i += (size_t)(crlf - (in + i)) + 2 ;
      }
    }
    if (!!(whole.errors & (SMTP_DATA_BARECR | SMTP_DATA_BARELF)) != bare) die() ;
    if (!!(whole.errors & SMTP_DATA_NUL) != nul) die() ;
    if (!bare && !nul)
    {
      if (!!(whole.errors & SMTP_DATA_LONGLINE) != longline) die() ;
      if (whole.size != refsize) die() ;
      if (!!(whole.errors & SMTP_DATA_TOOBIG) != (refsize > maxsize)) die() ;
      if (!whole.errors && (whole.outlen != reflen || memcmp(whole.out, ref, reflen))) die() ;
    }
    free(ref) ;
    free(p) ;
  }
  free(whole.out) ;
  free(chunked.out) ;
  return 0 ;
}
