/* ISC license. */

/* DKIM: the canonicalization examples of RFC 6376 §3.4.6, tag lists,
 * key records, and every vector of the shared conformance suite
 * ($PH_DKIM_VECTORS, default /work/shared/conformance/dkim): each
 * signature must get the expected result, the keys coming from a lookup
 * hook that serves the vector's records only. Then sign/verify round
 * trips with the suite's keys (RSA and Ed25519, both canonicalizations),
 * and the deterministic signatures of RFC 6376 A.2 and RFC 8463 A.3. */

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/dkim.h"
#include "common/dkim-internal.h"
#include "tests/unit/check.h"

static char const *vdir ;

/* --- a minimal JSON reader, enough for vectors.json --- */

typedef struct jv_s jv ;
struct jv_s
{
  int type ;          /* 's' string, 'a' array, 'o' object, 'n' number or literal */
  char *s ;           /* string value, or object key list holder */
  unsigned int n ;
  char **keys ;
  jv *items ;
} ;

static char const *jp ;

static void ws (void) { while (*jp == ' ' || *jp == '\n' || *jp == '\r' || *jp == '\t') jp++ ; }

static char *jstring (void)
{
  stralloc sa = STRALLOC_ZERO ;
  jp++ ;
  while (*jp && *jp != '"')
  {
    char c = *jp++ ;
    if (c == '\\')
    {
      c = *jp++ ;
      if (c == 'n') c = '\n' ; else if (c == 't') c = '\t' ; else if (c == 'r') c = '\r' ;
      else if (c == 'u')
      {
        unsigned int u = (unsigned int)strtoul((char[5]){ jp[0], jp[1], jp[2], jp[3], 0 }, 0, 16) ;
        jp += 4 ;
        c = u < 128 ? (char)u : '?' ;
      }
    }
    stralloc_catb(&sa, &c, 1) ;
  }
  jp++ ;
  stralloc_0(&sa) ;
  return sa.s ;
}

static void jvalue (jv *v)
{
  ws() ;
  memset(v, 0, sizeof(*v)) ;
  if (*jp == '"') { v->type = 's' ; v->s = jstring() ; return ; }
  if (*jp == '[' || *jp == '{')
  {
    int obj = *jp == '{' ;
    v->type = obj ? 'o' : 'a' ;
    jp++ ;
    for (;;)
    {
      ws() ;
      if (*jp == ']' || *jp == '}') { jp++ ; return ; }
      if (*jp == ',') { jp++ ; continue ; }
      v->items = realloc(v->items, (v->n + 1) * sizeof(jv)) ;
      v->keys = realloc(v->keys, (v->n + 1) * sizeof(char *)) ;
      v->keys[v->n] = 0 ;
      if (obj) { v->keys[v->n] = jstring() ; ws() ; jp++ ; }
      jvalue(v->items + v->n) ;
      v->n++ ;
    }
  }
  v->type = 'n' ;
  {
    char const *s = jp ;
    while (*jp && *jp != ',' && *jp != ']' && *jp != '}' && *jp != ' ' && *jp != '\n') jp++ ;
    v->s = strndup(s, (size_t)(jp - s)) ;
  }
}

static void jfree (jv *v)
{
  for (unsigned int i = 0 ; i < v->n ; i++)
  {
    jfree(v->items + i) ;
    free(v->keys[i]) ;
  }
  free(v->items) ;
  free(v->keys) ;
  free(v->s) ;
}

static jv *jget (jv *o, char const *key)
{
  for (unsigned int i = 0 ; o->type == 'o' && i < o->n ; i++) if (!strcmp(o->keys[i], key)) return o->items + i ;
  return 0 ;
}

/* --- the lookup hook: one vector's records --- */

typedef struct zone_s zone ;
struct zone_s
{
  unsigned int n ;
  char const *name[16] ;
  char const *value[16] ;
} ;

static int zone_lookup (void *ctx, char const *name, stralloc *records, char const **why)
{
  zone *z = ctx ;
  int found = 0 ;
  (void)why ;
  for (unsigned int i = 0 ; i < z->n ; i++)
    if (!strcasecmp(z->name[i], name))
    {
      if (!stralloc_cats(records, z->value[i]) || !stralloc_0(records)) return -1 ;
      found++ ;
    }
  return found ;
}

/* --- canonicalization --- */

static void sa_sink (void *ctx, char const *s, size_t len)
{
  stralloc_catb((stralloc *)ctx, s, len) ;
}

static int body_is (char const *in, int canon, char const *want)
{
  stralloc sa = STRALLOC_ZERO ;
  dkim_body b ;
  int ok ;
  dkim_body_init(&b, canon, &sa_sink, &sa) ;
  /* byte by byte: the state machine must not depend on the chunking */
  for (size_t i = 0 ; in[i] ; i++) dkim_body_update(&b, in + i, 1) ;
  dkim_body_final(&b) ;
  ok = sa.len == strlen(want) && (!sa.len || !memcmp(sa.s, want, sa.len)) ;
  if (!ok) printf("# got [%.*s]\n", (int)sa.len, sa.s) ;
  stralloc_free(&sa) ;
  return ok ;
}

static int header_is (char const *in, int canon, char const *want)
{
  stralloc sa = STRALLOC_ZERO ;
  genalloc fields = GENALLOC_ZERO ;
  size_t body ;
  char const *why ;
  int ok = dkim_split(in, strlen(in), &fields, &body, &why) ;
  for (size_t i = 0 ; ok && i < genalloc_len(dkim_field, &fields) ; i++)
  {
    dkim_field const *f = genalloc_s(dkim_field, &fields) + i ;
    dkim_canon_header(canon, in + f->off, f->len, 1, &sa_sink, &sa) ;
  }
  ok = ok && sa.len == strlen(want) && !memcmp(sa.s, want, sa.len) ;
  if (!ok) printf("# got [%.*s]\n", (int)sa.len, sa.s) ;
  stralloc_free(&sa) ;
  genalloc_free(dkim_field, &fields) ;
  return ok ;
}

static void canon_tests (void)
{
  /* RFC 6376 §3.4.6 */
  char const *h = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n" ;
  CHECK(header_is(h, DKIM_CANON_RELAXED, "a:X\r\nb:Y Z\r\n"), "rfc6376_3.4.6_header_relaxed") ;
  CHECK(header_is(h, DKIM_CANON_SIMPLE, "A: X\r\nB : Y\t\r\n\tZ  \r\n"), "rfc6376_3.4.6_header_simple") ;
  CHECK(body_is(" C \r\nD \t E\r\n\r\n\r\n", DKIM_CANON_RELAXED, " C\r\nD E\r\n"), "rfc6376_3.4.6_body_relaxed") ;
  CHECK(body_is(" C \r\nD \t E\r\n\r\n\r\n", DKIM_CANON_SIMPLE, " C \r\nD \t E\r\n"), "rfc6376_3.4.6_body_simple") ;
  CHECK(body_is(" C \nD \t E\n\n\n", DKIM_CANON_RELAXED, " C\r\nD E\r\n"), "body_relaxed_lf_input") ;
  CHECK(body_is("", DKIM_CANON_SIMPLE, "\r\n"), "body_simple_empty_is_crlf") ;
  CHECK(body_is("", DKIM_CANON_RELAXED, ""), "body_relaxed_empty_is_empty") ;
  CHECK(body_is("\r\n\r\n", DKIM_CANON_SIMPLE, "\r\n"), "body_simple_only_empty_lines") ;
  CHECK(body_is("a", DKIM_CANON_SIMPLE, "a\r\n"), "body_simple_adds_final_crlf") ;
  CHECK(body_is("a \t", DKIM_CANON_RELAXED, "a\r\n"), "body_relaxed_adds_final_crlf") ;
  CHECK(body_is(" \t\r\n\r\nx\r\n \r\n", DKIM_CANON_RELAXED, "\r\n\r\nx\r\n"), "body_relaxed_wsp_lines_are_empty") ;
  CHECK(body_is("a\rb\r\n", DKIM_CANON_SIMPLE, "a\rb\r\n"), "body_bare_cr_is_data") ;
  CHECK(body_is("a\r", DKIM_CANON_SIMPLE, "a\r\r\n"), "body_final_bare_cr") ;
}

static void tag_tests (void)
{
  dkim_tags t ;
  char const *why ;
  char const *s = " v = 1 ;\r\n\ta=rsa-sha256; b=ab cd\r\n ef ;" ;
  dkim_tag const *g ;
  CHECK(dkim_tags_parse(&t, s, strlen(s), &why) && t.n == 3, "tags_fws_and_final_semicolon") ;
  g = dkim_tags_get(&t, s, "b") ;
  CHECK(g && g->valuelen == 10 && !memcmp(s + g->value, "ab cd\r\n ef", 10), "tags_value_keeps_inner_fws") ;
  CHECK(!dkim_tags_parse(&t, "a=1; a=2", 8, &why), "tags_duplicate_refused") ;
  CHECK(!dkim_tags_parse(&t, "a=1;;b=2", 8, &why), "tags_empty_spec_refused") ;
  CHECK(!dkim_tags_parse(&t, "1a=1", 4, &why), "tags_bad_name_refused") ;
  CHECK(!dkim_tags_parse(&t, "a=1\r\nb=2", 8, &why), "tags_unfolded_line_break_refused") ;
  CHECK(!dkim_tags_parse(&t, "a", 1, &why), "tags_missing_equals_refused") ;
  CHECK(!dkim_tags_parse(&t, "a=\x80", 3, &why), "tags_non_ascii_refused") ;
  CHECK(dkim_tags_parse(&t, "a=", 2, &why) && t.n == 1 && !t.tag[0].valuelen, "tags_empty_value") ;
}

static void b64_tests (void)
{
  unsigned char out[16] ;
  size_t n ;
  CHECK(dkim_b64_decode("Zm9v YmE=", 9, out, sizeof(out), &n) && n == 5 && !memcmp(out, "fooba", 5), "b64_with_space") ;
  CHECK(!dkim_b64_decode("Zm9vYmE", 7, out, sizeof(out), &n), "b64_missing_padding_refused") ;
  CHECK(!dkim_b64_decode("Zm9=YmE=", 8, out, sizeof(out), &n), "b64_inner_padding_refused") ;
  CHECK(!dkim_b64_decode("Zm9vYmF=", 8, out, sizeof(out), &n), "b64_nonzero_pad_bits_refused") ;
}

/* --- the vectors --- */

static char *slurp_file (char const *rel, size_t *len)
{
  stralloc sa = STRALLOC_ZERO ;
  char path[1024] ;
  snprintf(path, sizeof(path), "%s/%s", vdir, rel) ;
  if (!openslurpclose(&sa, path)) return 0 ;
  *len = sa.len ;
  stralloc_0(&sa) ;
  return sa.s ;
}

static void vector (jv *v)
{
  char const *id = jget(v, "id")->s ;
  jv *exp = jget(v, "expect") ;
  jv *dnsv = jget(v, "dns_txt") ;
  jv *vt = jget(v, "verify_time") ;
  jv *expvt = jget(v, "expect_at_verify_time") ;
  size_t len ;
  char *msg = slurp_file(jget(v, "message")->s, &len) ;
  char *m = msg ;
  zone z = { .n = 0 } ;
  dkim_result res[DKIM_SIGS_MAX] ;
  unsigned int n = 0 ;
  char name[64] ;
  int ok ;
  snprintf(name, sizeof(name), "vector_%s", id) ;
  if (!msg) { CHECK(0, name) ; return ; }
  if (dnsv->type == 'o')
    for (unsigned int i = 0 ; i < dnsv->n && z.n < 16 ; i++)
    {
      z.name[z.n] = dnsv->keys[i] ;
      z.value[z.n++] = dnsv->items[i].s ;
    }
  else
  {
    /* .dnsmsg: "<name> <TXT value>" lines, an empty line, the message */
    while (*m && *m != '\n' && *m != '\r' && z.n < 16)
    {
      char *sp = strchr(m, ' ') ;
      char *nl = strchr(m, '\n') ;
      *sp = 0 ;
      if (nl[-1] == '\r') nl[-1] = 0 ;
      *nl = 0 ;
      z.name[z.n] = m ;
      z.value[z.n++] = sp + 1 ;
      m = nl + 1 ;
    }
    m += *m == '\r' ? 2 : 1 ;
    len -= (size_t)(m - msg) ;
  }
  ok = dkim_verify(m, len, &zone_lookup, &z, 1800000000, res, DKIM_SIGS_MAX, &n) ;
  if (!exp->n) ok = ok && n == 0 && res[0].result == DKIM_NONE ;
  else
  {
    ok = ok && n == exp->n ;
    for (unsigned int i = 0 ; ok && i < n ; i++)
    {
      if (strcmp(dkim_result_str(res[i].result), exp->items[i].s)) ok = 0 ;
      printf("# %s sig %u: %s (%s)\n", id, i, dkim_result_str(res[i].result), res[i].why ? res[i].why : "") ;
    }
  }
  CHECK(ok, name) ;
  if (vt && expvt)
  {
    uint64_t when = strtoull(vt->s, 0, 10) ;
    ok = dkim_verify(m, len, &zone_lookup, &z, when, res, DKIM_SIGS_MAX, &n) && n == expvt->n ;
    for (unsigned int i = 0 ; ok && i < n ; i++) if (strcmp(dkim_result_str(res[i].result), expvt->items[i].s)) ok = 0 ;
    snprintf(name, sizeof(name), "vector_%s_at_verify_time", id) ;
    CHECK(ok, name) ;
  }
  free(msg) ;
}

static void vector_tests (void)
{
  size_t len ;
  char *text = slurp_file("vectors.json", &len) ;
  jv root ;
  jv *vs ;
  CHECK(text != 0, "vectors_file_read") ;
  if (!text) return ;
  jp = text ;
  jvalue(&root) ;
  vs = jget(&root, "vectors") ;
  CHECK(vs && vs->n >= 40, "vectors_parsed") ;
  for (unsigned int i = 0 ; vs && i < vs->n ; i++) vector(vs->items + i) ;
  jfree(&root) ;
  free(text) ;
}

/* --- signing --- */

static EVP_PKEY *load_key (char const *rel, int *alg)
{
  size_t len ;
  char *s = slurp_file(rel, &len) ;
  EVP_PKEY *k ;
  if (!s) return 0 ;
  k = dkim_privkey_parse(s, len, alg) ;
  free(s) ;
  return k ;
}

static void sign_tests (void)
{
  static char const *const keys[2] = { "keys/dkimpy-test.rsa1024.private.pem", "keys/dkimpy-ed25519test.seed.b64" } ;
  size_t len ;
  char *msg = slurp_file("messages/dkimpy-test-unsigned.eml", &len) ;
  CHECK(msg != 0, "sign_message_read") ;
  if (!msg) return ;
  for (unsigned int ki = 0 ; ki < 2 ; ki++)
  {
    int alg = 0 ;
    EVP_PKEY *pkey = load_key(keys[ki], &alg) ;
    stralloc rec = STRALLOC_ZERO ;
    char name[80] ;
    snprintf(name, sizeof(name), "privkey_load_%s", ki ? "ed25519" : "rsa") ;
    CHECK(pkey && alg == (ki ? DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256), name) ;
    if (!pkey) continue ;
    stralloc_cats(&rec, ki ? "v=DKIM1; k=ed25519; p=" : "v=DKIM1; k=rsa; p=") ;
    dkim_pubkey_b64(&rec, pkey, alg) ;
    stralloc_0(&rec) ;
    for (int c = 0 ; c < 4 ; c++)
    {
      dkim_signkey key = { .pkey = pkey, .alg = alg, .domain = "example.com", .selector = "sel" } ;
      dkim_signopts o = { .hcanon = c & 1, .bcanon = c >> 1, .t = 1700000000, .expire = c == 3 ? 3600 : 0, .auid = 0, .eol = c & 1 ? "\r\n" : "\n" } ;
      stralloc signed_ = STRALLOC_ZERO ;
      char const *why = "" ;
      zone z = { .n = 1, .name = { "sel._domainkey.example.com" }, .value = { rec.s } } ;
      dkim_result res[DKIM_SIGS_MAX] ;
      unsigned int n = 0 ;
      int ok = dkim_sign(&signed_, msg, len, &key, &o, &why) ;
      if (!ok) printf("# sign: %s\n", why) ;
      stralloc_catb(&signed_, msg, len) ;
      ok = ok && dkim_verify(signed_.s, signed_.len, &zone_lookup, &z, 1700000001, res, DKIM_SIGS_MAX, &n) && n == 1 && res[0].result == DKIM_PASS ;
      snprintf(name, sizeof(name), "sign_verify_%s_%s/%s", ki ? "ed25519" : "rsa", c & 1 ? "relaxed" : "simple", c >> 1 ? "relaxed" : "simple") ;
      CHECK(ok, name) ;
      if (c == 3)
      {
        /* an added From breaks it: From is oversigned */
        stralloc two = STRALLOC_ZERO ;
        stralloc_cats(&two, "From: evil@example.org\r\n") ;
        stralloc_cat(&two, &signed_) ;
        ok = dkim_verify(two.s, two.len, &zone_lookup, &z, 1700000001, res, DKIM_SIGS_MAX, &n) && n == 1 && res[0].result == DKIM_FAIL ;
        snprintf(name, sizeof(name), "sign_oversigned_from_%s", ki ? "ed25519" : "rsa") ;
        CHECK(ok, name) ;
        ok = dkim_verify(signed_.s, signed_.len, &zone_lookup, &z, 1700000000 + 3601, res, DKIM_SIGS_MAX, &n) && n == 1 && res[0].result == DKIM_FAIL ;
        snprintf(name, sizeof(name), "sign_expired_%s", ki ? "ed25519" : "rsa") ;
        CHECK(ok, name) ;
        stralloc_free(&two) ;
      }
      stralloc_free(&signed_) ;
    }
    stralloc_free(&rec) ;
    EVP_PKEY_free(pkey) ;
  }
  free(msg) ;
  {
    char const *why = "" ;
    stralloc sa = STRALLOC_ZERO ;
    int alg ;
    EVP_PKEY *pkey = load_key(keys[0], &alg) ;
    dkim_signkey key = { .pkey = pkey, .alg = alg, .domain = "example.com", .selector = "sel" } ;
    dkim_signopts o = { .hcanon = 1, .bcanon = 1, .t = 1, .expire = 0, .auid = 0, .eol = "\n" } ;
    CHECK(pkey && !dkim_sign(&sa, "To: a@b\n\nhi\n", 12, &key, &o, &why) && !sa.len, "sign_refuses_without_from") ;
    EVP_PKEY_free(pkey) ;
    stralloc_free(&sa) ;
  }
}

/* RSA PKCS#1 v1.5 and Ed25519 are deterministic: signing the header
 * hash of RFC 6376 A.2 with the App. C key, and of RFC 8463 A.3's first
 * signature with the RFC 8032 seed, must give their published b=. */
static int reproduces (char const *msgfile, char const *keyfile, unsigned int which)
{
  static dkim_sig sig ;
  size_t len, body ;
  char *msg = slurp_file(msgfile, &len) ;
  genalloc fields = GENALLOC_ZERO ;
  char const *why ;
  char const *names[DKIM_HLIST_MAX] ;
  size_t lens[DKIM_HLIST_MAX] ;
  unsigned char digest[32], out[DKIM_SIGBYTES_MAX] ;
  size_t outlen = sizeof(out) ;
  int alg = 0, ok = 0 ;
  unsigned int seen = 0 ;
  EVP_PKEY *pkey = load_key(keyfile, &alg) ;
  if (!msg || !pkey || !dkim_split(msg, len, &fields, &body, &why)) goto end ;
  for (size_t i = 0 ; i < genalloc_len(dkim_field, &fields) ; i++)
  {
    dkim_field const *f = genalloc_s(dkim_field, &fields) + i ;
    if (!dkim_field_is(msg, f, "dkim-signature", 14) || seen++ != which) continue ;
    memset(&sig, 0, sizeof(sig)) ;
    if (!dkim_sig_parse(&sig, msg + f->off, f->len, &why)) break ;
    for (unsigned int k = 0 ; k < sig.nh ; k++) { names[k] = msg + f->off + sig.h[k].off ; lens[k] = sig.h[k].len ; }
    ok = dkim_header_digest(msg, genalloc_s(dkim_field, &fields), genalloc_len(dkim_field, &fields), names, lens, sig.nh, sig.hcanon, msg + f->off, f->len, sig.bstart, sig.bend, digest)
      && dkim_crypto_sign(pkey, alg, digest, out, &outlen)
      && outlen == sig.blen && !memcmp(out, sig.b, outlen) ;
    break ;
  }
 end:
  if (pkey) EVP_PKEY_free(pkey) ;
  genalloc_free(dkim_field, &fields) ;
  free(msg) ;
  return ok ;
}

static void deterministic_tests (void)
{
  CHECK(reproduces("messages/rfc6376-A2-signed.eml", "keys/rfc6376-brisbane.private.pem", 0), "sign_reproduces_rfc6376_a2_b") ;
  CHECK(reproduces("messages/rfc8463-A3-signed.eml", "keys/rfc8032-7.1-test1.ed25519.seed.b64", 0), "sign_reproduces_rfc8463_a3_ed25519_b") ;
  CHECK(reproduces("messages/rfc8463-A3-signed.eml", "keys/dkimpy-test.rsa1024.private.pem", 1), "sign_reproduces_rfc8463_a3_rsa_b") ;
}

static int sig_refused (char const *field, char const *want)
{
  static dkim_sig sig ;
  char const *why = "" ;
  int ok = !dkim_sig_parse(&sig, field, strlen(field), &why) && !strcmp(why, want) ;
  if (!ok) printf("# %s: got \"%s\"\n", field, why) ;
  return ok ;
}

static void sig_tests (void)
{
  static dkim_sig sig ;
  char const *why = "" ;
  char const *good = "DKIM-Signature: v=1; a=rsa-sha256; d=Example.COM; s=sel; i=joe@Sub.example.com; h=From : to; l=12; t=5; x=10; bh=AAAA; b=QUJD\r\n REVG" ;
  CHECK(dkim_sig_parse(&sig, good, strlen(good), &why) && !strcmp(sig.domain, "example.com") && !strcmp(sig.auid_domain, "sub.example.com")
        && sig.nh == 2 && sig.has_l && sig.l == 12 && sig.blen == 6 && !memcmp(sig.b, "ABCDEF", 6) && !strcmp(sig.bprefix, "QUJDREVG"), "sig_parse_fields") ;
  CHECK(sig_refused("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; i=joe@example.org; h=from; bh=AAAA; b=QUJD", "i= is not in d="), "sig_i_outside_d") ;
  CHECK(sig_refused("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; i=joe@badexample.com; h=from; bh=AAAA; b=QUJD", "i= is not in d="), "sig_i_suffix_not_subdomain") ;
  CHECK(sig_refused("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; bh=AAAA; b=QUJD", "h= does not sign From"), "sig_without_from") ;
  CHECK(sig_refused("DKIM-Signature: v=1; a=rsa-sha512; d=example.com; s=sel; h=from; bh=AAAA; b=QUJD", "unknown algorithm"), "sig_unknown_algorithm") ;
  CHECK(sig_refused("DKIM-Signature: v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=QUJD", "unknown signature version"), "sig_version") ;
  CHECK(sig_refused("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; t=10; x=5; bh=AAAA; b=QUJD", "x= before t="), "sig_x_before_t") ;
  CHECK(sig_refused("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; q=http; bh=AAAA; b=QUJD", "q= does not offer dns/txt"), "sig_q_without_dns") ;
  CHECK(sig_refused("DKIM-Signature: v=1; a=rsa-sha256; d=-example.com; s=sel; h=from; bh=AAAA; b=QUJD", "bad d="), "sig_bad_domain") ;
  CHECK(sig_refused("DKIM-Signature: v=1; a=rsa-sha256; c=loose; d=example.com; s=sel; h=from; bh=AAAA; b=QUJD", "bad c="), "sig_bad_canon") ;
  CHECK(sig_refused("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA", "missing b="), "sig_missing_b") ;
  {
    dkim_key k ;
    CHECK(dkim_key_parse(&k, "k=rsa; s=email:*; t=y:s; p=", 27, &why) == 0 && !strcmp(why, "key revoked"), "key_revoked") ;
    CHECK(dkim_key_parse(&k, "p=QUJD; v=DKIM1", 15, &why) == 0 && !strcmp(why, "bad v= in key record"), "key_v_not_first") ;
    CHECK(dkim_key_parse(&k, "v=DKIM1; s=tlsrpt; p=QUJD", 25, &why) == 0 && !strcmp(why, "key not for email"), "key_service_not_email") ;
    CHECK(dkim_key_parse(&k, "v=DKIM1; p=QUJD", 15, &why) == -1, "key_unusable_material_is_fail") ;
  }
}

static void limits_tests (void)
{
  /* more than DKIM_SIGS_MAX signatures: the extra ones are not verified */
  stralloc sa = STRALLOC_ZERO ;
  dkim_result res[12] ;
  unsigned int n = 0 ;
  zone z = { .n = 0 } ;
  for (int i = 0 ; i < 10 ; i++) stralloc_cats(&sa, "DKIM-Signature: v=1; a=rsa-sha256; d=x.test; s=s; h=from; bh=; b=\n") ;
  stralloc_cats(&sa, "From: a@x.test\n\nbody\n") ;
  CHECK(dkim_verify(sa.s, sa.len, &zone_lookup, &z, 0, res, 12, &n) && n == 10 && res[0].result == DKIM_PERMERROR
        && res[7].result == DKIM_PERMERROR && res[8].result == DKIM_POLICY && res[9].result == DKIM_POLICY, "limit_signatures") ;
  sa.len = 0 ;
  for (int i = 0 ; i < DKIM_HEADERS_MAX + 1 ; i++) stralloc_cats(&sa, "X: y\n") ;
  stralloc_cats(&sa, "\nbody\n") ;
  CHECK(dkim_verify(sa.s, sa.len, &zone_lookup, &z, 0, res, 12, &n) && n == 1 && res[0].result == DKIM_NEUTRAL, "limit_header_count") ;
  stralloc_free(&sa) ;
}

static void cache_tests (void)
{
  static dkim_dns d ;
  stralloc sa = STRALLOC_ZERO ;
  stralloc txt = STRALLOC_ZERO ;
  dkim_dns_init(&d, 0, 1000) ;
  dkim_cache_put(&d, "a._domainkey.x.test", 1, "v=DKIM1; p=\0", 12, 1000, 30) ;
  CHECK(dkim_cache_get(&d, "a._domainkey.x.test", 1029, &sa) == 1 && sa.len == 12, "cache_hit_within_ttl") ;
  CHECK(dkim_cache_get(&d, "a._domainkey.x.test", 1030, &sa) == -2, "cache_expires_at_ttl") ;
  CHECK(dkim_txt_join("\3abc\2de", 7, &txt) && txt.len == 5 && !memcmp(txt.s, "abcde", 5), "txt_strings_joined") ;
  CHECK(!dkim_txt_join("\5ab", 3, &txt), "txt_truncated_refused") ;
  stralloc_free(&sa) ;
  stralloc_free(&txt) ;
}

/* --- keys decoded without OpenSSL's decoders: the same key as theirs --- */

/* text of a PEM written by OpenSSL, PKCS#8 when pkcs8 */
static int pem_of (EVP_PKEY *k, int pkcs8, stralloc *sa)
{
  BIO *b = BIO_new(BIO_s_mem()) ;
  char *p ;
  long n ;
  int ok ;
  if (!b) return 0 ;
  ok = pkcs8 ? PEM_write_bio_PKCS8PrivateKey(b, k, 0, 0, 0, 0, 0) : PEM_write_bio_PrivateKey_traditional(b, k, 0, 0, 0, 0, 0) ;
  n = BIO_get_mem_data(b, &p) ;
  ok = ok && n > 0 && stralloc_copyb(sa, p, (size_t)n) ;
  BIO_free(b) ;
  return ok ;
}

static int same_as_openssl (char const *s, size_t len)
{
  int alg = 0, ok ;
  EVP_PKEY *ours = dkim_privkey_parse(s, len, &alg), *theirs ;
  BIO *b = BIO_new_mem_buf(s, (int)len) ;
  theirs = b ? PEM_read_bio_PrivateKey(b, 0, 0, 0) : 0 ;
  ok = ours && theirs && EVP_PKEY_eq(ours, theirs) == 1 ;
  if (ours && theirs)
  {
    /* the private halves too: the same DER */
    unsigned char *d1 = 0, *d2 = 0 ;
    int l1 = i2d_PrivateKey(ours, &d1), l2 = i2d_PrivateKey(theirs, &d2) ;
    ok = ok && l1 > 0 && l1 == l2 && !memcmp(d1, d2, (size_t)l1) ;
    OPENSSL_free(d1) ;
    OPENSSL_free(d2) ;
  }
  EVP_PKEY_free(ours) ;
  EVP_PKEY_free(theirs) ;
  BIO_free(b) ;
  return ok ;
}

/* the key record of k, its SubjectPublicKeyInfo with extra bytes
 * appended inside (trail) */
static int record_of (EVP_PKEY *k, stralloc *rec, size_t trail)
{
  unsigned char *der = 0 ;
  int n = i2d_PUBKEY(k, &der) ;
  unsigned char buf[1024] ;
  int ok ;
  if (n <= 0 || (size_t)n + trail > sizeof(buf)) return 0 ;
  memcpy(buf, der, (size_t)n) ;
  memset(buf + n, 0, trail) ;
  OPENSSL_free(der) ;
  rec->len = 0 ;
  ok = stralloc_cats(rec, "v=DKIM1; p=") && dkim_b64_encode(rec, buf, (size_t)n + trail) ;
  return ok ;
}

static void keyform_tests (void)
{
  static stralloc pem = STRALLOC_ZERO, rec = STRALLOC_ZERO ;
  int alg = 0 ;
  EVP_PKEY *rsa = load_key("keys/rfc6376-brisbane.private.pem", &alg) ;
  EVP_PKEY *ed = load_key("keys/dkimpy-ed25519test.seed.b64", &alg) ;
  dkim_key k ;
  char const *why = 0 ;
  CHECK(rsa && ed, "keyform_keys_read") ;
  if (!rsa || !ed) return ;
  CHECK(pem_of(rsa, 0, &pem) && strstr(pem.s, "BEGIN RSA PRIVATE KEY") && same_as_openssl(pem.s, pem.len), "keyform_rsa_pkcs1_as_openssl") ;
  CHECK(pem_of(rsa, 1, &pem) && strstr(pem.s, "BEGIN PRIVATE KEY") && same_as_openssl(pem.s, pem.len), "keyform_rsa_pkcs8_as_openssl") ;
  CHECK(pem_of(ed, 1, &pem) && pem.len > 10 && same_as_openssl(pem.s, pem.len), "keyform_ed25519_pkcs8_as_openssl") ;
  {
    /* text before the block: left to OpenSSL, which reads it */
    static stralloc t = STRALLOC_ZERO ;
    CHECK(pem_of(ed, 1, &pem) && stralloc_copys(&t, "a comment\n") && stralloc_catb(&t, pem.s, pem.len) && same_as_openssl(t.s, t.len), "keyform_text_before_block") ;
  }
  CHECK(record_of(rsa, &rec, 0) && dkim_key_parse(&k, rec.s, rec.len, &why) == 1 && EVP_PKEY_eq(k.pkey, rsa) == 1 && k.bits == 1024, "keyform_spki_record_as_openssl") ;
  if (k.pkey) dkim_key_free(&k) ;
  k.pkey = 0 ;
  CHECK(record_of(rsa, &rec, 1) && dkim_key_parse(&k, rec.s, rec.len, &why) == -1 && !k.pkey, "keyform_spki_trailing_byte_refused") ;
  EVP_PKEY_free(rsa) ;
  EVP_PKEY_free(ed) ;
}

int main (void)
{
  vdir = getenv("PH_DKIM_VECTORS") ;
  if (!vdir) vdir = "/work/shared/conformance/dkim" ;
  canon_tests() ;
  tag_tests() ;
  b64_tests() ;
  vector_tests() ;
  sign_tests() ;
  deterministic_tests() ;
  sig_tests() ;
  limits_tests() ;
  cache_tests() ;
  keyform_tests() ;
  return check_done() ;
}
