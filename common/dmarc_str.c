/* ISC license. */

#include "common/dmarc.h"

char const *dmarc_policy_str (int p)
{
  switch (p)
  {
    case DMARC_P_NONE : return "none" ;
    case DMARC_P_QUARANTINE : return "quarantine" ;
    case DMARC_P_REJECT : return "reject" ;
    default : return "" ;
  }
}

char const *dmarc_result_str (int res)
{
  switch (res)
  {
    case DMARC_PASS : return "pass" ;
    case DMARC_FAIL : return "fail" ;
    case DMARC_TEMPERROR : return "temperror" ;
    case DMARC_PERMERROR : return "permerror" ;
    default : return "none" ;
  }
}
