/* ISC license. */

#include <stdint.h>
#include <string.h>

#include <skalibs/alloc.h>
#include <skalibs/strerr.h>

#include "banwatch.h"

/* Everything is allocated once at start: cap entries, a hash table of
 * 2 * cap buckets, and cap * maxretry timestamps, so a burst of events
 * from any number of addresses cannot grow the process (the least
 * recently seen client is forgotten to make room). Links are indices;
 * NIL ends a list. */

#define NIL UINT32_MAX

typedef struct entry_s entry ;
struct entry_s
{
  bw_addr addr ;
  uint32_t hnext ;   /* hash chain */
  uint32_t prev ;    /* LRU list: head = most recent */
  uint32_t next ;
  uint32_t n ;       /* timestamps held (oldest first, a ring) */
  uint32_t first ;
  uint32_t inuse ;
} ;

static entry *table ;
static uint32_t *buckets ;
static uint32_t nbuckets ;
static uint32_t *times ;
static uint32_t cap ;
static uint32_t used ;
static uint32_t lru_head = NIL ;
static uint32_t lru_tail = NIL ;
static uint32_t freelist = NIL ;
static unsigned int maxretry ;
static unsigned int findtime ;

void bw_track_init (uint32_t c, unsigned int m, unsigned int f)
{
  cap = c ;
  maxretry = m ;
  findtime = f ;
  nbuckets = c * 2 ;
  table = alloc(sizeof(entry) * c) ;
  buckets = alloc(sizeof(uint32_t) * nbuckets) ;
  times = alloc(sizeof(uint32_t) * c * m) ;
  if (!table || !buckets || !times) strerr_diefu1sys(111, "allocate the client table") ;
  for (uint32_t i = 0 ; i < nbuckets ; i++) buckets[i] = NIL ;
  for (uint32_t i = 0 ; i < c ; i++)
  {
    table[i].inuse = 0 ;
    table[i].hnext = i + 1 < c ? i + 1 : NIL ;  /* the free list reuses hnext */
  }
  freelist = 0 ;
  used = 0 ;
}

/* FNV-1a over the address: the table only needs spread, and an attacker
 * choosing addresses to collide gains nothing but slower lookups in a
 * table of bounded size. */
static uint32_t hash (bw_addr const *a)
{
  uint32_t h = 2166136261u ;
  for (unsigned int i = 0 ; i < (a->is6 ? 16U : 4U) ; i++) h = (h ^ (unsigned char)a->ip[i]) * 16777619u ;
  h = (h ^ a->is6) * 16777619u ;
  return h % nbuckets ;
}

static void lru_unlink (uint32_t i)
{
  entry *e = table + i ;
  if (e->prev != NIL) table[e->prev].next = e->next ; else lru_head = e->next ;
  if (e->next != NIL) table[e->next].prev = e->prev ; else lru_tail = e->prev ;
}

static void lru_push (uint32_t i)
{
  entry *e = table + i ;
  e->prev = NIL ;
  e->next = lru_head ;
  if (lru_head != NIL) table[lru_head].prev = i ;
  lru_head = i ;
  if (lru_tail == NIL) lru_tail = i ;
}

static uint32_t find (bw_addr const *a, uint32_t h)
{
  for (uint32_t i = buckets[h] ; i != NIL ; i = table[i].hnext)
    if (bw_addr_same(&table[i].addr, a)) return i ;
  return NIL ;
}

static void drop (uint32_t i)
{
  uint32_t h = hash(&table[i].addr) ;
  uint32_t *p = &buckets[h] ;
  while (*p != i) p = &table[*p].hnext ;
  *p = table[i].hnext ;
  lru_unlink(i) ;
  table[i].inuse = 0 ;
  table[i].hnext = freelist ;
  freelist = i ;
  used-- ;
}

void bw_track_forget (bw_addr const *a)
{
  /* every tracked client whose key the (possibly wider) a covers */
  for (uint32_t i = lru_head ; i != NIL ; )
  {
    uint32_t next = table[i].next ;
    if (bw_addr_within(&table[i].addr, a) || bw_addr_within(a, &table[i].addr)) drop(i) ;
    i = next ;
  }
}

uint32_t bw_track_count (void)
{
  return used ;
}

int bw_track_hit (bw_addr const *a, uint32_t now)
{
  uint32_t h = hash(a) ;
  uint32_t i = find(a, h) ;
  entry *e ;
  uint32_t *t ;
  if (i == NIL)
  {
    if (freelist == NIL) drop(lru_tail) ;
    i = freelist ;
    freelist = table[i].hnext ;
    e = table + i ;
    e->addr = *a ;
    e->n = 0 ;
    e->first = 0 ;
    e->inuse = 1 ;
    e->hnext = buckets[h] ;
    buckets[h] = i ;
    used++ ;
  }
  else
  {
    e = table + i ;
    lru_unlink(i) ;
  }
  lru_push(i) ;
  t = times + (size_t)i * maxretry ;
  /* forget failures older than the window (or from the future: the
   * clock went back) */
  while (e->n && (t[e->first] + findtime <= now || t[e->first] > now))
  {
    e->first = (e->first + 1) % maxretry ;
    e->n-- ;
  }
  t[(e->first + e->n) % maxretry] = now ;
  e->n++ ;
  if (e->n >= maxretry)
  {
    drop(i) ;
    return 1 ;
  }
  return 0 ;
}
