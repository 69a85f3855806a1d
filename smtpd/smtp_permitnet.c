/* ISC license. */

#include <errno.h>
#include <ifaddrs.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "smtp_relaynet.h"

/* docker-mailserver's PERMIT_DOCKER fills Postfix's mynetworks from the
 * container's networks. Outside Docker the same words name the local
 * interfaces: the machine's own addresses (container), the same plus
 * loopback (host), or the networks they are on (network,
 * connected-networks). The interfaces are read once, when the session
 * starts (one smtpd per connection, so a new address counts from the
 * next connection). */

#define MODE_NONE 0
#define MODE_CONTAINER 1
#define MODE_HOST 2
#define MODE_NETWORK 3

static unsigned int prefixlen (unsigned char const *mask, unsigned int bytes)
{
  unsigned int bits = 0 ;
  for (unsigned int i = 0 ; i < bytes ; i++)
  {
    unsigned char m = mask[i] ;
    while (m & 0x80) { bits++ ; m <<= 1 ; }
    if (mask[i] != 0xff) break ;
  }
  return bits ;
}

static int add_ifaddr (smtp_relaynets *r, struct ifaddrs const *ifa, unsigned int mode)
{
  int loopback = !!(ifa->ifa_flags & IFF_LOOPBACK) ;
  if (!ifa->ifa_addr) return 1 ;
  if (mode != MODE_NETWORK && loopback) return 1 ;  /* host adds loopback whole, below */
  if (ifa->ifa_addr->sa_family == AF_INET)
  {
    struct sockaddr_in const *a = (struct sockaddr_in const *)ifa->ifa_addr ;
    struct sockaddr_in const *m = (struct sockaddr_in const *)ifa->ifa_netmask ;
    unsigned int bits = mode == MODE_NETWORK && m ? prefixlen((unsigned char const *)&m->sin_addr, 4) : 32 ;
    return smtp_relaynets_add(r, (char const *)&a->sin_addr, 0, bits) ;
  }
  if (ifa->ifa_addr->sa_family == AF_INET6)
  {
    struct sockaddr_in6 const *a = (struct sockaddr_in6 const *)ifa->ifa_addr ;
    struct sockaddr_in6 const *m = (struct sockaddr_in6 const *)ifa->ifa_netmask ;
    unsigned int bits = mode == MODE_NETWORK && m ? prefixlen((unsigned char const *)&m->sin6_addr, 16) : 128 ;
    return smtp_relaynets_add(r, (char const *)&a->sin6_addr, 1, bits) ;
  }
  return 1 ;
}

int smtp_permitnet_add (smtp_relaynets *r, char const *mode)
{
  struct ifaddrs *list, *ifa ;
  unsigned int m ;
  if (!mode || !strcmp(mode, "none") || !strcmp(mode, "0")) m = MODE_NONE ;
  else if (!strcmp(mode, "container")) m = MODE_CONTAINER ;
  else if (!strcmp(mode, "host")) m = MODE_HOST ;
  else if (!strcmp(mode, "network") || !strcmp(mode, "connected-networks")) m = MODE_NETWORK ;
  else return (errno = EINVAL, 0) ;
  if (m == MODE_NONE) return 1 ;
  if (m == MODE_HOST)
  {
    static char const lo4[4] = { 127, 0, 0, 0 } ;
    static char const lo6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } ;
    if (!smtp_relaynets_add(r, lo4, 0, 8) || !smtp_relaynets_add(r, lo6, 1, 128)) return 0 ;
  }
  if (getifaddrs(&list) < 0) return 0 ;
  for (ifa = list ; ifa ; ifa = ifa->ifa_next)
  {
    if (!(ifa->ifa_flags & IFF_UP)) continue ;
    if (!add_ifaddr(r, ifa, m))
    {
      int e = errno ;
      freeifaddrs(list) ;
      errno = e ;
      return 0 ;
    }
  }
  freeifaddrs(list) ;
  return 1 ;
}
