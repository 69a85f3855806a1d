/* ISC license. */

/* libFuzzer harness for deliverd's readers of queued's bytes: the
 * request body parser (deliverd/delivreq.c) and, with the recipient of a
 * request that parses (or a fixed address), the Delivered-To loop scan of
 * a message's header section (deliverd/hdrscan.c) over the same input. */

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
  return 0 ;
}
