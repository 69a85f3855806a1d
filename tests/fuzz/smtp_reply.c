/* ISC license. */

/* libFuzzer harness for deliverd-remote's readers of a remote server's
 * bytes: the reply parser (deliverd/smtpc_reply.c) fed the input line by
 * line as smtpc_read() would, the enhanced-code and one-line views, the
 * EHLO capability parser (deliverd/smtpc_ehlo.c) on every complete
 * reply; and the message encoder (deliverd/smtpc_encode.c) on the same
 * bytes, whose output must never hold a bare CR or LF nor, when
 * dot-stuffed, a line starting with a single dot, nor a line over
 * SMTPC_TEXT_LINE_MAX octets, must not depend on where the input is
 * cut, and must give back the unlimited encoding once the CR LF SPACE
 * it inserted into long lines are taken out. The input is also run
 * with a small limit, so that short inputs reach the breaking code. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "deliverd/smtpc.h"

static void replies (char const *s, size_t size)
{
  smtpc_reply r ;
  size_t pos = 0 ;
  smtpc_reply_init(&r) ;
  while (pos < size)
  {
    char const *nl = memchr(s + pos, '\n', size - pos) ;
    size_t len = nl ? (size_t)(nl - (s + pos)) : size - pos ;
    size_t l = len && s[pos + len - 1] == '\r' ? len - 1 : len ;
    int k ;
    if (l > SMTPC_LINE_MAX) l = SMTPC_LINE_MAX ;
    k = smtpc_reply_line(&r, s + pos, l) ;
    pos += len + 1 ;
    if (r.len > SMTPC_REPLY_TEXT || r.text[r.len]) __builtin_trap() ;
    if (k == 1)
    {
      char one[512] ;
      char esc[16] ;
      smtpc_caps caps ;
      size_t n = smtpc_reply_oneline(&r, one, sizeof(one)) ;
      if (n >= sizeof(one) || one[n] || strlen(one) != n) __builtin_trap() ;
      for (size_t i = 0 ; i < n ; i++) if ((unsigned char)one[i] < 0x20 && one[i] != '\t') __builtin_trap() ;
      if (r.code < 200 || r.code > 559) __builtin_trap() ;
      if (smtpc_reply_esc(&r, esc) && (strlen(esc) > 9 || esc[0] != '0' + (char)(r.code / 100))) __builtin_trap() ;
      smtpc_ehlo_parse(&r, &caps) ;
      if (strlen(caps.name) > DNS_NAME_MAX) __builtin_trap() ;
      smtpc_reply_init(&r) ;
    }
    else if (k < 0) smtpc_reply_init(&r) ;
  }
}

static void check_wire (stralloc const *o, int stuffed, size_t limit)
{
  int bol = 1 ;
  size_t col = 0 ;
  for (size_t i = 0 ; i < o->len ; i++)
  {
    char c = o->s[i] ;
    if (c == '\r' && (i + 1 >= o->len || o->s[i + 1] != '\n')) __builtin_trap() ;
    if (c == '\n' && (!i || o->s[i - 1] != '\r')) __builtin_trap() ;
    if (bol && stuffed && c == '.' && (i + 1 >= o->len || o->s[i + 1] != '.')) __builtin_trap() ;
    bol = c == '\n' ;
    if (bol) col = 0 ;
    else if (c != '\r' && ++col > limit) __builtin_trap() ;
  }
  if (o->len && !bol) __builtin_trap() ;   /* always ends with CR LF */
}

 /* limited is unlimited with some CR LF SPACE inserted, each before a
    byte that is neither CR nor LF, and one per such break counted. */
static void check_breaks (stralloc const *limited, stralloc const *unlimited)
{
  size_t i = 0, j = 0 ;
  while (i < unlimited->len || j < limited->len)
  {
    if (i < unlimited->len && j < limited->len && unlimited->s[i] == limited->s[j]) { i++ ; j++ ; continue ; }
    if (j + 3 >= limited->len || memcmp(limited->s + j, "\r\n ", 3) || i >= unlimited->len) __builtin_trap() ;
    if (limited->s[j + 3] != unlimited->s[i] || unlimited->s[i] == '\r' || unlimited->s[i] == '\n') __builtin_trap() ;
    j += 3 ;
  }
}

static void encode (char const *s, size_t size, int stuffed, size_t limit)
{
  stralloc whole = STRALLOC_ZERO, cut = STRALLOC_ZERO, free_ = STRALLOC_ZERO ;
  smtpc_enc a = SMTPC_ENC_INIT(stuffed), b = SMTPC_ENC_INIT(stuffed), u = SMTPC_ENC_INIT(stuffed) ;
  uint64_t count = 0 ;
  size_t at = size ? (unsigned char)s[0] % (size + 1) : 0 ;
  a.limit = b.limit = limit ;
  u.limit = 0 ;
  if (!smtpc_encode(&a, s, size, &whole, &count) || !smtpc_encode_end(&a, &whole, &count)) abort() ;
  if (count != whole.len) __builtin_trap() ;
  if (!smtpc_encode(&b, s, at, &cut, 0) || !smtpc_encode(&b, s + at, size - at, &cut, 0) || !smtpc_encode_end(&b, &cut, 0)) abort() ;
  if (cut.len != whole.len || (whole.len && memcmp(cut.s, whole.s, whole.len))) __builtin_trap() ;
  if (a.longlines != b.longlines) __builtin_trap() ;
  check_wire(&whole, stuffed, limit) ;
  if (!smtpc_encode(&u, s, size, &free_, 0) || !smtpc_encode_end(&u, &free_, 0)) abort() ;
  check_breaks(&whole, &free_) ;
  if ((whole.len == free_.len) != !a.longlines) __builtin_trap() ;
  stralloc_free(&whole) ;
  stralloc_free(&cut) ;
  stralloc_free(&free_) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  replies(s, size) ;
  encode(s, size, 1, SMTPC_TEXT_LINE_MAX) ;
  encode(s, size, 0, SMTPC_TEXT_LINE_MAX) ;
  encode(s, size, 1, 8) ;
  encode(s, size, 0, 8) ;
  return 0 ;
}
