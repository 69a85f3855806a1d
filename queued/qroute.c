/* ISC license. */

#include <string.h>

#include "common/addr.h"
#include "common/rcpt.h"
#include "queued/qmsg.h"
#include "queued/qroute.h"

static rcptmaps maps = RCPTMAPS_ZERO ;

int qroute_open (char const *cdbdir)
{
  return rcptmaps_open(&maps, cdbdir) ;
}

int qroute_classify (char const *addr)
{
  mailaddr a ;
  char key[ADDR_PATH_MAX + 3] ;
  size_t keylen ;
  int r ;
  if (!addr_parse_mailbox(addr, strlen(addr), &a, ADDR_UTF8_OK | ADDR_LIMITS_LAX)) return QROUTE_LOCAL ;
  keylen = addr_key(&a, key) ;
  r = rcpt_domain_local(&maps, key, keylen) ;
  if (r < 0) return -1 ;
  return r ? QROUTE_LOCAL : QROUTE_REMOTE ;
}

size_t qroute_domain (char const *addr, char *dom)
{
  char const *at = strrchr(addr, '@') ;
  char const *d = at ? at + 1 : "" ;
  size_t n = 0 ;
  for (; d[n] && n < QROUTE_DOMAIN_MAX ; n++)
  {
    char c = d[n] ;
    dom[n] = c >= 'A' && c <= 'Z' ? c + 32 : c ;
  }
  dom[n] = 0 ;
  return n ;
}
