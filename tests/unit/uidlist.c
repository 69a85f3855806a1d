/* ISC license. */

/* common/uidlist: the peer-uid lists of the settings. */

#include <stdint.h>

#include "common/uidlist.h"
#include "tests/unit/check.h"

int main (void)
{
  CHECK(uidlist_match(0, 5) == 0, "no list: not listed") ;
  CHECK(uidlist_match("", 5) == 0, "empty list: not listed") ;
  CHECK(uidlist_match("5", 5) == 1, "one uid") ;
  CHECK(uidlist_match("1,5,9", 5) == 1 && uidlist_match("1, 5 9", 9) == 1, "commas, spaces, both") ;
  CHECK(uidlist_match("1,5,9", 6) == 0, "not in the list") ;
  CHECK(uidlist_match(" ,5, ", 5) == 1, "leading and trailing separators") ;
  CHECK(uidlist_match("51", 5) == 0 && uidlist_match("5", 51) == 0, "whole numbers, not prefixes") ;
  CHECK(uidlist_match("5,x", 5) == -1, "a bad entry after the match: the list does not parse") ;
  CHECK(uidlist_match("x,5", 5) == -1 && uidlist_match("5x", 5) == -1 && uidlist_match("5;6", 6) == -1,
        "a bad entry or separator anywhere") ;
  CHECK(uidlist_match("-1", 5) == -1, "no sign") ;
  CHECK(uidlist_match("18446744073709551615", UINT64_MAX) == 1, "the largest uid") ;
  return check_done() ;
}
