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
  uint64_t remote_timeout ; /* PH_REMOTE_DELIVERY_TIMEOUT: one request at remote.sock */
  uint64_t rescan ;        /* PH_QUEUE_RESCAN: backstop scan interval */
  uint64_t active_max ;    /* PH_QUEUE_ACTIVE_LIMIT: messages in memory */
  uint64_t delay_warning ; /* PH_DELAY_WARNING_TIME: 0 = no delay notices */
  uint64_t filter_timeout ;  /* PH_FILTER_TIMEOUT: one filter program */
  uint64_t bounce_size ;   /* PH_BOUNCE_SIZE_LIMIT: largest message returned whole */
  unsigned int concurrency ; /* PH_DELIVERY_CONCURRENCY: connections to deliverd */
  unsigned int remote_concurrency ;  /* PH_REMOTE_CONCURRENCY: to remote.sock */
  unsigned int domain_concurrency ;  /* PH_REMOTE_CONCURRENCY_PER_DOMAIN */
  unsigned int remote_rcpt_max ;     /* PH_REMOTE_RCPT_MAX: recipients per request */
  unsigned int filter_concurrency ;  /* PH_FILTER_CONCURRENCY: filter programs at once */
  char const *qdir ;       /* PH_QUEUE_DIR */
  char const *cdbdir ;     /* PH_CDB_DIR: domains.cdb says local or remote */
  char const *socket ;     /* $PH_RUN_DIR/deliverd.sock */
  char const *remote_socket ; /* $PH_RUN_DIR/remote.sock */
  char const *filter_socket ; /* $PH_RUN_DIR/filter.sock: filterrun, as phfilter */
  char const *filters_in ; /* PH_FILTERS_INBOUND, or 0 */
  char const *filters_out ; /* PH_FILTERS_OUTBOUND, or 0 */
  char const *hostname ;   /* the mail host name, for notifications */
  char const *postmaster ; /* POSTMASTER_ADDRESS: double bounces go there */
} ;

extern qconf conf ;

/* Reads everything; dies 100 on a bad or missing setting. */
extern void qconf_read (void) ;

/* A duration: seconds, or a number with s, m, h, d or w (Postfix style). */
extern int qconf_duration (char const *s, uint64_t *out) ;

#endif
