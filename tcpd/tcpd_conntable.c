/* ISC license. */

#include <string.h>
#include <stdint.h>
#include <signal.h>

#include <skalibs/alloc.h>
#include <skalibs/strerr.h>
#include <skalibs/ip46.h>

#include "tcpd.h"

/* A flat array, scanned linearly: maxconn is at most a few thousand, so a
 * scan costs less than the fork that follows it, and nothing here can
 * fail or allocate after start-up. Removal moves the last entry into the
 * hole. */

typedef struct conn_s conn, *conn_ref ;
struct conn_s
{
  pid_t pid ;
  ip46 ip ;
} ;

static conn *table = 0 ;
static uint32_t tablemax = 0 ;
static uint32_t n = 0 ;

static int same_ip (ip46 const *a, ip46 const *b)
{
  return ip46_is6(a) == ip46_is6(b) && !memcmp(a->ip, b->ip, ip46_is6(a) ? 16 : 4) ;
}

void tcpd_conntable_init (uint32_t maxconn)
{
  table = alloc(maxconn * sizeof(conn)) ;
  if (!table) strerr_diefu1sys(111, "allocate the connection table") ;
  tablemax = maxconn ;
  n = 0 ;
}

uint32_t tcpd_conntable_count (void)
{
  return n ;
}

uint32_t tcpd_conntable_count_ip (ip46 const *ip)
{
  uint32_t count = 0 ;
  for (uint32_t i = 0 ; i < n ; i++) if (same_ip(&table[i].ip, ip)) count++ ;
  return count ;
}

void tcpd_conntable_add (pid_t pid, ip46 const *ip)
{
  if (n >= tablemax) strerr_dief1x(101, "connection table overflow: please submit a bug-report") ;
  table[n].pid = pid ;
  table[n].ip = *ip ;
  n++ ;
}

int tcpd_conntable_remove (pid_t pid, ip46 *ip)
{
  for (uint32_t i = 0 ; i < n ; i++) if (table[i].pid == pid)
  {
    *ip = table[i].ip ;
    table[i] = table[--n] ;
    return 1 ;
  }
  return 0 ;
}

void tcpd_conntable_kill (int sig)
{
  for (uint32_t i = 0 ; i < n ; i++) kill(table[i].pid, sig) ;
}
