/* ISC license. */

#include <string.h>

#include <skalibs/fmtscan.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "banwatch.h"

/* The nftables helper's words: each operation line from banwatch is
 * checked field by field and rewritten from the parsed values, so no
 * byte of it reaches nft as sent (names come from the checked spec). */

#define TIMEOUT_MAX (3650ULL * 86400ULL)

static int cat (stralloc *sa, char const *s)
{
  return stralloc_cats(sa, s) ;
}

static int cat_obj (stralloc *sa, bw_nftspec const *sp, char const *verb, char const *name)
{
  return cat(sa, verb) && cat(sa, " ") && cat(sa, sp->family) && cat(sa, " ")
      && cat(sa, sp->table) && cat(sa, " ") && cat(sa, name) ;
}

/* Creates what is missing (every "add" is a no-op when the object
 * exists: the admin's own table and sets are used as they are, if their
 * type matches), owns the chain "banwatch" in that table (flushed and
 * refilled, so restarts do not pile up rules), and empties the sets for
 * the re-sync that follows. */
static int reset (stralloc *sa, bw_nftspec const *sp)
{
  if (!cat(sa, "add table ") || !cat(sa, sp->family) || !cat(sa, " ") || !cat(sa, sp->table) || !cat(sa, "\n")) return 0 ;
  if (sp->set4[0] && !(cat_obj(sa, sp, "add set", sp->set4) && cat(sa, " { type ipv4_addr ; flags interval, timeout ; }\n"))) return 0 ;
  if (sp->set6[0] && !(cat_obj(sa, sp, "add set", sp->set6) && cat(sa, " { type ipv6_addr ; flags interval, timeout ; }\n"))) return 0 ;
  if (!cat_obj(sa, sp, "add chain", "banwatch") || !cat(sa, " { type filter hook input priority filter - 10 ; policy accept ; }\n")) return 0 ;
  if (!cat_obj(sa, sp, "flush chain", "banwatch") || !cat(sa, "\n")) return 0 ;
  if (sp->set4[0] && !(cat_obj(sa, sp, "add rule", "banwatch") && cat(sa, " ip saddr @") && cat(sa, sp->set4) && cat(sa, " drop\n"))) return 0 ;
  if (sp->set6[0] && !(cat_obj(sa, sp, "add rule", "banwatch") && cat(sa, " ip6 saddr @") && cat(sa, sp->set6) && cat(sa, " drop\n"))) return 0 ;
  if (sp->set4[0] && !(cat_obj(sa, sp, "flush set", sp->set4) && cat(sa, "\n"))) return 0 ;
  if (sp->set6[0] && !(cat_obj(sa, sp, "flush set", sp->set6) && cat(sa, "\n"))) return 0 ;
  return 1 ;
}

static int element (stralloc *sa, bw_nftspec const *sp, char const *verb, char const *set, char const *net, char const *timeout)
{
  if (!cat_obj(sa, sp, verb, set) || !cat(sa, " { ") || !cat(sa, net)) return 0 ;
  if (timeout && !(cat(sa, " timeout ") && cat(sa, timeout) && cat(sa, "s"))) return 0 ;
  return cat(sa, " }\n") ;
}

/* The decimal at s (len bytes, no sign, no leading garbage): its length */
static size_t decimal (char const *s, size_t len, uint64_t *v)
{
  size_t n = 0 ;
  *v = 0 ;
  while (n < len && n < 20 && s[n] >= '0' && s[n] <= '9')
  {
    *v = *v * 10 + (uint64_t)(s[n] - '0') ;
    n++ ;
  }
  return n < 20 ? n : 0 ;
}

int bw_nftscript_line (bw_nftscript *sc, char const *s, size_t len)
{
  char line[BW_NFT_LINE_MAX + 1] ;
  char ip[16] ;
  char net[IP6_FMT + 5] ;
  char secs[UINT64_FMT] ;
  char const *set ;
  uint64_t bits, t = 0 ;
  size_t m, n ;
  int is6, add ;
  if (len == 1 && s[0] == 'R')
  {
    /* a re-sync supersedes what came before it in this batch */
    sc->dels.len = sc->adds.len = 0 ;
    return reset(&sc->dels, &sc->spec) ? 1 : -1 ;
  }
  if (len < 3 || len > BW_NFT_LINE_MAX || (s[0] != 'A' && s[0] != 'D') || s[1] != ' ') return 0 ;
  add = s[0] == 'A' ;
  /* a terminated copy: the skalibs scanners stop at a byte they do not take */
  memcpy(line, s + 2, len - 2) ;
  line[len - 2] = 0 ;
  len -= 2 ;
  is6 = memchr(line, ':', len) != 0 ;
  m = is6 ? ip6_scan(line, ip) : ip4_scan(line, ip) ;
  if (!m || m >= len || line[m] != '/') return 0 ;
  n = decimal(line + m + 1, len - m - 1, &bits) ;
  if (!n || bits > (is6 ? 128U : 32U)) return 0 ;
  m += 1 + n ;
  if (add)
  {
    if (m >= len || line[m] != ' ') return 0 ;
    n = decimal(line + m + 1, len - m - 1, &t) ;
    if (!n || t > TIMEOUT_MAX) return 0 ;
    m += 1 + n ;
  }
  if (m != len) return 0 ;
  set = is6 ? sc->spec.set6 : sc->spec.set4 ;
  if (!set[0]) return 1 ;  /* a family this table does not cover */
  /* the network as nft wants it: host bits cleared */
  for (unsigned int i = 0 ; i < (is6 ? 16U : 4U) ; i++)
  {
    unsigned int keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? (unsigned int)bits - 8 * i : 0 ;
    ip[i] = (char)((unsigned char)ip[i] & (0xffu << (8 - keep)) & 0xffu) ;
  }
  n = is6 ? ip6_fmt(net, ip) : ip4_fmt(net, ip) ;
  net[n++] = '/' ;
  n += uint64_fmt(net + n, bits) ;
  net[n] = 0 ;
  secs[uint64_fmt(secs, t)] = 0 ;
  if (add)  /* banwatch deleted it first if it was there with another end */
    return element(&sc->adds, &sc->spec, "add element", set, net, t ? secs : 0) ? 1 : -1 ;
  /* "delete" of an absent element (the kernel ended it: the timeout)
     fails the whole transaction, so it is made present first */
  return element(&sc->dels, &sc->spec, "add element", set, net, 0)
      && element(&sc->dels, &sc->spec, "delete element", set, net, 0) ? 1 : -1 ;
}
