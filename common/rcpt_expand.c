/* ISC license. */

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/rcpt.h"

int rcpt_expand (rcptmaps *m, char const *key, size_t keylen, genalloc *dests, stralloc *storage)
{
  return rcpt_expand_report(m, key, keylen, dests, storage, 0) ;
}
