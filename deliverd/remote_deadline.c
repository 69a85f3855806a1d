/* ISC license. */

#include <skalibs/tai.h>

#include "remote_deliver.h"

void remote_deadline (tain *d, unsigned int secs)
{
  tain_now_g() ;
  tain_addsec_g(d, secs) ;
}
