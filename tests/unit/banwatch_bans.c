/* ISC license. */

/* banwatch's ban table (banwatch/bw_bans.c): a full table evicts the
 * ban ending soonest, never a permanent one; an ended record goes
 * first; and the operations queued for the nftables helper (bw_nft.c),
 * read back from a pipe: a re-sync, an add with the remaining time, a
 * delete on unban and on eviction, nothing for a ban inside a wider one;
 * and the helper's rendering of those operations into nft commands. */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/djbunix.h>

#include "banwatch/banwatch.h"
#include "tests/unit/check.h"

static int pipefd[2] ;

/* Everything queued and written so far, as one string */
static char const *ops (void)
{
  static char buf[4096] ;
  ssize_t r ;
  bw_nft_write() ;
  r = read(pipefd[0], buf, sizeof(buf) - 1) ;
  buf[r > 0 ? r : 0] = 0 ;
  return buf ;
}

static bw_addr addr (char const *s)
{
  bw_addr a ;
  if (!bw_addr_scan(s, 1, &a)) { printf("FAIL bad test address %s\n", s) ; exit(1) ; }
  return a ;
}

int main (void)
{
  char dir[] = "/tmp/bwunit.XXXXXX" ;
  char cdb[64], state[64] ;
  bw_config cfg ;
  uint64_t now = 1000000 ;
  bw_addr a1 = addr("192.0.2.1"), a2 = addr("192.0.2.2"), a3 = addr("192.0.2.3"), a4 = addr("192.0.2.4"), a5 = addr("192.0.2.5") ;
  char const *o ;
  if (!mkdtemp(dir)) return 111 ;
  strcpy(cdb, dir) ; strcat(cdb, "/bans.cdb") ;
  strcpy(state, dir) ; strcat(state, "/state") ;
  cfg.bantime = 3600 ; cfg.maxtime = 14400 ; cfg.maxbans = 2 ;
  cfg.cdbpath = cdb ; cfg.statepath = state ;
  bw_bans_init(&cfg) ;
  if (pipe(pipefd) < 0 || fcntl(pipefd[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(pipefd[1], F_SETFL, O_NONBLOCK) < 0) return 111 ;
  bw_nft_attach(pipefd[1], -1) ;

  /* a full table of live bans: the one ending soonest makes room */
  CHECK(bw_bans_add_manual(&a1, now, 100), "manual ban 1 (100 s)") ;
  CHECK(bw_bans_add_manual(&a2, now, 50), "manual ban 2 (50 s)") ;
  bw_bans_nft_resync() ;
  CHECK(bw_bans_flush(now, 1), "flush writes the files") ;
  o = ops() ;
  CHECK(!strcmp(o, "R\nA 192.0.2.1/32 100\nA 192.0.2.2/32 50\n"), "re-sync: reset, then each live ban with its remaining time") ;
  CHECK(bw_bans_add_auto(&a3, now + 10, "auth_fail") == now + 10 + 3600, "a third ban in a table of two is recorded") ;
  CHECK(bw_bans_count() == 2, "the table stays at its size") ;
  CHECK(!bw_bans_live(&a2, now + 10), "the ban ending soonest was evicted") ;
  CHECK(bw_bans_live(&a1, now + 10) && bw_bans_live(&a3, now + 10), "the others stay banned") ;
  CHECK(bw_bans_flush(now + 10, 0), "flush after the eviction") ;
  o = ops() ;
  CHECK(!strcmp(o, "D 192.0.2.2/32\nA 192.0.2.3/32 3600\n"), "the evicted ban leaves the set, the new one enters it") ;

  /* permanent bans are never evicted */
  CHECK(bw_bans_add_manual(&a1, now + 20, 0), "ban 1 made permanent") ;
  CHECK(bw_bans_add_manual(&a4, now + 20, 0), "a permanent ban 4 evicts the timed ban 3") ;
  CHECK(!bw_bans_live(&a3, now + 20) && bw_bans_live(&a1, now + 20) && bw_bans_live(&a4, now + 20), "ban 3 evicted, 1 and 4 kept") ;
  CHECK(!bw_bans_add_auto(&a5, now + 20, "auth_fail"), "with only permanent bans, a new one is refused") ;
  CHECK(!bw_bans_live(&a5, now + 20), "and not recorded") ;
  CHECK(bw_bans_flush(now + 20, 0), "flush") ;
  o = ops() ;
  CHECK(!strcmp(o, "D 192.0.2.3/32\nD 192.0.2.1/32\nA 192.0.2.1/32 0\nA 192.0.2.4/32 0\n"), "a changed end is a delete and a fresh add; permanent is 0") ;

  /* an ended record is reused before anything live */
  CHECK(bw_bans_remove(&a1, 0, now + 30) == 1, "ban 1 lifted") ;
  CHECK(bw_bans_add_auto(&a5, now + 31, "auth_fail"), "ban 5 takes the ended record") ;
  CHECK(bw_bans_live(&a4, now + 31) && bw_bans_live(&a5, now + 31), "ban 4 kept, ban 5 live") ;
  CHECK(bw_bans_flush(now + 31, 0), "flush") ;
  o = ops() ;
  CHECK(!strcmp(o, "D 192.0.2.1/32\nA 192.0.2.5/32 3600\n"), "the lifted ban left the set, the new one entered") ;

  /* a wider ban: the narrower elements go, the wider one comes (in the
     table's order: ban 5 took slot 0) */
  cfg.maxbans = 10 ;
  bw_bans_init(&cfg) ;
  {
    bw_addr net = addr("192.0.2.0/24") ;
    CHECK(bw_bans_add_manual(&net, now + 40, 600), "a /24 over bans 4 and 5") ;
    CHECK(bw_bans_flush(now + 40, 0), "flush") ;
    o = ops() ;
    CHECK(!strcmp(o, "D 192.0.2.5/32\nD 192.0.2.4/32\nA 192.0.2.0/24 600\n"), "the covered elements leave before the wider one is added") ;
    CHECK(bw_bans_remove(&net, 1, now + 50) == 1, "the /24 lifted") ;
    CHECK(bw_bans_flush(now + 50, 0), "flush") ;
    o = ops() ;
    CHECK(!strcmp(o, "D 192.0.2.0/24\nA 192.0.2.5/32 3581\nA 192.0.2.4/32 0\n"), "the hosts come back with their own ends") ;
  }
  {
    bw_addr six = addr("2001:db8:1:2::/64") ;
    CHECK(bw_bans_add_manual(&six, now + 60, 120), "an IPv6 /64") ;
    CHECK(bw_bans_flush(now + 60, 0), "flush") ;
    CHECK(!strcmp(ops(), "A 2001:db8:1:2::/64 120\n"), "IPv6 in RFC 5952 form with its prefix") ;
    CHECK(bw_bans_flush(now + 200, 0), "a flush after its end") ;
    CHECK(!strcmp(ops(), "D 2001:db8:1:2::/64\n"), "an ended ban's element is deleted at the next check") ;
  }
  {
    bw_nftspec sp ;
    char const *why ;
    CHECK(bw_nft_spec_scan("inet posthaste banned4 banned6", &sp, &why) && !strcmp(sp.set6, "banned6"), "spec: inet with two sets") ;
    CHECK(bw_nft_spec_scan("ip filter b4", &sp, &why) && !sp.set6[0], "spec: ip with one set") ;
    CHECK(!bw_nft_spec_scan("inet t s4", &sp, &why), "spec: inet needs two sets") ;
    CHECK(!bw_nft_spec_scan("inet t s4 s4", &sp, &why), "spec: the sets differ") ;
    CHECK(!bw_nft_spec_scan("inet t; s4 s6", &sp, &why), "spec: no nft syntax in a name") ;
    CHECK(!bw_nft_spec_scan("arp t s4", &sp, &why), "spec: family checked") ;
  }
  {
    /* the helper's words (bw_nftscript.c) */
    static bw_nftscript sc = BW_NFTSCRIPT_ZERO ;
    char const *why ;
    char const *bad[] = { "A 192.0.2.7/33 5", "A 192.0.2.7/32", "D 192.0.2.7/32 5", "A 2001:db8::/129 5", "X", "A 192.0.2.7/32 999999999999",
                          "A 192.0.2.7/32 5 ", "A 192.0.2.7/32 -5", "D 192.0.2.7", "A 192.0.2.7/32 5;flush ruleset", "D 2001:db8::/64}", "" } ;
    unsigned int refused = 0 ;
    bw_nft_spec_scan("inet posthaste b4 b6", &sc.spec, &why) ;
    CHECK(bw_nftscript_line(&sc, "A 192.0.2.7/24 60", 17) == 1, "script: an add") ;
    CHECK(sc.adds.len && !strncmp(sc.adds.s, "add element inet posthaste b4 { 192.0.2.0/24 timeout 60s }\n", sc.adds.len), "script: host bits cleared, timeout in seconds") ;
    CHECK(bw_nftscript_line(&sc, "D 2001:db8:1:2::/64", 19) == 1, "script: a delete") ;
    CHECK(sc.dels.len && !strncmp(sc.dels.s, "add element inet posthaste b6 { 2001:db8:1:2::/64 }\ndelete element inet posthaste b6 { 2001:db8:1:2::/64 }\n", sc.dels.len), "script: delete made safe by an add first") ;
    CHECK(bw_nftscript_line(&sc, "A 198.51.100.1/32 0", 19) == 1 && memmem(sc.adds.s, sc.adds.len, "{ 198.51.100.1/32 }\n", 20), "script: permanent has no timeout") ;
    CHECK(bw_nftscript_line(&sc, "R", 1) == 1 && !sc.adds.len && !strncmp(sc.dels.s, "add table inet posthaste\n", 25), "script: a reset drops the batch so far and sets up") ;
    for (unsigned int i = 0 ; i < sizeof(bad) / sizeof(bad[0]) ; i++) refused += !bw_nftscript_line(&sc, bad[i], strlen(bad[i])) ;
    CHECK(refused == sizeof(bad) / sizeof(bad[0]), "script: malformed operations refused") ;
    bw_nft_spec_scan("ip filter b4", &sc.spec, &why) ;
    sc.adds.len = 0 ;
    CHECK(bw_nftscript_line(&sc, "A 2001:db8::/64 5", 17) == 1 && !sc.adds.len, "script: a family without a set is skipped") ;
  }
  unlink(cdb) ; unlink(state) ; rmdir(dir) ;
  return check_done() ;
}
