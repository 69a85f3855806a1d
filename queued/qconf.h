/* ISC license. */

#ifndef POSTHASTE_QUEUED_QCONF_H
#define POSTHASTE_QUEUED_QCONF_H

/* queued's settings (queued/README.md lists them with their defaults). */

#include <stdint.h>

typedef struct qconf_s qconf, *qconf_ref ;
struct qconf_s
{
  uint64_t retry_min ;     /* PH_RETRY_MIN: first retry delay, seconds */
  uint64_t retry_max ;     /* PH_RETRY_MAX: the doubling stops here */
  uint64_t lifetime ;      /* PH_QUEUE_LIFETIME: then recipients fail */
  uint64_t timeout ;       /* PH_DELIVERY_TIMEOUT: one request at deliverd */
  uint64_t rescan ;        /* PH_QUEUE_RESCAN: backstop scan interval */
  uint64_t active_max ;    /* PH_QUEUE_ACTIVE_LIMIT: messages in memory */
  unsigned int concurrency ; /* PH_DELIVERY_CONCURRENCY: connections */
  char const *qdir ;       /* PH_QUEUE_DIR */
  char const *socket ;     /* $PH_RUN_DIR/deliverd.sock */
} ;

extern qconf conf ;

/* Reads everything; dies 100 on a bad or missing setting. */
extern void qconf_read (void) ;

/* A duration: seconds, or a number with s, m, h, d or w (Postfix style). */
extern int qconf_duration (char const *s, uint64_t *out) ;

#endif
