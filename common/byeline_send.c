/* ISC license. */

#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/tai.h>

#include "common/byeline.h"
#include "common/lineio.h"

void byeline_send (buffer *out, char const *prefix, char const *text)
{
  tain deadline ;
  char buf[BYELINE_MAX] ;
  size_t p = strlen(prefix), n = strlen(text) ;
  if (p > sizeof(buf) - 2) p = sizeof(buf) - 2 ;
  if (n > sizeof(buf) - 2 - p) n = sizeof(buf) - 2 - p ;
  memcpy(buf, prefix, p) ;
  memcpy(buf + p, text, n) ;
  memcpy(buf + p + n, "\r\n", 2) ;
  tain_now_g() ;
  tain_addsec_g(&deadline, 5) ;
  lineio_put(out, buf, p + n + 2, &deadline) ;
}
