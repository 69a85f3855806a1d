/* ISC license. */

/* libFuzzer harness for common/spf's readers of DNS text: an SPF record
 * (RFC 7208 §12 grammar: every term parsed, every domain-spec expanded
 * into a lookup target), the same bytes as exp= explanation text (§6.2,
 * macro expansion with c, r, t), and the Received-SPF formatter with the
 * bytes as sender. A canned query; no DNS (the fuzz build's spf_lookup
 * fails every question, so DNS-querying mechanisms take their error
 * paths). Checked: expansions fit their buffers and are NUL-terminated,
 * a target is a name of at most 253 characters without empty labels,
 * the parser's positions only move forward within the record. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/spf.h"
#include "common/spf-internal.h"

#define INPUT_MAX 4096

static void no_validation (spf_ctx *c)
{
  c->pstate = 1 ;
  c->pn = 0 ;
}

static void one_validated (spf_ctx *c)
{
  c->pstate = 1 ;
  c->pn = 1 ;
  memcpy(c->pnames[0], "mx.example.com", 15) ;
}

static void check_target (char const *t)
{
  size_t n = strlen(t), label = 0 ;
  if (!n || n > DNS_NAME_MAX) __builtin_trap() ;
  for (size_t i = 0 ; i <= n ; i++)
  {
    if (i == n || t[i] == '.')
    {
      if (!label || label > 63) __builtin_trap() ;
      label = 0 ;
    }
    else label++ ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static char rec[INPUT_MAX + 8] ;
  static char out[SPF_EXPAND_MAX] ;
  static char text[INPUT_MAX + 1] ;
  dns d = DNS_ZERO ;
  tain deadline = TAIN_ZERO ;
  spf_query q = { .ip = "192.0.2.3", .helo = "mx.example.org", .sender = "strong-bad@email.example.com", .receiver = "receiver.test" } ;
  spf_ctx c ;
  spf_term t ;
  char const *why ;
  size_t pos = 6, len, n ;
  if (size < 1 || size > INPUT_MAX) return 0 ;
  if (data[0] & 1) q.ip = "2001:db8::cafe:babe" ;
  if (data[0] & 2) q.ip = "::ffff:192.0.2.3" ;
  if (data[0] & 4) q.sender = "" ;
  if (!spf_ctx_init(&c, &d, &q, (data[0] & 8) ? SPF_ID_HELO : SPF_ID_MAILFROM, &deadline)) __builtin_trap() ;
  c.validate = (data[0] & 16) ? &one_validated : &no_validation ;
  data++ ; size-- ;

  /* the bytes as a record */
  memcpy(rec, "v=spf1 ", 7) ;
  memcpy(rec + 7, data, size) ;
  len = 7 + size ;
  if (!spf_record_select(rec, len)) __builtin_trap() ;
  for (;;)
  {
    size_t before = pos ;
    int r = spf_term_next(rec, len, &pos, &t, &why) ;
    if (r <= 0) break ;
    if (pos <= before || pos > len) __builtin_trap() ;
    if (t.text < rec || t.text + t.textlen > rec + len) __builtin_trap() ;
    if (t.spec)
    {
      char target[DNS_NAME_MAX + 1] ;
      if (t.spec < rec || t.spec + t.speclen > rec + len) __builtin_trap() ;
      if (spf_expand(&c, "example.com", t.spec, t.speclen, 0, out, sizeof(out), &n))
        if (n >= sizeof(out) || out[n]) __builtin_trap() ;
      c.problem[0] = 0 ;
      if (spf_target(&c, "example.com", t.spec, t.speclen, target) == 1) check_target(target) ;
      c.problem[0] = 0 ;
    }
    if (t.kind < SPF_K_REDIRECT)
    {
      int m ;
      c.lookups = 0 ;
      c.voids = 0 ;
      m = spf_mechanism(&c, "example.com", &t) ;
      if (m < -1 || m > 1) __builtin_trap() ;
      c.problem[0] = 0 ;
    }
  }

  /* the bytes as explanation text */
  memcpy(text, data, size) ;
  text[size] = 0 ;
  {
    char small[SPF_TEXT_MAX] ;
    if (spf_expand(&c, "example.com", text, size, 1, small, sizeof(small), &n))
      if (n >= sizeof(small) || small[n]) __builtin_trap() ;
  }

  /* the bytes as sender, through Received-SPF */
  if (!memchr(text, 0, size))
  {
    stralloc sa = STRALLOC_ZERO ;
    spf_answer a ;
    memset(&a, 0, sizeof(a)) ;
    a.result = (int)(size % 7) ;
    a.identity = SPF_ID_MAILFROM ;
    memcpy(a.problem, "problem \"quoted\" (x)", 21) ;
    q.sender = text ;
    if (spf_received_spf(&sa, &q, &a))
      for (size_t i = 0 ; i < sa.len ; i++)
        if ((unsigned char)sa.s[i] < 0x20 || (unsigned char)sa.s[i] > 0x7e) __builtin_trap() ;
    stralloc_free(&sa) ;
  }
  return 0 ;
}
