/* ISC license. */

#ifndef POSTHASTE_SMTP_RELAYNET_H
#define POSTHASTE_SMTP_RELAYNET_H

/* PH_RELAY_NETWORKS: the client networks allowed to relay, a list of
 * CIDR blocks (IPv4 "a.b.c.d/n", IPv6 "x::y/n"; no "/n" means one host),
 * separated by commas, spaces or tabs. An IPv4-mapped IPv6 client
 * (::ffff:a.b.c.d) matches the IPv4 blocks. Pure functions. */

#include <stddef.h>

#define SMTP_RELAYNET_MAX 256

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

/* Adds one network: ip is 4 (is6 = 0) or 16 bytes, bits its prefix
 * length (clamped). Returns 1, or 0 with errno ENOBUFS. */
extern int smtp_relaynets_add (smtp_relaynets *, char const *ip, int is6, unsigned int bits) ;

/* PERMIT_DOCKER (docker-mailserver's setting, read outside Docker; in
 * smtp_permitnet.c): adds the networks mode names, from the local
 * interfaces (getifaddrs):
 *   none (or 0): nothing;
 *   container: the address of each non-loopback interface, as a host;
 *   host: those, plus loopback (127.0.0.0/8, ::1);
 *   network, connected-networks: the network of every interface
 *   (address and netmask), loopback included.
 * Returns 1, or 0 with errno (EINVAL: unknown mode; ENOBUFS; or
 * getifaddrs' error). */
extern int smtp_permitnet_add (smtp_relaynets *, char const *mode) ;

/* Is the client address ip (text, as in TCPREMOTEIP) in one of the
 * networks? An address that does not parse matches nothing. */
extern int smtp_relaynets_match (smtp_relaynets const *, char const *ip) ;

#endif
