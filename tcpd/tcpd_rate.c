/* ISC license. */

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <skalibs/alloc.h>
#include <skalibs/strerr.h>
#include <skalibs/ip46.h>

#include "tcpd.h"

/* New connections per minute per client address (-r), a token bucket
 * per address: it holds up to rate connections and refills at rate per
 * minute, so a client may come rate times at once and then once every
 * 60/rate seconds. Units: one connection costs 60000, a millisecond
 * refills rate, so the arithmetic is exact in integers.
 *
 * The table is allocated once (TCPD_RATE_SLOTS), open addressing with a
 * short probe; when every slot of the probe is taken by another address,
 * the one seen longest ago is reused (its client starts afresh: only an
 * attacker with that many addresses at once gains, and it already has
 * them). */

#define TCPD_RATE_SLOTS 4096
#define PROBE 8
#define COST 60000U

typedef struct slot_s slot ;
struct slot_s
{
  ip46 ip ;
  uint64_t last ;     /* ms, monotonic; 0 = free */
  uint64_t tokens ;
} ;

static slot *table = 0 ;
static uint32_t rate = 0 ;

void tcpd_rate_init (uint32_t perminute)
{
  rate = perminute ;
  if (!rate) return ;
  table = alloc(TCPD_RATE_SLOTS * sizeof(slot)) ;
  if (!table) strerr_diefu1sys(111, "allocate the rate table") ;
  memset(table, 0, TCPD_RATE_SLOTS * sizeof(slot)) ;
}

static uint64_t now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  /* never 0, which marks a free slot */
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1 ;
}

static uint32_t hash (ip46 const *ip)
{
  uint32_t h = 2166136261u ;
  for (unsigned int i = 0 ; i < (ip46_is6(ip) ? 16U : 4U) ; i++) h = (h ^ (unsigned char)ip->ip[i]) * 16777619u ;
  return h ;
}

static int same (ip46 const *a, ip46 const *b)
{
  return ip46_is6(a) == ip46_is6(b) && !memcmp(a->ip, b->ip, ip46_is6(a) ? 16 : 4) ;
}

int tcpd_rate_take (ip46 const *ip)
{
  uint64_t now, cap ;
  uint32_t h ;
  slot *s = 0 ;
  if (!rate) return 1 ;
  now = now_ms() ;
  cap = (uint64_t)rate * COST ;
  h = hash(ip) ;
  for (unsigned int i = 0 ; i < PROBE ; i++)
  {
    slot *t = table + ((h + i) % TCPD_RATE_SLOTS) ;
    if (t->last && same(&t->ip, ip)) { s = t ; break ; }
  }
  if (!s)
  {
    for (unsigned int i = 0 ; i < PROBE ; i++)
    {
      slot *t = table + ((h + i) % TCPD_RATE_SLOTS) ;
      if (!s || !t->last || t->last < s->last) s = t ;
      if (!t->last) break ;
    }
    s->ip = *ip ;
    s->last = now ;
    s->tokens = cap ;
  }
  else
  {
    uint64_t gained = (now - s->last) * rate ;
    s->tokens = gained >= cap - s->tokens ? cap : s->tokens + gained ;
    s->last = now ;
  }
  if (s->tokens < COST) return 0 ;
  s->tokens -= COST ;
  return 1 ;
}
