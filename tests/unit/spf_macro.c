/* ISC license. */

/* common/spf without DNS: macro expansion with the examples of RFC 7208
 * §7.4, URL escaping, the exp-only letters, truncation of targets (§7.3),
 * the record grammar (§12: terms, CIDR lengths, domain-end), address
 * matching and IPv4-mapped clients, Received-SPF quoting. */

#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/spf.h"
#include "common/spf-internal.h"
#include "tests/unit/check.h"

static void none (spf_ctx *c) { c->pstate = 1 ; c->pn = 0 ; }

static int expands (spf_ctx *c, char const *in, char const *want, int isexp)
{
  char out[SPF_EXPAND_MAX] ;
  size_t n ;
  c->problem[0] = 0 ;
  if (!spf_expand(c, "email.example.com", in, strlen(in), isexp, out, sizeof(out), &n)) return !want ;
  if (!want) return 0 ;
  if (strcmp(out, want)) { printf("# %s -> %s (want %s)\n", in, out, want) ; return 0 ; }
  return 1 ;
}

static int parses (char const *record, int want)
{
  spf_term t ;
  char const *why ;
  size_t pos = 6, len = strlen(record) ;
  int r ;
  if (!spf_record_select(record, len)) return want == -2 ;
  while ((r = spf_term_next(record, len, &pos, &t, &why)) > 0) ;
  return r == want ;
}

int main (void)
{
  dns d = DNS_ZERO ;
  tain deadline = TAIN_ZERO ;
  spf_query q = { .ip = "192.0.2.3", .helo = "mx.example.org", .sender = "strong-bad@email.example.com", .receiver = "mx.receiver.test" } ;
  spf_query q6 = { .ip = "2001:db8::cb01", .helo = "mx.example.org", .sender = "strong-bad@email.example.com", .receiver = 0 } ;
  spf_ctx c, c6 ;
  CHECK(spf_ctx_init(&c, &d, &q, SPF_ID_MAILFROM, &deadline), "ctx_init ipv4") ;
  CHECK(spf_ctx_init(&c6, &d, &q6, SPF_ID_MAILFROM, &deadline), "ctx_init ipv6") ;
  c.validate = c6.validate = &none ;

  /* RFC 7208 §7.4 */
  CHECK(expands(&c, "%{s}", "strong-bad@email.example.com", 0), "7.4 %{s}") ;
  CHECK(expands(&c, "%{o}", "email.example.com", 0), "7.4 %{o}") ;
  CHECK(expands(&c, "%{d}", "email.example.com", 0), "7.4 %{d}") ;
  CHECK(expands(&c, "%{d4}", "email.example.com", 0), "7.4 %{d4}") ;
  CHECK(expands(&c, "%{d3}", "email.example.com", 0), "7.4 %{d3}") ;
  CHECK(expands(&c, "%{d2}", "example.com", 0), "7.4 %{d2}") ;
  CHECK(expands(&c, "%{d1}", "com", 0), "7.4 %{d1}") ;
  CHECK(expands(&c, "%{dr}", "com.example.email", 0), "7.4 %{dr}") ;
  CHECK(expands(&c, "%{d2r}", "example.email", 0), "7.4 %{d2r}") ;
  CHECK(expands(&c, "%{l}", "strong-bad", 0), "7.4 %{l}") ;
  CHECK(expands(&c, "%{l-}", "strong.bad", 0), "7.4 %{l-}") ;
  CHECK(expands(&c, "%{lr}", "strong-bad", 0), "7.4 %{lr}") ;
  CHECK(expands(&c, "%{lr-}", "bad.strong", 0), "7.4 %{lr-}") ;
  CHECK(expands(&c, "%{l1r-}", "strong", 0), "7.4 %{l1r-}") ;
  CHECK(expands(&c, "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", 0), "7.4 %{ir}.%{v}._spf.%{d2}") ;
  CHECK(expands(&c, "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", 0), "7.4 %{lr-}.lp._spf.%{d2}") ;
  CHECK(expands(&c, "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", 0), "7.4 mixed") ;
  CHECK(expands(&c, "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com", 0), "7.4 mixed 2") ;
  CHECK(expands(&c, "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net", 0), "7.4 trusted-domains") ;
  CHECK(expands(&c6, "%{ir}.%{v}._spf.%{d2}", "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", 0), "7.4 ipv6 %{ir}") ;

  /* escapes, upper case, exp-only letters, syntax errors */
  CHECK(expands(&c, "%%%_%-", "% %20", 0), "%% %_ %-") ;
  CHECK(expands(&c, "%{S}", "strong-bad%40email.example.com", 0), "upper-case letter URL-escapes") ;
  CHECK(expands(&c, "%{c}", 0, 0), "%{c} outside exp is an error") ;
  CHECK(expands(&c, "%{c} %{r}", "192.0.2.3 mx.receiver.test", 1), "%{c} %{r} in exp") ;
  CHECK(expands(&c6, "%{c}", "2001:db8::cb01", 1), "%{c} ipv6 in exp") ;
  CHECK(expands(&c, "%{d0}", 0, 0), "digit 0 is an error") ;
  CHECK(expands(&c, "%{d99999999999999}", "email.example.com", 0), "huge digit means all parts") ;
  CHECK(expands(&c, "%{x}", 0, 0), "unknown letter is an error") ;
  CHECK(expands(&c, "abc%", 0, 0), "trailing % is an error") ;
  CHECK(expands(&c, "%{d", 0, 0), "unclosed macro is an error") ;
  CHECK(expands(&c, "a b", 0, 0), "space outside exp is an error") ;
  CHECK(expands(&c, "%{p}", "unknown", 0), "%{p} without validated names") ;
  CHECK(expands(&c, "%{l+.}", "strong-bad", 0), "delimiters without a match") ;

  /* targets: trailing dot, truncation to 253 from the left */
  {
    char t[DNS_NAME_MAX + 1] ;
    char spec[700] ;
    size_t n = 0 ;
    CHECK(spf_target(&c, "email.example.com", "%{d}.", 5, t) == 1 && !strcmp(t, "email.example.com"), "target drops a trailing dot") ;
    for (unsigned int i = 0 ; i < 60 ; i++) { memcpy(spec + n, "abcdefghi.", 10) ; n += 10 ; }
    memcpy(spec + n, "example.com", 11) ; n += 11 ;
    CHECK(spf_target(&c, "x.test", spec, n, t) == 1 && strlen(t) <= 253 && !strcmp(t + strlen(t) - 11, "example.com") && t[0] == 'a', "target cut on a label boundary") ;
    CHECK(spf_target(&c, "x.test", "a..b.example.com", 16, t) == -1, "target with an empty label is no name") ;
  }

  /* the grammar */
  CHECK(parses("v=spf1 a mx ptr ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.x.example include:a.example ~all", 0), "every mechanism") ;
  CHECK(parses("v=spf1 a/24//64 mx:example.com/0 a//128 -all", 0), "dual cidr") ;
  CHECK(parses("v=spf1 a/33", -1), "ip4 cidr over 32") ;
  CHECK(parses("v=spf1 ip4:1.2.3.4/024", -1), "cidr with a leading zero") ;
  CHECK(parses("v=spf1 ip6::1/129", -1), "ip6 cidr over 128") ;
  CHECK(parses("v=spf1 a:foo", -1), "single-label domain-spec") ;
  CHECK(parses("v=spf1 a:foo.123", -1), "numeric top label") ;
  CHECK(parses("v=spf1 a:foo:bar/baz.example.com", 0), "colon and slash in a domain-spec") ;
  CHECK(parses("v=spf1 include:", -1), "empty include") ;
  CHECK(parses("v=spf1 foo=%{x}", -1), "unknown modifier with a bad macro") ;
  CHECK(parses("v=spf1 foo=bar -all", 0), "unknown modifier ignored") ;
  CHECK(parses("v=spf1 all:x", -1), "junk after all") ;
  CHECK(parses("v=spf1 -all\t", -1), "tab is not a separator") ;
  CHECK(parses("v=spf10 -all", -2), "v=spf10 is not selected") ;
  CHECK(parses("V=SpF1 -all", 0), "version is case-insensitive") ;

  /* addresses */
  {
    unsigned char ip[16], net[16] = { 192, 0, 2, 0 } ;
    int is6 ;
    CHECK(spf_ip_parse("::ffff:192.0.2.77", ip, &is6) && !is6 && ip[3] == 77, "IPv4-mapped is IPv4") ;
    CHECK(spf_ip_match(ip, net, 24, 4) && !spf_ip_match(ip, net, 32, 4) && spf_ip_match(ip, net, 0, 4), "cidr match") ;
    CHECK(!spf_ip_parse("192.0.2.300", ip, &is6), "bad address refused") ;
  }
  CHECK(spf_domain_valid("example.com") && !spf_domain_valid("com") && !spf_domain_valid("a..b")
     && !spf_domain_valid("A123456789012345678901234567890123456789012345678901234567890123.example.com"), "initial domain checks (4.3)") ;

  /* Received-SPF quoting */
  {
    stralloc sa = STRALLOC_ZERO ;
    spf_answer a ;
    spf_query qq = { .ip = "192.0.2.3", .helo = "bad helo\"(", .sender = "we\"ird\\@example.com", .receiver = "mx.test" } ;
    memset(&a, 0, sizeof(a)) ;
    a.result = SPF_PERMERROR ;
    a.identity = SPF_ID_MAILFROM ;
    memcpy(a.problem, "bad \"thing\"", 12) ;
    CHECK(spf_received_spf(&sa, &qq, &a) && stralloc_0(&sa), "received-spf formats") ;
    CHECK(!strncmp(sa.s, "permerror (mx.test: error in processing during lookup of we\"ird\\\\@example.com) ", 79), "comment escapes") ;
    CHECK(strstr(sa.s, "helo=\"bad helo\\\"(\";") && strstr(sa.s, "problem=\"bad \\\"thing\\\"\"") && strstr(sa.s, "envelope-from=\"we\\\"ird\\\\@example.com\";"), "values quoted") ;
    stralloc_free(&sa) ;
  }
  return check_done() ;
}
