/* ISC license. */

#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mime.h"

void mime_free (mime_tree *t)
{
  genalloc_free(mime_part, &t->parts) ;
  stralloc_free(&t->strings) ;
  t->msg = 0 ;
  t->len = 0 ;
}
