/* ISC license. */

#include <string.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <skalibs/ip46.h>

#include "remote_conf.h"
#include "remote_self.h"

 /* RFC 5321 5.1: an MTA must not deliver to itself. Our listener is
    PH_SMTP_IP:PH_SMTP_PORT; on the wildcard address, that is every
    address of this host: loopback and the interfaces'. */

static int same (ip46 const *a, ip46 const *b)
{
  return ip46_is6(a) == ip46_is6(b) && !memcmp(a->ip, b->ip, ip46_is6(a) ? 16 : 4) ;
}

static int loopback (ip46 const *ip)
{
  static char const lo6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } ;
  return ip46_is6(ip) ? !memcmp(ip->ip, lo6, 16) : (unsigned char)ip->ip[0] == 127 ;
}

static int local_interface (ip46 const *ip)
{
  struct ifaddrs *list ;
  int found = 0 ;
  if (getifaddrs(&list) < 0) return 0 ;
  for (struct ifaddrs *i = list ; i && !found ; i = i->ifa_next)
  {
    if (!i->ifa_addr) continue ;
    if (i->ifa_addr->sa_family == AF_INET && !ip46_is6(ip))
      found = !memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr, ip->ip, 4) ;
    else if (i->ifa_addr->sa_family == AF_INET6 && ip46_is6(ip))
      found = !memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, ip->ip, 16) ;
  }
  freeifaddrs(list) ;
  return found ;
}

int remote_self (remote_conf const *c, ip46 const *ip, uint16_t port)
{
  if (!c->self_known || port != c->self_port) return 0 ;
  if (!c->self_any) return same(ip, &c->self_ip) ;
  return loopback(ip) || local_interface(ip) ;
}
