/* ISC license. */

#ifndef POSTHASTE_DELIVERD_REMOTE_REQ_H
#define POSTHASTE_DELIVERD_REMOTE_REQ_H

/* A request from queued on remote.sock (docs/internals.md, "Routing and
 * remote.sock"): text0 fields
 *   I<qid> F<sender> ( T<rcpt> [XNOTIFY=..] [XORCPT=..] )+ [message X fields]
 * all recipients in one domain. Strict: any other shape is a protocol
 * error. Pointers point into the request body. The head (I and F) is
 * reqhead.h's. */

#include <stddef.h>

#define REMOTEREQ_MAX (1024 * 1024)   /* the whole body */
#define REMOTEREQ_RCPTS 1000
#define REMOTEREQ_XFIELD_MAX 4096

typedef struct remote_rcpt_s remote_rcpt, *remote_rcpt_ref ;
struct remote_rcpt_s
{
  char const *addr ;
  char const *notify ;   /* RFC 3461 NOTIFY value, or 0 */
  char const *orcpt ;    /* RFC 3461 ORCPT value (addr-type;xtext), or 0 */
} ;

typedef struct remote_req_s remote_req, *remote_req_ref ;
struct remote_req_s
{
  char const *qid ;
  char const *sender ;       /* "" is the null sender */
  char const *domain ;       /* the recipients' domain (of the first one) */
  char const *envid ;        /* XENVID, or 0 */
  char const *ret ;          /* XRET: "FULL" or "HDRS", or 0 */
  char const *body ;         /* XBODY: "8BITMIME" or "BINARYMIME", or 0 */
  char const *forward ;      /* the first recipient's XFORWARD (the alias that added it), or 0 */
  int smtputf8 ;             /* XSMTPUTF8=1 */
  int requiretls ;           /* XREQUIRETLS=1 */
  unsigned int n ;           /* recipients */
  remote_rcpt rcpt[REMOTEREQ_RCPTS] ;
} ;

/* Parses s[0..len) into *req. Returns 1, or 0 and sets *why to a short
 * static reason. Never reads outside s[0..len). */
extern int remote_req_parse (char const *s, size_t len, remote_req *req, char const **why) ;

#endif
