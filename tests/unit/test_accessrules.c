/* ISC license. */

/* Access-rule and ban lookups (common/accessrules.h) against cdb files
 * built here with skalibs' cdbmake, the same library tcpd reads them with. */

#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <skalibs/cdb.h>
#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>
#include <skalibs/ip46.h>
#include <skalibs/uint16.h>

#include "common/accessrules.h"
#include "tests/unit/check.h"

static char tmpdir[] = "/tmp/test_accessrules.XXXXXX" ;

typedef struct rec_s rec ;
struct rec_s
{
  char const *key ;
  char const *data ;
  size_t datalen ;
} ;

static int build (char const *name, rec const *recs, size_t n, cdb *c)
{
  char path[sizeof(tmpdir) + 32] ;
  cdbmaker m = CDBMAKER_ZERO ;
  int fd ;
  memcpy(path, tmpdir, sizeof(tmpdir) - 1) ;
  path[sizeof(tmpdir) - 1] = '/' ;
  strcpy(path + sizeof(tmpdir), name) ;
  fd = open_trunc(path) ;
  if (fd < 0) return 0 ;
  if (!cdbmake_start(&m, fd)) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
    if (!cdbmake_add(&m, recs[i].key, strlen(recs[i].key), recs[i].data, recs[i].datalen)) return 0 ;
  if (!cdbmake_finish(&m)) return 0 ;
  fd_close(fd) ;
  return cdb_init(c, path) ;
}

static ip46 ip (char const *s)
{
  ip46 a = IP46_ZERO ;
  size_t n = ip46_scan(s, &a) ;
  if (!n || s[n]) { fprintf(stderr, "bad test address %s\n", s) ; exit(2) ; }
  return a ;
}

static int key_is (char const *addr, unsigned int bits, char const *want)
{
  char key[ACCESSRULES_KEY_MAX] ;
  ip46 a = ip(addr) ;
  size_t len = accessrules_key(key, &a, bits) ;
  if (len != strlen(want) || memcmp(key, want, len))
  {
    printf("# key %s/%u = %.*s, want %s\n", addr, bits, (int)len, key, want) ;
    return 0 ;
  }
  return 1 ;
}

/* "A" + u16 envlen + env + u16 execlen + exec, as s6-accessrules-cdb-from-fs writes it */
static size_t allow (char *buf, char const *env, size_t envlen, char const *exec, size_t execlen)
{
  buf[0] = 'A' ;
  uint16_pack_big(buf + 1, (uint16_t)envlen) ;
  memcpy(buf + 3, env, envlen) ;
  uint16_pack_big(buf + 3 + envlen, (uint16_t)execlen) ;
  memcpy(buf + 5 + envlen, exec, execlen) ;
  return 5 + envlen + execlen ;
}

static void test_keys (void)
{
  CHECK(key_is("192.0.2.77", 32, "ip4/192.0.2.77_32"), "key ip4 /32") ;
  CHECK(key_is("192.0.2.77", 24, "ip4/192.0.2.0_24"), "key ip4 /24") ;
  CHECK(key_is("192.0.2.77", 27, "ip4/192.0.2.64_27"), "key ip4 /27 (mask inside a byte)") ;
  CHECK(key_is("192.0.2.77", 0, "ip4/0.0.0.0_0"), "key ip4 /0") ;
  CHECK(key_is("192.0.2.77", 99, "ip4/192.0.2.77_32"), "key ip4 bits clamped to 32") ;
  CHECK(key_is("::1", 128, "ip6/::1_128"), "key ip6 loopback") ;
  CHECK(key_is("2001:DB8:0:0:0:0:0:1", 128, "ip6/2001:db8::1_128"), "key ip6 canonical: lower case, :: compression") ;
  CHECK(key_is("2001:db8:1234:5678::1", 32, "ip6/2001:db8::_32"), "key ip6 /32") ;
  CHECK(key_is("2001:db8:1234:ffff::1", 49, "ip6/2001:db8:1234:8000::_49"), "key ip6 /49 (mask inside a byte)") ;
  CHECK(key_is("2001:db8::1", 0, "ip6/::_0"), "key ip6 /0") ;
  CHECK(key_is("1:0:0:2:0:0:3:4", 128, "ip6/1::2:0:0:3:4_128"), "key ip6 first of two equal zero runs compressed") ;
  CHECK(key_is("1:2:3:4:5:6:7:0", 128, "ip6/1:2:3:4:5:6:7:0_128"), "key ip6 single zero group not compressed") ;
}

static void test_parse (void)
{
  char buf[64] ;
  accessrule r = ACCESSRULE_ZERO ;
  size_t n ;
  CHECK(accessrules_parse("D", 1, &r) == ACCESSRULES_DENY, "parse D") ;
  CHECK(accessrules_parse("Dx", 2, &r) == ACCESSRULES_BADRECORD, "parse D with trailing bytes is bad") ;
  CHECK(accessrules_parse("", 0, &r) == ACCESSRULES_BADRECORD, "parse empty is bad") ;
  CHECK(accessrules_parse("X\0\0\0\0", 5, &r) == ACCESSRULES_BADRECORD, "parse unknown type is bad") ;
  n = allow(buf, "", 0, "", 0) ;
  CHECK(accessrules_parse(buf, n, &r) == ACCESSRULES_ALLOW && !r.envlen && !r.execlen, "parse bare allow") ;
  n = allow(buf, "A=1\0B\0", 6, "echo hi", 7) ;
  CHECK(accessrules_parse(buf, n, &r) == ACCESSRULES_ALLOW && r.envlen == 6 && !memcmp(r.env, "A=1\0B\0", 6)
        && r.execlen == 7 && !memcmp(r.exec, "echo hi", 7), "parse allow with env and exec") ;
  CHECK(accessrules_parse(buf, n - 1, &r) == ACCESSRULES_BADRECORD, "parse short exec is bad") ;
  CHECK(accessrules_parse(buf, 4, &r) == ACCESSRULES_BADRECORD, "parse truncated header is bad") ;
  buf[1] = 0x10 ;  /* envlen 4102: past the end */
  CHECK(accessrules_parse(buf, n, &r) == ACCESSRULES_BADRECORD, "parse envlen past the end is bad") ;
  n = allow(buf, "A=1", 3, "", 0) ;
  CHECK(accessrules_parse(buf, n, &r) == ACCESSRULES_BADRECORD, "parse env without final NUL is bad") ;
  n = allow(buf, "A=1\0\0", 5, "", 0) ;
  CHECK(accessrules_parse(buf, n, &r) == ACCESSRULES_BADRECORD, "parse empty env record is bad") ;
  n = allow(buf, "=x\0", 3, "", 0) ;
  CHECK(accessrules_parse(buf, n, &r) == ACCESSRULES_BADRECORD, "parse env record without name is bad") ;
  n = allow(buf, "", 0, "a\0b", 3) ;
  CHECK(accessrules_parse(buf, n, &r) == ACCESSRULES_BADRECORD, "parse exec with NUL is bad") ;
  n = allow(buf, "A=1\0", 4, "", 0) ;
  buf[n] = 'x' ;
  CHECK(accessrules_parse(buf, n + 1, &r) == ACCESSRULES_BADRECORD, "parse trailing byte is bad") ;
}

static void test_access (void)
{
  char a1[32], a2[32] ;
  size_t n1 = allow(a1, "RELAYCLIENT=\0GREETING=hi\0", 25, "", 0) ;
  size_t n2 = allow(a2, "", 0, "", 0) ;
  rec recs[] =
  {
    { "ip4/192.0.2.0_24", "D", 1 },
    { "ip4/192.0.2.7_32", a1, n1 },
    { "ip4/198.51.100.64_26", a2, n2 },
    { "ip4/203.0.113.0_24", "A\0\x10", 3 },
    { "ip6/2001:db8::_32", "D", 1 },
    { "ip6/2001:db8:0:1::_64", a1, n1 },
    { "ip6/::1_128", a2, n2 },
  } ;
  cdb c = CDB_ZERO ;
  accessrule r = ACCESSRULE_ZERO ;
  ip46 a ;
  if (!build("access.cdb", recs, sizeof(recs) / sizeof(*recs), &c))
  {
    CHECK(0, "build access.cdb") ;
    return ;
  }
  a = ip("192.0.2.8") ;
  CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_DENY && r.bits == 24, "access /24 deny") ;
  a = ip("192.0.2.7") ;
  CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_ALLOW && r.bits == 32 && r.envlen == 25
        && !memcmp(r.env, "RELAYCLIENT=\0GREETING=hi\0", 25), "access /32 allow with env overrides /24 deny") ;
  a = ip("198.51.100.100") ;
  CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_ALLOW && r.bits == 26, "access /26 allow inside the block") ;
  a = ip("198.51.100.63") ;
  CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_NOMATCH, "access just outside /26: no match") ;
  a = ip("203.0.113.9") ;
  CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_BADRECORD && r.bits == 24, "access bad record reported") ;
  a = ip("2001:db8:ffff::1") ;
  CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_DENY && r.bits == 32, "access ip6 /32 deny") ;
  a = ip("2001:db8:0:1:aaaa::5") ;
  CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_ALLOW && r.bits == 64 && r.envlen == 25, "access ip6 /64 allow overrides /32") ;
  a = ip("::1") ;
  CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_ALLOW && r.bits == 128, "access ip6 ::1/128") ;
  a = ip("2001:db9::1") ;
  CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_NOMATCH, "access ip6 no match") ;
  a = ip("127.0.0.1") ;
  CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_NOMATCH, "access ip4 rule table does not match ::1 rule") ;
  cdb_free(&c) ;
  {
    rec all[] = { { "ip4/0.0.0.0_0", "D", 1 }, { "ip6/::_0", "D", 1 } } ;
    if (!build("all.cdb", all, 2, &c)) CHECK(0, "build all.cdb") ;
    else
    {
      a = ip("10.1.2.3") ;
      CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_DENY && r.bits == 0, "access ip4 /0 catches everything") ;
      a = ip("fe80::1") ;
      CHECK(accessrules_check(&c, &a, &r) == ACCESSRULES_DENY && r.bits == 0, "access ip6 /0 catches everything") ;
      cdb_free(&c) ;
    }
  }
}

static void test_bans (void)
{
  rec recs[] =
  {
    { "ip4/192.0.2.7_32", "0", 1 },
    { "ip4/192.0.2.8_32", "1000", 4 },        /* expired at now = 5000 */
    { "ip4/192.0.2.0_24", "9000", 4 },        /* live */
    { "ip4/198.51.100.9_32", "4999", 4 },     /* expired */
    { "ip4/198.51.100.10_32", "5000", 4 },    /* ends exactly now: expired */
    { "ip4/198.51.100.11_32", "5001", 4 },
    { "ip4/203.0.113.1_32", "12x", 3 },
    { "ip4/203.0.113.2_32", "", 0 },
    { "ip4/203.0.113.3_32", "99999999999999999999", 20 },  /* overflows uint64 */
    { "ip6/2001:db8::_48", "0", 1 },
    { "ip6/2001:db8:1::5_128", "6000", 4 },
  } ;
  cdb c = CDB_ZERO ;
  ban b ;
  ip46 a ;
  uint64_t u ;
  CHECK(bans_parse("18446744073709551615", 20, &u) && u == UINT64_MAX, "bans_parse max uint64") ;
  CHECK(!bans_parse("-1", 2, &u) && !bans_parse(" 1", 2, &u) && !bans_parse("1\n", 2, &u), "bans_parse rejects sign, blanks, newline") ;
  if (!build("bans.cdb", recs, sizeof(recs) / sizeof(*recs), &c))
  {
    CHECK(0, "build bans.cdb") ;
    return ;
  }
  a = ip("192.0.2.7") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_BANNED && b.bits == 32 && !b.until, "ban permanent /32") ;
  a = ip("192.0.2.8") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_BANNED && b.bits == 24 && b.until == 9000, "expired /32 does not hide live /24") ;
  CHECK(bans_check(&c, &a, 9000, &b) == BANS_NONE, "every ban expired: not banned") ;
  a = ip("198.51.100.9") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_NONE, "expired ban ignored") ;
  a = ip("198.51.100.10") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_NONE, "ban ending now is over") ;
  a = ip("198.51.100.11") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_BANNED && b.until == 5001, "ban ending in a second is live") ;
  a = ip("198.51.100.12") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_NONE, "unlisted address not banned") ;
  a = ip("203.0.113.1") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_BADRECORD && b.bits == 32, "non-numeric ban value is a bad record") ;
  a = ip("203.0.113.2") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_BADRECORD, "empty ban value is a bad record") ;
  a = ip("203.0.113.3") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_BADRECORD, "overflowing ban value is a bad record") ;
  a = ip("2001:db8:0:ffff::1") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_BANNED && b.bits == 48, "ip6 /48 ban") ;
  a = ip("2001:db8:1::5") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_BANNED && b.bits == 128 && b.until == 6000, "ip6 /128 ban") ;
  CHECK(bans_check(&c, &a, 7000, &b) == BANS_NONE, "ip6 /128 ban expired") ;
  a = ip("2001:db9::1") ;
  CHECK(bans_check(&c, &a, 5000, &b) == BANS_NONE, "ip6 outside every ban") ;
  cdb_free(&c) ;
}

static void test_corrupt (void)
{
  /* A cdb whose first hash table claims slots far beyond the file: skalibs'
   * cdb_find must report it, and the lookups must pass the error on. */
  char path[sizeof(tmpdir) + 32] ;
  char junk[2048 + 64] ;
  cdb c = CDB_ZERO ;
  ip46 a = ip("192.0.2.1") ;
  accessrule r ;
  ban b ;
  memset(junk, 0xff, sizeof(junk)) ;
  memcpy(path, tmpdir, sizeof(tmpdir) - 1) ;
  strcpy(path + sizeof(tmpdir) - 1, "/corrupt.cdb") ;
  if (!openwritenclose_unsafe(path, junk, sizeof(junk)) || !cdb_init(&c, path))
  {
    CHECK(0, "build corrupt.cdb") ;
    return ;
  }
  CHECK(accessrules_check(&c, &a, &r) == -1, "access lookup in a corrupt cdb fails") ;
  CHECK(bans_check(&c, &a, 0, &b) == -1, "ban lookup in a corrupt cdb fails") ;
  cdb_free(&c) ;
}

int main (void)
{
  if (!mkdtemp(tmpdir)) { perror("mkdtemp") ; return 2 ; }
  test_keys() ;
  test_parse() ;
  test_access() ;
  test_bans() ;
  test_corrupt() ;
  rm_rf(tmpdir) ;
  return check_done() ;
}
