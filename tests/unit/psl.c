/* ISC license. */

/* common/psl: punycode (RFC 3492 examples), normalization, and the
 * Organizational Domain (RFC 7489 §3.2) over Debian's list, with the
 * cases of the list's own test file (publicsuffix.org's
 * tests/test_psl.txt: checkPublicSuffix, read as "the registrable
 * domain") that hold for the installed snapshot, and the org-domain
 * rows of /work/shared/conformance/dmarc/alignment-and-domains.json. */

#include <stdio.h>
#include <string.h>

#include "common/psl.h"
#include "tests/unit/check.h"

static void org (char const *in, char const *want)
{
  char out[PSL_NAME_MAX + 1] ;
  char name[600] ;
  int r = psl_org_domain(in, out) ;
  snprintf(name, sizeof(name), "org %s -> %s", in, want ? want : "(none)") ;
  if (want) CHECK(r == 1 && !strcmp(out, want), name) ;
  else CHECK(r == 0, name) ;
  if (r == 1 && want && strcmp(out, want)) printf("  got %s\n", out) ;
}

static void puny (char const *in, char const *want)
{
  char out[128] ;
  char name[256] ;
  size_t n = psl_punycode(in, strlen(in), out, sizeof(out)) ;
  snprintf(name, sizeof(name), "punycode %s", want) ;
  CHECK(n == strlen(want) && !strcmp(out, want), name) ;
}

int main (void)
{
  CHECK(psl_load(), "load the installed list") ;
  puny("\xd8\xa7\xdb\x8c\xd8\xb1\xd8\xa7\xd9\x86", "mgba3a4f16a") ;
  puny("\xe9\xa3\x9f\xe7\x8b\xae", "85x722f") ;
  puny("b\xc3\xbc" "cher", "bcher-kva") ;
  puny("\xc3\xbc", "tda") ;
  CHECK(!psl_punycode("\xc3", 1, (char [16]){ 0 }, 16), "punycode refuses a cut UTF-8 sequence") ;
  CHECK(!psl_punycode("\xc0\x80", 2, (char [16]){ 0 }, 16), "punycode refuses an overlong sequence") ;

  /* the list's test file */
  org("com", 0) ;
  org("example.com", "example.com") ;
  org("b.example.com", "example.com") ;
  org("a.b.example.com", "example.com") ;
  org("uk.com", 0) ;
  org("example.uk.com", "example.uk.com") ;
  org("b.example.uk.com", "example.uk.com") ;
  org("test.ac", "test.ac") ;
  org("mm", 0) ;
  org("c.mm", 0) ;
  org("b.c.mm", "b.c.mm") ;
  org("a.b.c.mm", "b.c.mm") ;
  org("jp", 0) ;
  org("test.jp", "test.jp") ;
  org("www.test.jp", "test.jp") ;
  org("ac.jp", 0) ;
  org("test.ac.jp", "test.ac.jp") ;
  org("kyoto.jp", 0) ;
  org("test.kyoto.jp", "test.kyoto.jp") ;
  org("c.kobe.jp", 0) ;
  org("b.c.kobe.jp", "b.c.kobe.jp") ;
  org("a.b.c.kobe.jp", "b.c.kobe.jp") ;
  org("city.kobe.jp", "city.kobe.jp") ;
  org("www.city.kobe.jp", "city.kobe.jp") ;
  org("ck", 0) ;
  org("test.ck", 0) ;
  org("b.test.ck", "b.test.ck") ;
  org("a.b.test.ck", "b.test.ck") ;
  org("www.ck", "www.ck") ;
  org("www.www.ck", "www.ck") ;
  org("us", 0) ;
  org("test.us", "test.us") ;
  org("www.test.us", "test.us") ;
  org("ak.us", 0) ;
  org("test.ak.us", "test.ak.us") ;
  org("k12.ak.us", 0) ;
  org("test.k12.ak.us", "test.k12.ak.us") ;
  org("www.test.k12.ak.us", "test.k12.ak.us") ;
  org("\xe9\xa3\x9f\xe7\x8b\xae.com.cn", "xn--85x722f.com.cn") ;
  org("\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn", "xn--85x722f.xn--55qx5d.cn") ;
  org("www.\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn", "xn--85x722f.xn--55qx5d.cn") ;
  org("\xe5\x85\xac\xe5\x8f\xb8.cn", 0) ;
  org("xn--85x722f.com.cn", "xn--85x722f.com.cn") ;
  org("shishi.xn--55qx5d.cn", "shishi.xn--55qx5d.cn") ;
  org("xn--55qx5d.cn", 0) ;
  /* mixed case, and the DMARC test table's stray dots */
  org("COM", 0) ;
  org("WwW.Example.COM", "example.com") ;
  org(".mac.com.", "mac.com") ;
  org("mac...com", 0) ;
  org("", 0) ;
  /* names not in the list: the default rule "*" */
  org("example", 0) ;
  org("a.b.example", "b.example") ;
  org("sub.subnone.example", "subnone.example") ;
  /* the conformance rows */
  org("a.b.c.bcx.com", "bcx.com") ;
  org("a.b.c.educ.ar", "educ.ar") ;
  org("a.b.c.xn--mgba3a4f16a.ir", "c.xn--mgba3a4f16a.ir") ;

  /* a list given as text: wildcard, exception, comments */
  {
    static char const small[] = "// comment\nfoo\n*.bar.foo\n!ok.bar.foo\n\xe5\x85\xac\xe5\x8f\xb8.foo  trailing words\n" ;
    CHECK(psl_load_text(small, sizeof(small) - 1), "load a small list") ;
  }
  org("x.bar.foo", 0) ;
  org("y.x.bar.foo", "y.x.bar.foo") ;
  org("ok.bar.foo", "ok.bar.foo") ;
  org("a.ok.bar.foo", "ok.bar.foo") ;
  org("a.xn--55qx5d.foo", "a.xn--55qx5d.foo") ;
  org("a.b.foo", "b.foo") ;
  {
    static char big[PSL_FILE_MAX + 2] ;
    CHECK(!psl_load_text(big, sizeof(big)), "a list over PSL_FILE_MAX is refused") ;
  }
  return check_done() ;
}
