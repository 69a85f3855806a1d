/* ISC license. */

/* libFuzzer harness for authd's protocol engine (authd/authd_proto.c and
 * the mechanisms behind it): the input is what a client sends, cut into
 * reads of varying sizes (the first byte picks them). Checks, beyond
 * "no crash, no sanitizer report": every answer is one LF-terminated line
 * with no NUL, the engine never reads or answers past its bounds, and
 * strict base64 is canonical (decode then encode gives the input back). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/tai.h>

#include "common/log.h"
#include "authd/authd.h"

static authd a ;

/* The first input byte sets the read size (1 + 97 * byte), so seeds start
 * with one byte that is not protocol text. */

/* A tiny passwd map: a {PLAIN} account (cheap to verify), a crypt one,
 * a lookup error, and everyone else unknown (which costs one
 * SHA512-CRYPT of the dummy hash: slow, but it is the real code path). */
static int lookup (void *ctx, char const *key, size_t keylen, char *hash)
{
  (void)ctx ;
  if (keylen == 14 && !memcmp(key, "u@example.test", 14)) { strcpy(hash, "{PLAIN}pw") ; return 1 ; }
  if (keylen == 14 && !memcmp(key, "c@example.test", 14)) { strcpy(hash, "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1") ; return 1 ; }
  if (keylen == 14 && !memcmp(key, "e@example.test", 14)) return -1 ;
  return 0 ;
}

static void check_output (char const *s, size_t len)
{
  size_t start = 0 ;
  if (len && s[len - 1] != '\n') abort() ;
  if (memchr(s, 0, len)) abort() ;
  while (start < len)
  {
    char const *nl = memchr(s + start, '\n', len - start) ;
    if (!nl || (size_t)(nl - s) - start >= AUTHD_REPLY_MAX) abort() ;
    start = nl - s + 1 ;
  }
}

static void check_base64 (uint8_t const *data, size_t size)
{
  static char dec[4096], enc[8192] ;
  size_t n ;
  if (size > 4096) size = 4096 ;
  if (authd_b64_decode((char const *)data, size, dec, &n))
  {
    if (n > 3 * (size / 4)) abort() ;
    if (authd_b64_encode(dec, n, enc) != size || memcmp(enc, data, size)) abort() ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static char out[AUTHD_REPLY_SLOTS * AUTHD_REPLY_MAX] ;
  tain now = TAIN_ZERO, later, delay = TAIN_ZERO ;
  size_t chunk, pos = 0 ;
  log_verbosity = 0 ;
  check_base64(data, size) ;
  if (!size) return 0 ;
  chunk = 1 + data[0] * 97 ;
  data++ ; size-- ;
  tain_addsec(&now, &now, 1000) ;
  authd_init(&a, &now, &delay, &lookup, 0, 1, 2, "0123456789abcdef0123456789abcdef") ;
  for (unsigned int rounds = 0 ; rounds < 100000 ; rounds++)
  {
    size_t n, outlen ;
    tain_addsec(&later, &now, 3600) ;
    outlen = authd_release(&a, &later, out, sizeof(out)) ;
    check_output(out, outlen) ;
    if (a.rcount > AUTHD_REPLY_SLOTS || a.inlen > AUTHD_LINE_MAX) abort() ;
    if (!authd_wants_input(&a))
    {
      if (a.rcount) abort() ;  /* released everything above: must have room */
      break ;
    }
    n = AUTHD_LINE_MAX - a.inlen ;
    if (n > chunk) n = chunk ;
    if (n > size - pos) n = size - pos ;
    if (!n && !a.inlen) break ;
    memcpy(a.in + a.inlen, data + pos, n) ;
    a.inlen += n ;
    pos += n ;
    if (!authd_feed(&a, &now)) break ;
    if (!n && pos == size)
    {
      /* all input given: one more pass for the lines held back by a full
       * answer queue, then stop */
      outlen = authd_release(&a, &later, out, sizeof(out)) ;
      check_output(out, outlen) ;
      if (a.inlen && !memchr(a.in, '\n', a.inlen)) break ;
      if (!a.inlen) break ;
    }
  }
  return 0 ;
}
