/* ISC license. */

#include <errno.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/rcpt.h"

 /* smtpd asks before it says 250 to RCPT: the full expansion answers, so
    an alias whose targets are all unknown is refused at once rather than
    bounced later (backscatter), and an alias loop is a 4xx (a
    configuration error, fixed by the administrator, as Postfix defers
    it) rather than a lost message. */

int rcpt_classify (rcptmaps *m, char const *key, size_t keylen)
{
  genalloc dests = GENALLOC_ZERO ;
  stralloc storage = STRALLOC_ZERO ;
  int r = rcpt_domain_local(m, key, keylen) ;
  if (r <= 0) return r ? -1 : RCPT_REMOTE ;
  r = rcpt_expand(m, key, keylen, &dests, &storage) ;
  {
    int e = errno ;
    genalloc_free(rcptdest, &dests) ;
    stralloc_free(&storage) ;
    errno = e ;
  }
  return r < 0 ? -1 : r ? RCPT_LOCAL : RCPT_UNKNOWN ;
}
