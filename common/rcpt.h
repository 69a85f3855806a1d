/* ISC license. */

#ifndef POSTHASTE_RCPT_H
#define POSTHASTE_RCPT_H

/* Recipient resolution, shared by smtpd (may we accept it?) and deliverd
 * (where does it go?); the rules are in docs/internals.md. */

#include <stddef.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/cdbmap.h"

typedef struct rcptmaps_s rcptmaps, *rcptmaps_ref ;
struct rcptmaps_s
{
  cdbmap domains ;
  cdbmap users ;
  cdbmap aliases ;
  stralloc paths ;
} ;
#define RCPTMAPS_ZERO { .domains = CDBMAP_ZERO, .users = CDBMAP_ZERO, .aliases = CDBMAP_ZERO, .paths = STRALLOC_ZERO }

/* Opens domains.cdb, users.cdb and aliases.cdb in dir. 1 or 0 (errno). */
extern int rcptmaps_open (rcptmaps *, char const *dir) ;
extern void rcptmaps_close (rcptmaps *) ;

#define RCPT_REMOTE 0    /* domain is not ours */
#define RCPT_LOCAL 1     /* deliverable here: account, alias or catch-all */
#define RCPT_UNKNOWN 2   /* our domain, no such user */

/* Classifies key (an addr_key() lower-cased address). Returns RCPT_*,
 * or -1 on a lookup error (errno): the caller answers 4xx. */
extern int rcpt_classify (rcptmaps *, char const *key, size_t keylen) ;

/* One final destination of a recipient. */
typedef struct rcptdest_s rcptdest, *rcptdest_ref ;
struct rcptdest_s
{
  int kind ;            /* RCPT_LOCAL: a Maildir here; RCPT_REMOTE: forward */
  size_t addr ;         /* offset in storage: the final address, NUL-terminated */
  size_t maildir ;      /* RCPT_LOCAL: offset of the Maildir path relative to PH_MAILROOT */
  size_t folder ;       /* RCPT_LOCAL: offset of the folder name from +tag, "" for INBOX */
} ;

/* Expands key into final destinations (aliases followed, duplicates
 * removed), appending rcptdest records to *dests and strings to *storage.
 * Returns the number of destinations (0 = unknown user), or -1 on error
 * (errno: ELOOP for an alias loop or depth > 10, or a lookup error). */
extern int rcpt_expand (rcptmaps *, char const *key, size_t keylen, genalloc *dests, stralloc *storage) ;

#endif
