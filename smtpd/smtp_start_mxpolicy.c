/* ISC license. */

#include "common/config.h"
#include "common/rcpt.h"
#include "smtp_start.h"

void smtp_start_mxpolicy (smtp_mxpolicy *p, char const *hostname)
{
  p->hostname = hostname ;
  p->postmaster = config_get("POSTMASTER_ADDRESS") ;
  if (!rcptmaps_open(&p->maps, config_get_default("PH_CDB_DIR", "/var/mail-state/posthaste/cdb")))
    smtp_start_diesys("open the recipient maps in PH_CDB_DIR", "") ;
}
