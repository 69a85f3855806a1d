/* ISC license. */

#include <stdint.h>

#include <skalibs/strerr.h>

#include "common/config.h"
#include "policyd.h"

/* Defaults: nothing refused (PH_SPF_REJECT_FAIL, PH_SPF_DEFER_TEMPERROR
 * are the admin's choice), no header (PH_SPF_PREPEND: in posthaste's own
 * chain policyd-filter writes Received-SPF and Authentication-Results;
 * the header is for an outside Postfix that has no such filter), and
 * loopback clients (our own programs, a local Postfix) never checked
 * (postfix-policyd-spf-python's skip_addresses). */

#define SKIP_DEFAULT "127.0.0.0/8,::ffff:127.0.0.0/104,::1"

static int getbool (char const *name, int def)
{
  int v ;
  if (!config_get_bool(name, def, &v)) strerr_dief2x(100, name, " must be 0 or 1") ;
  return v ;
}

static unsigned int getuint (char const *name, unsigned int def, unsigned int max)
{
  uint64_t v ;
  if (!config_get_uint(name, def, &v) || !v || v > max) strerr_dief2x(100, name, " is not a number of seconds in range") ;
  return (unsigned int)v ;
}

void policy_settings_load (policy_settings *set)
{
  set->reject_fail = getbool("PH_SPF_REJECT_FAIL", 0) ;
  set->defer_temperror = getbool("PH_SPF_DEFER_TEMPERROR", 0) ;
  set->prepend = getbool("PH_SPF_PREPEND", 0) ;
  set->timeout = getuint("PH_SPF_TIMEOUT", 8, 600) ;
  set->idle = getuint("PH_POLICY_IDLE_TIMEOUT", 300, 86400) ;
  set->skip = config_get_default("PH_SPF_SKIP_ADDRESSES", SKIP_DEFAULT) ;
  if (policy_skip_match(set->skip, "127.0.0.1") < 0) strerr_dief1x(100, "PH_SPF_SKIP_ADDRESSES is not a list of addresses or CIDR blocks") ;
  set->receiver = config_hostname() ;
}
