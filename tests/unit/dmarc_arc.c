/* ISC license. */

/* common/arc and common/authres: sealing and validating chains of one
 * and two sets (RSA and Ed25519), the failures of RFC 8617 §5.2 (a
 * changed body, a changed seal, a wrong cv=, a missing or repeated
 * set, i= out of 1..50, a cv=fail seal), cv= taken from our own
 * Authentication-Results, and the authserv-id reader. dkimpy's seals
 * are checked against ours in tests/integration/test_authres.py. */

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <skalibs/stralloc.h>

#include "common/arc.h"
#include "common/authres.h"
#include "tests/unit/check.h"

static stralloc rec = STRALLOC_ZERO ;
static int lookups = 0 ;
static int fail_dns = 0 ;

static int lookup (void *ctx, char const *name, stralloc *out, char const **why)
{
  (void)ctx ; (void)name ;
  lookups++ ;
  if (fail_dns) { *why = "test: SERVFAIL" ; return -1 ; }
  return stralloc_catb(out, rec.s, rec.len) && stralloc_0(out) ? 1 : -1 ;
}

static char const base[] =
  "Authentication-Results: fwd.example; spf=pass smtp.mailfrom=a.example;\n dkim=pass header.d=a.example; arc=none\n"
  "From: A <a@a.example>\n"
  "To: list@fwd.example\n"
  "Subject: hello\n"
  "Date: Fri, 27 Nov 2026 10:00:00 +0000\n"
  "Message-ID: <x@a.example>\n"
  "\n"
  "body line\n" ;

static int seal (stralloc *msg, EVP_PKEY *k, int alg, char const *domain, int cv)
{
  stralloc out = STRALLOC_ZERO ;
  char const *why = 0 ;
  dkim_signkey key = { .pkey = k, .alg = alg, .domain = domain, .selector = "arc" } ;
  int ok = arc_seal(&out, msg->s, msg->len, &key, cv, "fwd.example; spf=pass smtp.mailfrom=a.example; arc=none", 1795820300, "\n", &why) ;
  if (ok) ok = stralloc_catb(&out, msg->s, msg->len) ;
  if (ok) { stralloc_free(msg) ; *msg = out ; }
  else stralloc_free(&out) ;
  return ok ;
}

static int verify (stralloc const *m, arc_chain *c)
{
  return arc_verify(m->s, m->len, &lookup, 0, c) ;
}

static void setrec (EVP_PKEY *k, int alg)
{
  rec.len = 0 ;
  stralloc_cats(&rec, alg == DKIM_ALG_ED25519_SHA256 ? "v=DKIM1; k=ed25519; p=" : "v=DKIM1; k=rsa; p=") ;
  dkim_pubkey_b64(&rec, k, alg) ;
}

/* replaces the first occurrence of a by b in m */
static int edit (stralloc *m, char const *a, char const *b)
{
  stralloc n = STRALLOC_ZERO ;
  size_t al = strlen(a) ;
  char *p = memmem(m->s, m->len, a, al) ;
  if (!p) return 0 ;
  stralloc_catb(&n, m->s, p - m->s) ;
  stralloc_cats(&n, b) ;
  stralloc_catb(&n, p + al, m->len - (p - m->s) - al) ;
  stralloc_free(m) ;
  *m = n ;
  return 1 ;
}

static void chain_cases (EVP_PKEY *k, int alg, char const *label)
{
  stralloc m = STRALLOC_ZERO, m2 = STRALLOC_ZERO, t = STRALLOC_ZERO ;
  arc_chain c ;
  char name[200] ;
  setrec(k, alg) ;
  stralloc_catb(&m, base, sizeof(base) - 1) ;
#define NAME(s) (snprintf(name, sizeof(name), "%s: %s", label, s), name)
  CHECK(verify(&m, &c) && c.result == ARC_NONE && !c.n, NAME("no ARC set: none")) ;
  CHECK(seal(&m, k, alg, "fwd.example", ARC_NONE), NAME("seal set 1")) ;
  CHECK(verify(&m, &c) && c.result == ARC_PASS && c.n == 1 && !strcmp(c.domain, "fwd.example") && !strcmp(c.aar_authserv, "fwd.example"), NAME("set 1 validates")) ;
  stralloc_copyb(&m2, m.s, m.len) ;
  CHECK(seal(&m2, k, alg, "second.example", c.result), NAME("seal set 2 over a passing chain")) ;
  CHECK(verify(&m2, &c) && c.result == ARC_PASS && c.n == 2 && !c.oldest_pass && !strcmp(c.domain, "second.example") && strstr(m2.s, "cv=pass"), NAME("set 2 validates, every AMS still verifies (oldest-pass 0)")) ;

  stralloc_copyb(&t, m2.s, m2.len) ;
  edit(&t, "body line", "body LINE") ;
  CHECK(verify(&t, &c) && c.result == ARC_FAIL && c.why && strstr(c.why, "body hash"), NAME("a changed body fails")) ;
  stralloc_copyb(&t, m2.s, m2.len) ;
  edit(&t, "Subject: hello", "Subject: hellO") ;
  CHECK(verify(&t, &c) && c.result == ARC_FAIL, NAME("a changed signed field fails")) ;
  stralloc_copyb(&t, m2.s, m2.len) ;
  edit(&t, "To: list@fwd.example", "To: list@fwd.example\nX-Added: by the second hop") ;
  CHECK(verify(&t, &c) && c.result == ARC_PASS, NAME("an unsigned field added later does not matter")) ;
  stralloc_copyb(&t, m2.s, m2.len) ;
  edit(&t, "ARC-Authentication-Results: i=1; fwd.example", "arc-authentication-results:   i=1;  \t fwd.example") ;
  CHECK(verify(&t, &c) && c.result == ARC_PASS, NAME("the seals hash relaxed: name case and white space do not matter")) ;
  stralloc_copyb(&t, m2.s, m2.len) ;
  edit(&t, "ARC-Authentication-Results: i=1; fwd.example; spf=pass", "ARC-Authentication-Results: i=1; fwd.example; spf=fail") ;
  CHECK(verify(&t, &c) && c.result == ARC_FAIL && c.why && strstr(c.why, "ARC-Seal"), NAME("a changed older AAR breaks the seals")) ;
  stralloc_copyb(&t, m2.s, m2.len) ;
  edit(&t, "cv=pass", "cv=none") ;
  CHECK(verify(&t, &c) && c.result == ARC_FAIL, NAME("set 2 with cv=none fails")) ;
  stralloc_copyb(&t, m2.s, m2.len) ;
  edit(&t, "cv=pass", "cv=fail") ;
  CHECK(verify(&t, &c) && c.result == ARC_FAIL && strstr(c.why, "cv=fail"), NAME("a newest seal with cv=fail fails")) ;
  stralloc_copyb(&t, m2.s, m2.len) ;
  edit(&t, "ARC-Seal: i=1", "ARC-Seal: i=3") ;
  CHECK(verify(&t, &c) && c.result == ARC_FAIL && strstr(c.why, "incomplete"), NAME("a missing set fails")) ;
  stralloc_copyb(&t, m2.s, m2.len) ;
  edit(&t, "ARC-Authentication-Results: i=1", "ARC-Authentication-Results: i=2") ;
  CHECK(verify(&t, &c) && c.result == ARC_FAIL && strstr(c.why, "twice"), NAME("an instance twice fails")) ;
  stralloc_copyb(&t, m.s, m.len) ;
  edit(&t, "ARC-Seal: i=1", "ARC-Seal: i=51") ;
  CHECK(verify(&t, &c) && c.result == ARC_FAIL, NAME("i=51 fails")) ;
  stralloc_copyb(&t, m.s, m.len) ;
  edit(&t, "ARC-Seal: i=1", "ARC-Seal: i=0") ;
  CHECK(verify(&t, &c) && c.result == ARC_FAIL, NAME("i=0 fails")) ;
  fail_dns = 1 ;
  CHECK(verify(&m2, &c) && c.result == ARC_FAIL && c.temperror, NAME("a key lookup failure is a fail with temperror")) ;
  fail_dns = 0 ;
  {
    stralloc ar = STRALLOC_ZERO ;
    int cv ;
    stralloc_copyb(&t, m.s, m.len) ;
    edit(&t, "From: A", "Authentication-Results: mx.local.test; dkim=none;\n arc=pass (i=1)\nFrom: A") ;
    cv = arc_cv_from_authres(t.s, t.len, "MX.local.test", &ar) ;
    CHECK(cv == ARC_PASS && !strncmp(ar.s, "mx.local.test; dkim=none;", 25), NAME("cv and the AAR payload from our own Authentication-Results")) ;
    CHECK(arc_cv_from_authres(t.s, t.len, "other.test", &ar) == ARC_NONE, NAME("no Authentication-Results of ours: cv none")) ;
    stralloc_free(&ar) ;
  }
  stralloc_free(&m) ;
  stralloc_free(&m2) ;
  stralloc_free(&t) ;
#undef NAME
}

static void authres_cases (void)
{
  char id[AUTHRES_ID_MAX + 1], w[32] ;
  size_t rest ;
  static char const v1[] = " (comment) mx.example.test 1; spf=pass (why) smtp.mailfrom=a.example; arc = fail" ;
  CHECK(authres_id(v1, sizeof(v1) - 1, id, &rest) && !strcmp(id, "mx.example.test"), "authres: authserv-id after a comment, before a version") ;
  CHECK(authres_claims(v1, sizeof(v1) - 1, "MX.Example.Test"), "authres: claims ignores case") ;
  CHECK(!authres_claims(v1, sizeof(v1) - 1, "mx.example.tes"), "authres: claims compares the whole id") ;
  CHECK(authres_result(v1, sizeof(v1) - 1, "arc", w) && !strcmp(w, "fail"), "authres: a method's result with spaces around =") ;
  CHECK(authres_result(v1, sizeof(v1) - 1, "spf", w) && !strcmp(w, "pass"), "authres: the first method") ;
  CHECK(!authres_result(v1, sizeof(v1) - 1, "dkim", w), "authres: an absent method") ;
  CHECK(authres_id(" \"quoted id\"; none", 18, id, &rest) && !strcmp(id, "quoted id"), "authres: a quoted authserv-id") ;
  CHECK(!authres_id(" (unterminated", 14, id, &rest), "authres: only a comment: no id") ;
  {
    unsigned int i ;
    size_t p ;
    static char const a[] = "ARC-Authentication-Results: i=7 ; x.test; none" ;
    CHECK(arc_aar_parse(a, sizeof(a) - 1, &i, &p) && i == 7 && !strcmp(a + p, " x.test; none"), "arc: AAR instance and payload") ;
    CHECK(!arc_aar_parse("ARC-Authentication-Results: x.test; none", 40, &i, &p), "arc: AAR without i= is refused") ;
  }
}

int main (void)
{
  EVP_PKEY *rsa = EVP_RSA_gen(2048) ;
  EVP_PKEY *ed = 0 ;
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, 0) ;
  if (pc && EVP_PKEY_keygen_init(pc) == 1) EVP_PKEY_keygen(pc, &ed) ;
  EVP_PKEY_CTX_free(pc) ;
  CHECK(rsa && ed, "make an RSA and an Ed25519 key") ;
  if (rsa) chain_cases(rsa, DKIM_ALG_RSA_SHA256, "rsa") ;
  if (ed) chain_cases(ed, DKIM_ALG_ED25519_SHA256, "ed25519") ;
  authres_cases() ;
  EVP_PKEY_free(rsa) ;
  EVP_PKEY_free(ed) ;
  stralloc_free(&rec) ;
  return check_done() ;
}
