/* ISC license. */

#include <stdint.h>

#include <skalibs/uint64.h>

#include "uidlist.h"

int uidlist_match (char const *list, uint64_t uid)
{
  while (list && *list)
  {
    uint64_t u ;
    size_t n ;
    while (*list == ',' || *list == ' ') list++ ;
    if (!*list) break ;
    n = uint64_scan(list, &u) ;
    if (!n) return -1 ;
    if (u == uid) return 1 ;
    list += n ;
    if (*list && *list != ',' && *list != ' ') return -1 ;
  }
  return 0 ;
}
