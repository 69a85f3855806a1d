/* ISC license. */

#include "common/dns.h"

char const *dns_status_str (int status)
{
  switch (status)
  {
    case DNS_PENDING : return "pending" ;
    case DNS_OK : return "ok" ;
    case DNS_NODATA : return "nodata" ;
    case DNS_NXDOMAIN : return "nxdomain" ;
    case DNS_TEMPFAIL : return "tempfail" ;
    case DNS_BOGUS : return "bogus" ;
    case DNS_TIMEOUT : return "timeout" ;
    default : return "unknown" ;
  }
}
