/* ISC license. */

#ifndef POSTHASTE_MAILCTL_ENVNAMES_H
#define POSTHASTE_MAILCTL_ENVNAMES_H

/* Every docker-mailserver variable (its mailserver.env and its
 * "Environment Variables" page), and what posthaste does with it. */

#include <stddef.h>

#define MC_ENV_SUPPORTED 1    /* read under this name, same meaning */
#define MC_ENV_UNSUPPORTED 2  /* no posthaste meaning: reported when set,
                                 unless to a value in `same` */
#define MC_ENV_RETIRED 3      /* docker-mailserver itself dropped it */

typedef struct mc_envname_s mc_envname ;
struct mc_envname_s
{
  char const *name ;
  unsigned int status ;
  /* UNSUPPORTED: comma-separated values posthaste's fixed behaviour
   * already is (ENABLE_CLAMAV=0, ENABLE_IMAP=1), not worth a report;
   * RETIRED: what replaces it; else 0 */
  char const *same ;
} ;

extern mc_envname const mc_envnames[] ;
extern unsigned int const mc_envnames_n ;

/* mailctl envcheck (envcheck.c): reports, as log events, the
 * docker-mailserver variables set in $PH_ENVFILE or the environment that
 * posthaste does not support (one line, event=env_unsupported) and the
 * retired ones (event=env_retired, one each). Returns the exit code. */
extern int mc_envcheck (int argc, char const *const *argv) ;

/* The entry for name, or 0. */
extern mc_envname const *mc_envname_find (char const *name, size_t len) ;

#endif
