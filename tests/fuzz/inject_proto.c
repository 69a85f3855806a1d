/* ISC license. */

/* libFuzzer harness for queued-inject's protocol parser
 * (queued/inject_parse.c). Input: one byte choosing the size limit, one
 * choosing how the rest is cut into slices, then the client's bytes.
 * Invariants:
 *  - every call consumes at most what it is given and makes progress
 *    (no input is left unconsumed without an event, so no spinning);
 *  - envelope fields obey docs/internals.md: the sender first and once,
 *    known tags only, no NUL, values at most 4096 bytes, N after T,
 *    at most 10000 recipients, and the envelope ends with a sender and
 *    at least one recipient;
 *  - message bytes come only between the envelope end and the message
 *    end, and never exceed the size limit;
 *  - after an error, nothing else comes out;
 *  - the events do not depend on how the input is sliced. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queued/inject_parse.h"

#define die() abort()

typedef struct trace_s trace ;
struct trace_s
{
  unsigned char *s ;   /* the normalized events */
  size_t len ;
  size_t cap ;
} ;

static void put (trace *t, void const *p, size_t n)
{
  if (t->len + n > t->cap)
  {
    size_t cap = (t->len + n) * 2 + 64 ;
    unsigned char *s = realloc(t->s, cap) ;
    if (!s) die() ;
    t->s = s ;
    t->cap = cap ;
  }
  memcpy(t->s + t->len, p, n) ;
  t->len += n ;
}

/* Checks one message's rules while recording a normalized trace: DATA
 * events are merged, so the slicing does not show. */
typedef struct state_s state ;
struct state_s
{
  int inmessage ;     /* between ENVEND and MSGEND */
  int havesender ;
  int failed ;
  unsigned int nrcpt ;
  char prev ;
  uint64_t size ;
  int lastdata ;
} ;

static void check (state *st, injevent const *ev, uint64_t sizemax, trace *t)
{
  unsigned char type = (unsigned char)ev->type ;
  if (st->failed) die() ;   /* nothing after an error */
  switch (ev->type)
  {
    case INJ_FIELD :
      if (st->inmessage) die() ;
      if (ev->len > INJ_FIELD_MAX || memchr(ev->s, 0, ev->len)) die() ;
      if (!strchr("FTNMHCUPX", ev->tag) || !ev->tag) die() ;
      if (!st->havesender && ev->tag != 'F') die() ;
      if (ev->tag == 'F') { if (st->havesender) die() ; st->havesender = 1 ; }
      if (ev->tag == 'T') { if (!ev->len || ++st->nrcpt > INJ_RCPT_MAX) die() ; }
      if (ev->tag == 'N' && st->prev != 'T' && st->prev != 'N') die() ;
      st->prev = ev->tag ;
      put(t, &type, 1) ;
      put(t, &ev->tag, 1) ;
      put(t, &ev->len, sizeof(ev->len)) ;
      put(t, ev->s, ev->len) ;
      st->lastdata = 0 ;
      break ;
    case INJ_ENVEND :
      if (st->inmessage || !st->havesender || !st->nrcpt) die() ;
      st->inmessage = 1 ;
      put(t, &type, 1) ;
      st->lastdata = 0 ;
      break ;
    case INJ_DATA :
      if (!st->inmessage || !ev->len) die() ;
      st->size += ev->len ;
      if (sizemax && st->size > sizemax) die() ;
      if (!st->lastdata) put(t, &type, 1) ;
      put(t, ev->s, ev->len) ;
      st->lastdata = 1 ;
      break ;
    case INJ_MSGEND :
      if (!st->inmessage) die() ;
      memset(st, 0, sizeof(*st)) ;
      put(t, &type, 1) ;
      break ;
    case INJ_ERROR :
      if (!ev->s || ev->len < 6 || ev->s[0] != '5' || ev->s[1] != '.') die() ;
      st->failed = 1 ;
      put(t, &type, 1) ;
      put(t, ev->s, ev->len) ;
      st->lastdata = 0 ;
      break ;
    default : die() ;
  }
}

static void run (uint8_t const *in, size_t len, uint64_t sizemax, uint8_t cut, trace *t)
{
  injparse p ;
  state st ;
  size_t i = 0 ;
  unsigned int step = 0 ;
  memset(&st, 0, sizeof(st)) ;
  injparse_init(&p, sizemax) ;
  while (i < len)
  {
    /* cut == 0: everything at once; otherwise slices of 1..cut bytes
     * whose sizes follow a fixed pattern. */
    size_t n = cut ? 1 + (step++ * 7 + in[i]) % cut : len - i ;
    size_t off = 0 ;
    if (n > len - i) n = len - i ;
    while (off < n)
    {
      injevent ev ;
      size_t k = injparse_feed(&p, (char const *)in + i + off, n - off, &ev) ;
      if (k > n - off) die() ;
      if (ev.type == INJ_DATA && (ev.s < (char const *)in + i + off || ev.s + ev.len > (char const *)in + i + off + k)) die() ;
      if (ev.type == INJ_NEED)
      {
        if (k != n - off) die() ;   /* NEED means all was taken */
      }
      else check(&st, &ev, sizemax, t) ;
      off += k ;
      if (ev.type == INJ_ERROR) return ;
      if (!k && ev.type == INJ_NEED) die() ;
    }
    i += n ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static uint64_t const limits[4] = { 0, 100, 70000, 10240000 + 65536 } ;
  trace whole = { 0, 0, 0 }, sliced = { 0, 0, 0 } ;
  uint64_t sizemax ;
  uint8_t cut ;
  if (size < 2) return 0 ;
  sizemax = limits[data[0] & 3] ;
  cut = data[1] ;
  data += 2 ; size -= 2 ;
  run(data, size, sizemax, 0, &whole) ;
  run(data, size, sizemax, cut ? cut : 1, &sliced) ;
  if (whole.len != sliced.len || (whole.len && memcmp(whole.s, sliced.s, whole.len))) die() ;
  free(whole.s) ;
  free(sliced.s) ;
  return 0 ;
}
