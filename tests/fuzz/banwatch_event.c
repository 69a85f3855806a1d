/* ISC license. */

/* banwatch's readers of untrusted bytes: the event datagram parser
 * (common/banevent_parse), the address and key scanners, and the
 * log-line rules (banwatch/bw_rules) matching an arbitrary line. The
 * first byte picks the face; the formatter's output must parse back. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/banevent.h"
#include "banwatch/banwatch.h"

static int rules_ready = 0 ;

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char buf[BANEVENT_MAX + 1] ;
  if (!rules_ready)
  {
    char const *why ;
    bw_rules_add("auth_fail sshd Failed password for * from <HOST> port", &why) ;
    bw_rules_add("auth_fail dovecot auth failed*rip=<HOST>,", &why) ;
    bw_rules_add("bad_command x [<HOST>]*(?)", &why) ;
    rules_ready = 1 ;
  }
  if (!size) return 0 ;
  switch (data[0] % 4)
  {
    case 0 :
    {
      banevent ev ;
      size_t n = size - 1 > BANEVENT_MAX ? BANEVENT_MAX : size - 1 ;
      memcpy(buf, data + 1, n) ;
      if (banevent_parse(buf, n, &ev))
      {
        char out[BANEVENT_MAX] ;
        size_t m = banevent_fmt(out, ev.event, ev.ip, ev.service, ev.user) ;
        banevent again ;
        if (m && !banevent_parse(out, m + 1, &again)) __builtin_trap() ;
      }
      break ;
    }
    case 1 :
    {
      bw_addr a ;
      size_t n = size - 1 > 100 ? 100 : size - 1 ;
      memcpy(buf, data + 1, n) ;
      buf[n] = 0 ;
      if (bw_addr_scan(buf, 1, &a))
      {
        char key[80] ;
        bw_addr b ;
        size_t k = bw_addr_key(key, &a) ;
        if (!bw_addr_key_scan(key, k, &b) || !bw_addr_same(&a, &b)) __builtin_trap() ;
      }
      break ;
    }
    case 2 :
    {
      bw_addr a ;
      size_t n = size - 1 > 100 ? 100 : size - 1 ;
      bw_addr_key_scan((char const *)data + 1, n, &a) ;
      break ;
    }
    default :
    {
      char line[4096] ;
      char out[BANEVENT_MAX] ;
      size_t n = size - 1 > sizeof(line) - 1 ? sizeof(line) - 1 : size - 1 ;
      memcpy(line, data + 1, n) ;
      line[n] = 0 ;
      bw_rules_match(line, out) ;
      break ;
    }
  }
  return 0 ;
}
