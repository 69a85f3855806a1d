/* ISC license. */

/* libFuzzer harness for deliverd's readers of queued's bytes: the
 * request body parser (deliverd/delivreq.c) and, with the recipient of a
 * request that parses (or a fixed address), the Delivered-To loop scan of
 * a message's header section (deliverd/hdrscan.c) over the same input,
 * and the hop count (Received and Delivered-To fields). */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "deliverd/delivreq.h"
#include "deliverd/hdrscan.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  delivreq req ;
  char const *why = 0 ;
  if (delivreq_parse(s, size, &req, &why))
  {
     /* every pointer must stay inside the input and be NUL-terminated */
    if (req.qid < s || req.qid >= s + size || req.sender < s || req.sender >= s + size
     || req.rcpt < s || req.rcpt >= s + size || !*req.rcpt) __builtin_trap() ;
    if (strlen(req.qid) < 12 || strlen(req.qid) > 24) __builtin_trap() ;
    hdrscan_delivered_to(s, size, req.rcpt, strlen(req.rcpt)) ;
  }
  else if (!why) __builtin_trap() ;
  hdrscan_delivered_to(s, size, "demo@example.test", 17) ;
  {
     /* the hop count never exceeds its stop, nor the number of lines */
    unsigned int lines = 1 ;
    for (size_t i = 0 ; i < size ; i++) if (s[i] == '\n') lines++ ;
    if (hdrscan_hops(s, size, 51) > 51 || hdrscan_hops(s, size, (unsigned int)-1) > lines) __builtin_trap() ;
  }
  return 0 ;
}
