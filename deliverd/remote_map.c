/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "remote_route.h"

#define MAP_FILE_MAX (1024 * 1024)

static int space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' ;
}

int remote_map_find (char const *path, char const *key, char *value, size_t max)
{
  stralloc sa = STRALLOC_ZERO ;
  size_t klen = strlen(key) ;
  size_t pos = 0 ;
  int found = 0 ;
  if (!openslurpclose(&sa, path))
  {
    if (errno == ENOENT) return 0 ;
    stralloc_free(&sa) ;
    return -1 ;
  }
  if (sa.len > MAP_FILE_MAX) { stralloc_free(&sa) ; return (errno = EFBIG, -1) ; }
  while (pos < sa.len && !found)
  {
    char const *line = sa.s + pos ;
    char const *nl = memchr(line, '\n', sa.len - pos) ;
    size_t len = nl ? (size_t)(nl - line) : sa.len - pos ;
    size_t i = 0, k ;
    pos += len + 1 ;
    while (i < len && space(line[i])) i++ ;
    if (i == len || line[i] == '#') continue ;
    k = i ;
    while (k < len && !space(line[k])) k++ ;
    if (k - i != klen || case_diffb(line + i, klen, key)) continue ;
    while (k < len && space(line[k])) k++ ;
    while (len > k && space(line[len - 1])) len-- ;
    if (len - k + 1 > max) { stralloc_free(&sa) ; return (errno = EINVAL, -1) ; }
    memcpy(value, line + k, len - k) ;
    value[len - k] = 0 ;
    found = 1 ;
  }
  stralloc_free(&sa) ;
  return found ;
}
