/* ISC license. */

#ifndef POSTHASTE_MAILCTL_CHECK_H
#define POSTHASTE_MAILCTL_CHECK_H

/* mailctl check [DOMAIN]: the live DNS and listeners against this
 * server's configuration, one plain sentence per problem (check*.c). */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/gccattributes.h>
#include <skalibs/ip46.h>
#include <skalibs/tai.h>

#include "common/dns.h"
#include "mailctl-internal.h"

#define DNS_T_PTR 12           /* RFC 1035 §3.3.12; common/dns.h has no name for it */
#define CHECK_DNS_SECONDS 10   /* one question and its answer */
#define CHECK_ADDR_MAX 16      /* addresses kept for one name */

typedef struct mccheck_s mccheck, *mccheck_ref ;
struct mccheck_s
{
  mcctx *ctx ;
  dns resolver ;
  char const *host ;         /* config_hostname(): the name everything should agree on */
  ip46full ip[CHECK_ADDR_MAX] ;   /* the server's public addresses */
  unsigned int nip ;
  unsigned int problems ;    /* sentences said */
  unsigned int temporary ;   /* questions that could not be answered now */
} ;

/* One problem: the sentence, pieces joined, on stdout. */
extern void check_problem (mccheck *, char const *const *pieces, unsigned int n) ;
#define check_say(c, ...) do { char const *check_pieces_[] = { __VA_ARGS__ } ; check_problem((c), check_pieces_, sizeof(check_pieces_) / sizeof(char const *)) ; } while (0)
/* A question that got no definitive answer (counted, exit 111 if
 * nothing else is wrong). */
extern void check_temporary (mccheck *, char const *what, char const *name, int status) ;

/* One question, answered within CHECK_DNS_SECONDS. Returns q->status,
 * dies 111 on a system error. */
extern int check_ask (mccheck *, dns_query *q, char const *name, uint16_t type) ;
/* The A and AAAA addresses of name into out (max n); returns how many,
 * or -1 when a question failed temporarily (already counted). */
extern int check_addresses (mccheck *, char const *name, ip46full *out, unsigned int max) ;
extern int check_ip_in (ip46full const *ip, ip46full const *list, unsigned int n) ;

extern void check_host (mccheck *) ;                         /* check_host.c: addresses, PTR, FCrDNS */
extern void check_mx (mccheck *, char const *domain) ;        /* check_records.c */
extern void check_dmarc (mccheck *, char const *domain) ;     /* check_records.c */
extern void check_dkim (mccheck *, char const *domain) ;      /* check_dkim.c */
extern void check_spf (mccheck *, char const *domain) ;       /* check_spf.c */
extern void check_cert (mccheck *) ;                          /* check_cert.c */
extern void check_ports (mccheck *) ;                         /* check_ports.c */

/* The verb: exits 0 (all good), 1 (something is wrong), 111
 * (something could not be checked now), 100 (usage). */
extern void mc_check (mcctx *, int argc, char const *const *argv) gccattr_noreturn ;

#endif
