/* ISC license. */

#ifndef POSTHASTE_SMTP_RELAYNET_H
#define POSTHASTE_SMTP_RELAYNET_H

/* PH_RELAY_NETWORKS: the client networks allowed to relay, a list of
 * CIDR blocks (IPv4 "a.b.c.d/n", IPv6 "x::y/n"; no "/n" means one host),
 * separated by commas, spaces or tabs. An IPv4-mapped IPv6 client
 * (::ffff:a.b.c.d) matches the IPv4 blocks. Pure functions. */

#include <stddef.h>

#define SMTP_RELAYNET_MAX 64

typedef struct smtp_relaynet_s smtp_relaynet, *smtp_relaynet_ref ;
struct smtp_relaynet_s
{
  char ip[16] ;         /* network address, host bits cleared */
  unsigned int is6 : 1 ;
  unsigned int bits ;
} ;

typedef struct smtp_relaynets_s smtp_relaynets, *smtp_relaynets_ref ;
struct smtp_relaynets_s
{
  smtp_relaynet nets[SMTP_RELAYNET_MAX] ;
  unsigned int n ;
} ;

/* Parses s (0 or empty: no networks). Returns 1, or 0 with errno EINVAL
 * (*errpos is the offset of the bad entry) or ENOBUFS (too many). */
extern int smtp_relaynets_parse (smtp_relaynets *, char const *s, size_t *errpos) ;

/* Is the client address ip (text, as in TCPREMOTEIP) in one of the
 * networks? An address that does not parse matches nothing. */
extern int smtp_relaynets_match (smtp_relaynets const *, char const *ip) ;

#endif
