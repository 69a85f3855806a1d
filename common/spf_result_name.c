/* ISC license. */

#include "common/spf.h"

char const *spf_result_name (int result)
{
  switch (result)
  {
    case SPF_NONE : return "none" ;
    case SPF_NEUTRAL : return "neutral" ;
    case SPF_PASS : return "pass" ;
    case SPF_FAIL : return "fail" ;
    case SPF_SOFTFAIL : return "softfail" ;
    case SPF_TEMPERROR : return "temperror" ;
    case SPF_PERMERROR : return "permerror" ;
    default : return "unknown" ;
  }
}
