/* ISC license. */

#ifndef POSTHASTE_WEBD_H
#define POSTHASTE_WEBD_H

/* webd's parts: the routes of the web face (webd_route.c and the
 * documents: webd_mtasts.c, webd_autoconfig.c, webd_autodiscover.c)
 * and the metrics face (webd_metrics.c, webd_logscan.c). */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/stralloc.h>

#include "http_request.h"

#define WEBD_BODY_MAX 65536     /* a POST body (autodiscover requests are < 1 KiB) */

typedef struct webd_response_s webd_response, *webd_response_ref ;
struct webd_response_s
{
  unsigned int status ;
  char const *ctype ;           /* 0: text/plain; charset=utf-8 */
  char const *allow ;           /* the Allow field of a 405 */
  stralloc body ;
} ;
#define WEBD_RESPONSE_ZERO { .status = 0, .ctype = 0, .allow = 0, .body = STRALLOC_ZERO }

/* What a handler sees of the request. */
typedef struct webd_req_s webd_req, *webd_req_ref ;
struct webd_req_s
{
  http_request const *r ;
  char const *head ;
  char const *body ;
  size_t bodylen ;
  int tls ;                      /* the client is behind tlsd (SSL_PROTOCOL set) */
} ;

extern char const *webd_reason (unsigned int status) ;
/* A plain-text error body for status. */
extern void webd_error (webd_response *, unsigned int status) ;
/* Appends, dying 111 on ENOMEM. */
extern void webd_cats (stralloc *sa, char const *s) ;
extern void webd_catb (stralloc *sa, char const *s, size_t n) ;
extern void webd_catu (stralloc *sa, uint64_t u) ;
extern void webd_cat_xml (stralloc *sa, char const *s) ;   /* XML-escaped */

/* Is d (lower case) a local domain (domains.cdb)? 1 yes, 0 no, -1 the
 * map cannot be read. */
extern int webd_domain_local (char const *d) ;
/* A port setting (environment, then $PH_ENVFILE), its default when unset. */
extern unsigned int webd_port (char const *var, unsigned int def) ;

/* The web face: dispatches on the path. */
extern void webd_route (webd_req const *, webd_response *) ;
extern void webd_mtasts (webd_req const *, webd_response *) ;
extern void webd_autoconfig (webd_req const *, webd_response *) ;
extern void webd_autodiscover (webd_req const *, webd_response *) ;

/* The metrics face (webd -m). */
extern void webd_metrics (webd_req const *, webd_response *) ;
/* webd -m -z: the counters start now (the metrics service's start). */
extern void webd_metrics_zero (void) ;

#endif
