/* ISC license. */

#include <stdint.h>

#include <skalibs/uint64.h>

#include "common/uidlist.h"

int uidlist_match (char const *list, uint64_t uid)
{
  int found = 0 ;
  while (list && *list)
  {
    uint64_t u ;
    size_t n ;
    while (*list == ',' || *list == ' ') list++ ;
    if (!*list) break ;
    n = uint64_scan(list, &u) ;
    if (!n) return -1 ;
    if (u == uid) found = 1 ;
    list += n ;
    if (*list && *list != ',' && *list != ' ') return -1 ;
  }
  return found ;
}
