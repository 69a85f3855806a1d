/* ISC license. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

#include "common/greylist.h"
#include "tests/unit/check.h"

int main (void)
{
  char dir[] = "/tmp/greylist-unit-XXXXXX" ;
  greylist_settings set = { .delay = 300, .max_age = 35 * 86400, .retry_window = 2 * 86400, .auto_whitelist = 2 } ;
  uint64_t now = 1700000000, wait ;
  char net[GREYLIST_NET_MAX] ;
  if (!mkdtemp(dir)) { perror("mkdtemp") ; return 111 ; }

  CHECK(greylist_net(net, "192.0.2.77") && !strcmp(net, "192.0.2"), "net: IPv4 /24") ;
  CHECK(greylist_net(net, "2001:db8:1:2:3:4:5:6") && !strcmp(net, "2001:0db8:0001:0002::/64"), "net: IPv6 /64") ;
  CHECK(greylist_net(net, "::ffff:192.0.2.1") && !strcmp(net, "192.0.2"), "net: IPv4-mapped is IPv4") ;
  CHECK(!greylist_net(net, "not-an-ip"), "net: garbage refused") ;

  CHECK(greylist_check(dir, &set, "192.0.2.1", "a@x.test", "b@y.test", now, &wait) == GREYLIST_DEFER && wait == 300, "first attempt deferred for the delay") ;
  CHECK(greylist_check(dir, &set, "192.0.2.1", "a@x.test", "b@y.test", now + 100, &wait) == GREYLIST_DEFER && wait == 200, "early retry deferred, first time kept") ;
  CHECK(greylist_check(dir, &set, "192.0.2.9", "A@X.test", "b@y.TEST", now + 300, &wait) == GREYLIST_PASS, "retry after the delay from the same /24, any case, passes") ;
  CHECK(greylist_check(dir, &set, "192.0.2.1", "a@x.test", "b@y.test", now + 5000, &wait) == GREYLIST_PASS, "a passed triplet keeps passing") ;
  CHECK(greylist_check(dir, &set, "192.0.2.1", "other@x.test", "b@y.test", now + 5000, &wait) == GREYLIST_DEFER, "another sender is a new triplet") ;
  CHECK(greylist_check(dir, &set, "198.51.100.1", "a@x.test", "b@y.test", now + 5000, &wait) == GREYLIST_DEFER, "another network is a new triplet") ;
  CHECK(greylist_check(dir, &set, "192.0.2.1", "other@x.test", "b@y.test", now + 5400, &wait) == GREYLIST_PASS, "second triplet of the client passes") ;
  CHECK(greylist_check(dir, &set, "192.0.2.1", "third@x.test", "c@y.test", now + 5400, &wait) == GREYLIST_CLIENT_OK, "client auto-whitelisted after 2 retries") ;
  CHECK(greylist_check(dir, &set, "198.51.100.1", "z@x.test", "b@y.test", now + 2 * 86400 + 6000, &wait) == GREYLIST_DEFER, "new triplet deferred") ;
  CHECK(greylist_check(dir, &set, "198.51.100.1", "a@x.test", "b@y.test", now + 2 * 86400 + 6000, &wait) == GREYLIST_DEFER && wait == 300, "retry after the retry window starts over") ;
  CHECK(greylist_check(dir, &set, "192.0.2.1", "third@x.test", "c@y.test", now + 40 * 86400, &wait) == GREYLIST_DEFER, "auto-whitelisting expires after max_age") ;
  CHECK(greylist_check(dir, &set, "bogus", "a@x.test", "b@y.test", now, &wait) < 0, "bad address is an error") ;

  /* sweep: every record made old, then swept slot by slot */
  {
    char cmd[256] ;
    int total = 0 ;
    snprintf(cmd, sizeof(cmd), "find %s -type f -exec touch -d '2000-01-01' {} +", dir) ;
    if (system(cmd)) return 111 ;
    for (unsigned int m = 0 ; m < 32 ; m++)
    {
      int r = greylist_sweep(dir, &set, now + m * 60, 1000) ;
      if (r < 0) { total = -1 ; break ; }
      total += r ;
    }
    CHECK(total >= 6, "sweep removes old records in all 32 slots") ;
    snprintf(cmd, sizeof(cmd), "test -z \"$(find %s -type f)\"", dir) ;
    CHECK(!system(cmd), "sweep leaves nothing old") ;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir) ;
    if (system(cmd)) return 111 ;
  }
  return check_done() ;
}
