/* ISC license. */

#include <skalibs/stralloc.h>

#include "common/config.h"
#include "common/ratelimit.h"
#include "smtp_start.h"

void smtp_start_ratelimit (ratelimit *r, char const *name, char const *subdir)
{
  /* the directory's name lives as long as the process */
  static stralloc dirs[2] = { STRALLOC_ZERO, STRALLOC_ZERO } ;
  static unsigned int used = 0 ;
  char const *spec = config_get(name) ;
  r->count = 0 ;
  r->token = 0 ;
  if (!spec) return ;
  if (!ratelimit_parse(spec, &r->count, &r->window)) smtp_start_dieconfig(name) ;
  if (used >= 2) smtp_start_die("too many rate limits: please submit a bug-report", "") ;
  if (!stralloc_cats(&dirs[used], config_get_default("PH_STATE", "/var/mail-state/posthaste"))
   || !stralloc_catb(&dirs[used], "/", 1) || !stralloc_cats(&dirs[used], subdir) || !stralloc_0(&dirs[used]))
    smtp_start_diesys("allocate memory", "") ;
  r->dir = dirs[used++].s ;
}
