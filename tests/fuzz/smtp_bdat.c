/* ISC license. */

/* libFuzzer harness for smtpd's BDAT content reader (smtpd/smtp_chunk.c).
 * Input: two bytes choosing the line and size limits, one choosing how
 * the rest is cut into chunks (BDAT chunk boundaries fall anywhere, also
 * between a CR and its LF), then the message octets. Invariants, checked
 * against an independent reference on the whole message:
 *  - every octet is consumed (chunks are framed by their size, nothing
 *    in them ends anything);
 *  - a CR not followed by LF (also one ending the last chunk), an LF not
 *    preceded by CR, and a NUL are always reported;
 *  - without errors, the output is the input with CRLF turned into LF,
 *    and the size is its length;
 *  - the result does not depend on where the chunks were cut. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd/smtp_data.h"

#define die() abort()

typedef struct result_s result ;
struct result_s
{
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
  smtp_chunk_init(&d, maxsize, maxline) ;
  while (i < len)
  {
    size_t n = cut ? ((cut >> (step % 5)) + step) % 17 : len - i ;
    /* empty chunks too ("BDAT 0"), but never twice in a row */
    if (!n && step & 1) n = 1 ;
    char *tmp ;
    size_t outlen ;
    step++ ;
    if (n > len - i) n = len - i ;
    tmp = malloc(n ? n : 1) ;
    if (!tmp) die() ;
    outlen = smtp_chunk_feed(&d, (char const *)in + i, n, tmp) ;
    if (outlen > n) die() ;
    memcpy(r->out + r->outlen, tmp, outlen) ;
    r->outlen += outlen ;
    free(tmp) ;
    i += n ;
  }
  smtp_chunk_end(&d) ;
  r->errors = d.errors ;
  r->size = d.size ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  result whole, chunked ;
  size_t maxline ;
  uint64_t maxsize ;
  uint8_t const *in ;
  size_t len ;
  if (size < 3) return 0 ;
  maxline = 1 + data[0] % 80 ;
  maxsize = data[1] < 250 ? (uint64_t)data[1] * 8 : UINT64_MAX ;
  in = data + 3 ;
  len = size - 3 ;

  run(in, len, maxsize, maxline, 0, &whole) ;
  run(in, len, maxsize, maxline, data[2] | 1, &chunked) ;
  if (whole.errors != chunked.errors || whole.size != chunked.size) die() ;
  if (!whole.errors && (whole.outlen != chunked.outlen || memcmp(whole.out, chunked.out, whole.outlen))) die() ;

  /* The reference, line by line over the whole message. */
  {
    int bare = 0, nul = 0, longline = 0 ;
    size_t linelen = 0 ;
    char *ref = malloc(len + 1) ;
    size_t reflen = 0 ;
    if (!ref) die() ;
    for (size_t i = 0 ; i < len ; i++)
    {
      uint8_t c = in[i] ;
      if (c == '\r' && i + 1 < len && in[i+1] == '\n') { ref[reflen++] = '\n' ; linelen = 0 ; i++ ; continue ; }
      if (c == '\r' || c == '\n') { bare = 1 ; if (c == '\n') linelen = 0 ; continue ; }
      if (!c) { nul = 1 ; continue ; }
      if (++linelen > maxline) longline = 1 ;
      ref[reflen++] = (char)c ;
    }
    if (!!(whole.errors & (SMTP_DATA_BARECR | SMTP_DATA_BARELF)) != bare) die() ;
    if (!!(whole.errors & SMTP_DATA_NUL) != nul) die() ;
    if (!bare && !nul)
    {
      if (!!(whole.errors & SMTP_DATA_LONGLINE) != longline) die() ;
      if (whole.size != reflen) die() ;
      if (!!(whole.errors & SMTP_DATA_TOOBIG) != (reflen > maxsize)) die() ;
      if (!whole.errors && (whole.outlen != reflen || memcmp(whole.out, ref, reflen))) die() ;
    }
    free(ref) ;
  }
  free(whole.out) ;
  free(chunked.out) ;
  return 0 ;
}
