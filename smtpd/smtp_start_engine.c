/* ISC license. */

#include <skalibs/stralloc.h>

#include "common/config.h"
#include "smtp_start.h"

void smtp_start_engine (smtp_engine *e)
{
  static stralloc injectpath = STRALLOC_ZERO ;
  e->hostname = config_hostname() ;
  e->maxsize = smtp_start_size("POSTFIX_MESSAGE_SIZE_LIMIT", 10240000) ;
  e->maxrcpt = smtp_start_uint("PH_SMTP_MAX_RCPT", 1000, 1, 100000) ;
  e->maxerrors = smtp_start_uint("PH_SMTP_MAX_ERRORS", 20, 1, 100000) ;
  e->linemax = smtp_start_uint("PH_SMTP_LINE_MAX", SMTP_LINE_DEFAULT, 512, SMTP_LINE_MAX) ;
  e->datalinemax = smtp_start_uint("PH_SMTP_DATA_LINE_MAX", SMTP_DATALINE_DEFAULT, 998, 16 * 1024 * 1024) ;
  /* RFC 5321 4.5.3.2 */
  e->timeouts.command = smtp_start_uint("PH_SMTP_TIMEOUT", 300, 1, 86400) ;
  e->timeouts.mail = smtp_start_uint("PH_SMTP_MAIL_TIMEOUT", 300, 1, 86400) ;
  e->timeouts.rcpt = smtp_start_uint("PH_SMTP_RCPT_TIMEOUT", 300, 1, 86400) ;
  e->timeouts.datainit = smtp_start_uint("PH_SMTP_DATA_INIT_TIMEOUT", 120, 1, 86400) ;
  e->timeouts.datablock = smtp_start_uint("PH_SMTP_DATA_BLOCK_TIMEOUT", 180, 1, 86400) ;
  e->timeouts.dataterm = smtp_start_uint("PH_SMTP_DATA_TERM_TIMEOUT", 600, 1, 86400) ;
  e->timeouts.session = smtp_start_uint("PH_SMTP_SESSION_TIMEOUT", 3600, 1, 7 * 86400) ;
  if (!stralloc_cats(&injectpath, config_get_default("PH_RUN_DIR", "/run/posthaste"))
   || !stralloc_cats(&injectpath, "/inject.sock")
   || !stralloc_0(&injectpath))
    smtp_start_diesys("allocate memory", "") ;
  e->injectpath = injectpath.s ;
}
