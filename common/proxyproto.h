/* ISC license. */

#ifndef POSTHASTE_PROXYPROTO_H
#define POSTHASTE_PROXYPROTO_H

/* The PROXY protocol header a load balancer sends before the client's
 * bytes (haproxy's doc/proxy-protocol.txt, versions 1 and 2), so that a
 * server behind it learns the real client address. tcpd reads it from
 * the proxies it trusts (tcpd -p; tcpd/README.md).
 *
 * Version 1: one text line "PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n"
 * or "PROXY UNKNOWN ...\r\n", at most 107 bytes with its CRLF.
 * Version 2: the 12-byte signature \r\n\r\n\0\r\nQUIT\n, a version/command
 * byte (0x20 LOCAL, 0x21 PROXY), a family/transport byte (0x11 TCP over
 * IPv4, 0x21 TCP over IPv6, 0x00 unspecified), a 16-bit big-endian length
 * of what follows: the addresses (12 or 36 bytes: source, destination,
 * source port, destination port, network order), then TLVs, which are
 * ignored. LOCAL, UNSPEC and UNKNOWN mean "no client address: the
 * proxy's own connection" (health checks). */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <skalibs/ip46.h>

#define PROXYPROTO_V1_MAX 107
/* a v2 header we take, TLVs included (haproxy's own TLVs fit easily) */
#define PROXYPROTO_MAX 1040

typedef struct proxyproto_info_s proxyproto_info, *proxyproto_info_ref ;
struct proxyproto_info_s
{
  unsigned int version ;  /* 1 or 2 */
  int local ;             /* no addresses: keep the connection's own */
  ip46 src ;
  ip46 dst ;
  uint16_t srcport ;
  uint16_t dstport ;
} ;

/* Parses the start of a connection, s[0..len). Returns the header's
 * length when a complete, valid header is there (the client's own bytes
 * follow it); 0 when s is a valid beginning of a header, every byte of
 * which belongs to the header (so a reader may consume all it has and
 * wait for more); -1 (errno EPROTO) when s cannot be a header. */
extern ssize_t proxyproto_parse (char const *s, size_t len, proxyproto_info *) ;

#endif
