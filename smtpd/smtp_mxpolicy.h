/* ISC license. */

#ifndef POSTHASTE_SMTP_MXPOLICY_H
#define POSTHASTE_SMTP_MXPOLICY_H

/* The MX intake's recipient policy (smtp_engine.rcptcheck for smtpd):
 * local recipients are accepted, unknown local ones refused, remote ones
 * relayed only for clients in PH_RELAY_NETWORKS. */

#include "common/ratelimit.h"
#include "common/rcpt.h"
#include "smtp_session.h"

typedef struct smtp_mxpolicy_s smtp_mxpolicy, *smtp_mxpolicy_ref ;
struct smtp_mxpolicy_s
{
  rcptmaps maps ;
  char const *hostname ;
  char const *postmaster ;   /* POSTMASTER_ADDRESS, 0 if unset */
  /* RCPT commands per client address, for unauthenticated sessions
   * (smtpd: PH_SMTP_RCPT_RATE_IP); each one counts, kept at once */
  ratelimit iprate ;
  /* accepted recipients per login (submitd: PH_SUBMISSION_RCPT_RATE),
   * reserved for the transaction: the txend hook keeps or releases */
  ratelimit userrate ;
} ;

extern smtp_rcptcheck_func smtp_mxpolicy_rcptcheck ;

#endif
