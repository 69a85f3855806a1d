/* ISC license. */

/* libFuzzer harness for queued's readers of the DSN data an envelope
 * keeps (queued/qdsn.c): ESMTP parameter keys, NOTIFY lists, xtext,
 * ORCPT (xtext, or RFC 6533 unitext for the utf-8 type), and the enhanced status code at the start of an agent's text.
 * The input is split at the first NUL: what comes before is tried as
 * each parameter value, the rest as status text. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>

#include "common/dsn_utf8.h"
#include "queued/qmsg.h"
#include "queued/qdsn.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static stralloc out = STRALLOC_ZERO ;
  char const *s = (char const *)data ;
  char const *nul = memchr(s, 0, size) ;
  size_t len = nul ? (size_t)(nul - s) : size ;
  char const *v, *t, *a ;
  size_t vlen, tlen, alen ;
  unsigned char bits = 0 ;

  if (qdsn_param(s, len, "NOTIFY", &v, &vlen))
  {
    if (v < s || v + vlen > s + len) __builtin_trap() ;
    if (qdsn_notify(v, vlen, &bits))
    {
      if (!bits || ((bits & QNOTIFY_NEVER) && bits != QNOTIFY_NEVER)) __builtin_trap() ;
    }
  }
  if (qdsn_notify(s, len, &bits) && bits > 15) __builtin_trap() ;
  out.len = 0 ;
  if (qdsn_xtext_decode(s, len, &out))
  {
    if (!qdsn_xtext_valid(s, len) || out.len > len) __builtin_trap() ;
  }
  else if (qdsn_xtext_valid(s, len) && out.len) __builtin_trap() ;
  if (qdsn_orcpt(s, len, &t, &tlen, &a, &alen))
  {
    if (t != s || !tlen || a != s + tlen + 1 || a + alen != s + len) __builtin_trap() ;
    out.len = 0 ;
    /* xtext (RFC 3461), or for the utf-8 type its unitext (RFC 6533 3) */
    if (!qdsn_xtext_decode(a, alen, &out)
     && !(tlen == 5 && !strncasecmp(t, "utf-8", 5) && dsn_utf8addr_valid(a, alen))) __builtin_trap() ;
  }
  out.len = 0 ;
  if (!qdsn_printable(&out, s, size, 64)) __builtin_trap() ;
  for (size_t i = 0 ; i < out.len ; i++)
    if ((unsigned char)out.s[i] < 32 || (unsigned char)out.s[i] > 126) __builtin_trap() ;
  if (nul)
  {
    /* the status reader wants a C string: the part after the NUL, cut
     * at the next NUL or copied with one */
    char buf[256] ;
    size_t rest = size - len - 1, n = rest < sizeof(buf) - 1 ? rest : sizeof(buf) - 1 ;
    size_t k ;
    memcpy(buf, nul + 1, n) ;
    buf[n] = 0 ;
    k = qdsn_status(buf) ;
    if (k && (k < 5 || k > 9 || k > strlen(buf) || (buf[k] && buf[k] != ' '))) __builtin_trap() ;
  }
  return 0 ;
}
