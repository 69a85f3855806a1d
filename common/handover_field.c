/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>

#include "common/handover.h"

int handover_field (stralloc *sa, char const *key, char const *value)
{
  size_t klen = strlen(key) ;
  if (!klen) return (errno = EINVAL, 0) ;
  for (size_t i = 0 ; i < klen ; i++)
  {
    char c = key[i] ;
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return (errno = EINVAL, 0) ;
  }
  if (strpbrk(value, "\r\n")) return (errno = EINVAL, 0) ;
  return stralloc_catb(sa, key, klen) && stralloc_catb(sa, "=", 1) && stralloc_cats(sa, value) && stralloc_0(sa) ;
}
