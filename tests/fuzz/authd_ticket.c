/* ISC license. */

/* libFuzzer harness for authd's ticket file parser (authd -m reads the
 * file it claimed; only authd writes there, but a corrupt file must not
 * crash it). Checks: an accepted ticket has a non-empty user, a service
 * and rip pointing inside the buffer. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authd/authd.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char buf[AUTHD_TICKET_FILE_MAX] ;
  authd_ticket t ;
  if (size > sizeof(buf)) return 0 ;
  memcpy(buf, data, size) ;
  if (!authd_ticket_parse(buf, size, &t)) return 0 ;
  if (!t.user || !t.user[0] || !t.service || !t.rip) abort() ;
  if (t.user < buf || t.user >= buf + size || t.service < buf || t.service >= buf + size) abort() ;
  if (t.rip[0] && (t.rip < buf || t.rip >= buf + size)) abort() ;
  return 0 ;
}
