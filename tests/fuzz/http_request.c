/* ISC license. */

/* libFuzzer harness for webd's request head (webd/http_request.c):
 * http_head_end on every prefix length that matters, then
 * http_request_parse on the head it measured, and the lookups a handler
 * makes. Properties: the head end never exceeds the input, the limits
 * are kept (a complete head is at most HTTP_HEAD_MAX bytes), every
 * offset the parser returns lies inside the head, the host is
 * lower-case with no port, a 1.1 request that parses has one Host, and
 * the parse is deterministic. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webd/http_request.h"

#define ASSERT(c) do { if (!(c)) abort() ; } while (0)

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static http_request r, r2 ;
  char const *s = (char const *)data ;
  unsigned int status = 0, status2 = 0 ;
  long end ;
  if (size > 2 * HTTP_HEAD_MAX) return 0 ;
  end = http_head_end(s, size, &status) ;
  ASSERT(end >= -1) ;
  if (end < 0) { ASSERT(status == 414 || status == 431) ; return 0 ; }
  if (!end) return 0 ;
  ASSERT((size_t)end <= size && (size_t)end <= HTTP_HEAD_MAX) ;
  /* the same head, fed alone, is complete at the same place */
  ASSERT(http_head_end(s, (size_t)end, &status2) == end) ;
  if (!http_request_parse(&r, s, (size_t)end, &status))
  {
    ASSERT(status == 400 || status == 431 || status == 501 || status == 505) ;
    return 0 ;
  }
  ASSERT(status == 0) ;
  ASSERT(r.method >= 1 && r.method <= 4) ;
  ASSERT(r.minor <= 1) ;
  ASSERT(r.nfields <= HTTP_FIELDS_MAX) ;
  ASSERT(r.path + r.pathlen <= (size_t)end) ;
  ASSERT(!r.querylen || r.query + r.querylen <= (size_t)end) ;
  ASSERT(strlen(r.host) <= HTTP_HOST_MAX) ;
  for (char const *h = r.host ; *h ; h++) ASSERT(!(*h >= 'A' && *h <= 'Z')) ;
  if (r.host[0] != '[') ASSERT(!strchr(r.host, ':')) ;
  for (unsigned int i = 0 ; i < r.nfields ; i++)
  {
    ASSERT(r.field[i].namelen && r.field[i].name + r.field[i].namelen <= (size_t)end) ;
    ASSERT(r.field[i].value + r.field[i].valuelen <= (size_t)end) ;
    for (size_t k = 0 ; k < r.field[i].valuelen ; k++)
    {
      unsigned char c = (unsigned char)s[r.field[i].value + k] ;
      ASSERT(c == '\t' || (c >= 0x20 && c != 0x7f)) ;
    }
  }
  if (r.minor == 1 && r.method != HTTP_OTHER)
  {
    size_t vlen ;
    ASSERT(http_request_field(&r, s, "host", &vlen)) ;
  }
  {
    char out[64] ;
    int q = http_query_param(&r, s, "emailaddress", out, sizeof(out)) ;
    ASSERT(q >= -1 && q <= 1) ;
    if (q == 1) ASSERT(strlen(out) < sizeof(out)) ;
  }
  ASSERT(http_request_parse(&r2, s, (size_t)end, &status2) == 1 && !memcmp(&r, &r2, sizeof(r))) ;
  return 0 ;
}
