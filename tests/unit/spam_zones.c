/* ISC license. */

#include <string.h>

#include "policyd/spam.h"
#include "tests/unit/check.h"

/* policyd-spam's DNS list names (RFC 5782), zone settings, allow-lists
 * and the score format. */

static dns_query answer (char const *ip4)
{
  dns_query q = DNS_QUERY_ZERO ;
  char rec[6] = { 0, 4 } ;
  unsigned int a, b, c, d ;
  sscanf(ip4, "%u.%u.%u.%u", &a, &b, &c, &d) ;
  rec[2] = (char)a ; rec[3] = (char)b ; rec[4] = (char)c ; rec[5] = (char)d ;
  q.status = DNS_OK ;
  q.n = 1 ;
  stralloc_catb(&q.data, rec, 6) ;
  return q ;
}

int main (void)
{
  spam_zone z[SPAM_ZONES_MAX] ;
  unsigned int n ;
  char name[DNS_NAME_MAX + 1], code[16] ;

  CHECK(spam_dnsbl_name(name, "192.0.2.99", "bl.test") && !strcmp(name, "99.2.0.192.bl.test"), "dnsbl name: IPv4 reversed (RFC 5782 2.1)") ;
  CHECK(spam_dnsbl_name(name, "2001:db8::1", "bl.test")
     && !strcmp(name, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test"), "dnsbl name: IPv6 nibbles (RFC 5782 2.4)") ;
  CHECK(spam_dnsbl_name(name, "::ffff:127.0.0.1", "bl.test") && !strcmp(name, "1.0.0.127.bl.test"), "dnsbl name: IPv4-mapped is IPv4") ;
  CHECK(!spam_dnsbl_name(name, "1.2.3", "bl.test") && !spam_dnsbl_name(name, "", "bl.test"), "dnsbl name: not an address") ;
  CHECK(spam_uribl_name(name, "evil.test", "dbl.test") && !strcmp(name, "evil.test.dbl.test"), "uribl name (RFC 5782 2.3)") ;

  CHECK(spam_zones_parse("zen.Example.ORG=127.0.0.2;127.0.0.4*3.5, wl.test  uri.test.", z, SPAM_ZONES_MAX, &n) && n == 3, "zones: three parsed") ;
  CHECK(!strcmp(z[0].name, "zen.example.org") && z[0].ncodes == 2 && z[0].has_score && z[0].score == 3.5, "zones: codes and score") ;
  CHECK(!strcmp(z[2].name, "uri.test") && !z[1].ncodes && !z[1].has_score, "zones: plain, trailing dot dropped") ;
  CHECK(spam_zones_parse("", z, SPAM_ZONES_MAX, &n) && !n && spam_zones_parse(0, z, SPAM_ZONES_MAX, &n) && !n, "zones: empty list") ;
  CHECK(!spam_zones_parse("bad..zone", z, SPAM_ZONES_MAX, &n), "zones: empty label refused") ;
  CHECK(!spam_zones_parse("z.test=127.0.0", z, SPAM_ZONES_MAX, &n), "zones: bad code refused") ;
  CHECK(!spam_zones_parse("z.test*lots", z, SPAM_ZONES_MAX, &n), "zones: bad score refused") ;
  CHECK(!spam_zones_parse("a.test b.test", z, 1, &n), "zones: too many refused") ;

  spam_zones_parse("bl.test wl.test=127.0.0.3", z, SPAM_ZONES_MAX, &n) ;
  {
    dns_query q = answer("127.0.0.2") ;
    CHECK(spam_zone_listed(&z[0], &q, code) && !strcmp(code, "127.0.0.2"), "listed: 127.0.0.2") ;
    CHECK(!spam_zone_listed(&z[1], &q, code), "listed: code filter excludes 127.0.0.2") ;
    stralloc_free(&q.data) ;
    q = answer("127.255.255.254") ;
    CHECK(!spam_zone_listed(&z[0], &q, code), "listed: Spamhaus refusal code is no listing") ;
    stralloc_free(&q.data) ;
    q = answer("10.1.2.3") ;
    CHECK(!spam_zone_listed(&z[0], &q, code), "listed: outside 127/8 is no listing") ;
    stralloc_free(&q.data) ;
    q = answer("127.0.0.3") ;
    q.status = DNS_NXDOMAIN ;
    CHECK(!spam_zone_listed(&z[1], &q, code), "listed: NXDOMAIN is not listed") ;
    stralloc_free(&q.data) ;
  }

  CHECK(spam_list_match_address("a@x.test, Friend@Trusted.TEST", "friend@trusted.test"), "allow: address, any case") ;
  CHECK(!spam_list_match_address("friend@trusted.test", "enemy@trusted.test"), "allow: other address") ;
  CHECK(spam_list_match_domain("trusted.test", "x@mx.trusted.test") && spam_list_match_domain("trusted.test", "x@TRUSTED.test"), "allow: domain and subdomains") ;
  CHECK(!spam_list_match_domain("trusted.test", "x@untrusted.test"), "allow: a suffix that is not a parent") ;

  {
    stralloc sa = STRALLOC_ZERO ;
    spam_cat_score(&sa, 7.3) ; stralloc_catb(&sa, " ", 1) ;
    spam_cat_score(&sa, -1.9) ; stralloc_catb(&sa, " ", 1) ;
    spam_cat_score(&sa, 6.31) ; stralloc_catb(&sa, " ", 1) ;
    spam_cat_score(&sa, 10) ; stralloc_catb(&sa, " ", 1) ;
    spam_cat_score(&sa, -0.001) ; stralloc_0(&sa) ;
    CHECK(!strcmp(sa.s, "7.3 -1.9 6.31 10 0"), "score format") ;
    stralloc_free(&sa) ;
  }
  {
    spam_settings set = { .tag = 2, .tag2 = 6.31, .kill = 10, .move_to_junk = 1, .spam_to_inbox = 1 } ;
    spam s = { .score = 1 } ;
    stralloc f = STRALLOC_ZERO ;
    CHECK(!strcmp(spam_verdict(&set, &s), "deliver") && spam_fields(&f, &set, &s) && !f.len, "below SA_TAG: no fields") ;
    s.score = 3 ;
    spam_hit_add_score(&s, "RCVD_IN_DNSBL", 0) ;
    CHECK(spam_fields(&f, &set, &s) && f.len && !memcmp(f.s, "X-Spam-Score: 3\nX-Spam-Status: No, score=3 required=6.31 tests=RCVD_IN_DNSBL\n", f.len), "tag: Score and Status") ;
    s.score = 12 ;
    f.len = 0 ;
    CHECK(!strcmp(spam_verdict(&set, &s), "junk") && spam_fields(&f, &set, &s) && f.len > 12 && !memcmp(f.s + f.len - 12, "X-Spam: Yes\n", 12), "tag2: junk and X-Spam: Yes") ;
    set.spam_to_inbox = 0 ;
    CHECK(!strcmp(spam_verdict(&set, &s), "discard"), "SA_KILL without SPAMASSASSIN_SPAM_TO_INBOX: discard") ;
    set.spam_to_inbox = 1 ;
    set.move_to_junk = 0 ;
    CHECK(!strcmp(spam_verdict(&set, &s), "deliver"), "MOVE_SPAM_TO_JUNK=0: deliver") ;
    stralloc_free(&f) ;
  }
  return check_done() ;
}
