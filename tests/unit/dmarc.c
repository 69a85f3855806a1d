/* ISC license. */

/* common/dmarc against every case of /work/shared/conformance/dmarc/
 * ($PH_DMARC_VECTORS): record parsing, alignment, organizational
 * domains, From extraction, discovery and evaluation, one PASS/FAIL
 * line per case. Where the cases follow OpenDMARC against RFC 7489's
 * text, the RFC's reading is tested instead and the line says so
 * (docs/dmarc.md, "Choices"). Then a few cases of our own: the report
 * line, sampling, several From fields.
 *
 * The JSON is read with a small reader of its own (test code: trusted
 * input, generous fixed bounds). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "common/dmarc.h"
#include "common/psl.h"
#include "tests/unit/check.h"

/* ---- a JSON reader: values in one array, children linked */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } ;
typedef struct jv_s jv ;
struct jv_s
{
  int type ;
  char *s ;          /* J_STR text, J_OBJ member key (on the member) */
  char *key ;
  double num ;
  int b ;
  int first ;        /* first child, -1 */
  int next ;         /* next sibling, -1 */
} ;
static jv J[20000] ;
static int nj = 0 ;
static char const *jp ;

static void jws (void) { while (*jp == ' ' || *jp == '\n' || *jp == '\t' || *jp == '\r') jp++ ; }

static void utf8 (stralloc *sa, unsigned long c)
{
  char b[4] ;
  size_t n ;
  if (c < 0x80) { b[0] = c ; n = 1 ; }
  else if (c < 0x800) { b[0] = 0xc0 | (c >> 6) ; b[1] = 0x80 | (c & 0x3f) ; n = 2 ; }
  else { b[0] = 0xe0 | (c >> 12) ; b[1] = 0x80 | ((c >> 6) & 0x3f) ; b[2] = 0x80 | (c & 0x3f) ; n = 3 ; }
  stralloc_catb(sa, b, n) ;
}

static char *jstr (void)
{
  stralloc sa = STRALLOC_ZERO ;
  jp++ ;
  while (*jp && *jp != '"')
  {
    if (*jp == '\\')
    {
      jp++ ;
      switch (*jp)
      {
        case 'n' : stralloc_catb(&sa, "\n", 1) ; break ;
        case 't' : stralloc_catb(&sa, "\t", 1) ; break ;
        case 'r' : stralloc_catb(&sa, "\r", 1) ; break ;
        case 'b' : stralloc_catb(&sa, "\b", 1) ; break ;
        case 'f' : stralloc_catb(&sa, "\f", 1) ; break ;
        case 'u' : { char h[5] = { jp[1], jp[2], jp[3], jp[4], 0 } ; utf8(&sa, strtoul(h, 0, 16)) ; jp += 4 ; break ; }
        default : stralloc_catb(&sa, jp, 1) ; break ;
      }
      jp++ ;
    }
    else stralloc_catb(&sa, jp++, 1) ;
  }
  if (*jp == '"') jp++ ;
  stralloc_0(&sa) ;
  return sa.s ;
}

static int jval (void)
{
  int me ;
  jws() ;
  if (nj >= (int)(sizeof(J) / sizeof(J[0]))) { fprintf(stderr, "json too big\n") ; exit(111) ; }
  me = nj++ ;
  memset(J + me, 0, sizeof(jv)) ;
  J[me].first = J[me].next = -1 ;
  if (*jp == '"') { J[me].type = J_STR ; J[me].s = jstr() ; }
  else if (*jp == '{' || *jp == '[')
  {
    int obj = *jp == '{', last = -1 ;
    J[me].type = obj ? J_OBJ : J_ARR ;
    jp++ ;
    for (;;)
    {
      char *key = 0 ;
      int c ;
      jws() ;
      if (*jp == (obj ? '}' : ']')) { jp++ ; break ; }
      if (*jp == ',') { jp++ ; continue ; }
      if (!*jp) break ;
      if (obj) { key = jstr() ; jws() ; if (*jp == ':') jp++ ; }
      c = jval() ;
      J[c].key = key ;
      if (last < 0) J[me].first = c ; else J[last].next = c ;
      last = c ;
    }
  }
  else if (!strncmp(jp, "true", 4)) { J[me].type = J_BOOL ; J[me].b = 1 ; jp += 4 ; }
  else if (!strncmp(jp, "false", 5)) { J[me].type = J_BOOL ; jp += 5 ; }
  else if (!strncmp(jp, "null", 4)) { J[me].type = J_NULL ; jp += 4 ; }
  else { char *e ; J[me].type = J_NUM ; J[me].num = strtod(jp, &e) ; jp = e ; }
  return me ;
}

static int jget (int o, char const *key)
{
  if (o < 0 || J[o].type != J_OBJ) return -1 ;
  for (int c = J[o].first ; c >= 0 ; c = J[c].next) if (!strcmp(J[c].key, key)) return c ;
  return -1 ;
}
static char const *jgets (int o, char const *key)
{
  int c = jget(o, key) ;
  return c >= 0 && J[c].type == J_STR ? J[c].s : 0 ;
}

static char *texts[4] ;   /* kept reachable for LeakSanitizer */
static unsigned int ntexts = 0 ;

static int load (char const *dir, char const *file)
{
  char path[1024] ;
  stralloc sa = STRALLOC_ZERO ;
  FILE *f ;
  char buf[4096] ;
  size_t n ;
  snprintf(path, sizeof(path), "%s/%s", dir, file) ;
  f = fopen(path, "r") ;
  if (!f) return -1 ;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) stralloc_catb(&sa, buf, n) ;
  fclose(f) ;
  stralloc_0(&sa) ;
  if (ntexts < 4) texts[ntexts++] = sa.s ;
  jp = sa.s ;
  return jval() ;
}

/* ---- the DNS of a case: {name: [txt, ...] or "SERVFAIL"} */

static int dnsobj = -1 ;

static int fake_lookup (void *ctx, char const *name, stralloc *records, char const **why)
{
  int v = jget(dnsobj, name) ;
  int n = 0 ;
  (void)ctx ;
  if (v < 0) return 0 ;
  if (J[v].type == J_STR) { *why = "SERVFAIL" ; return -1 ; }
  for (int c = J[v].first ; c >= 0 ; c = J[c].next)
  {
    stralloc_cats(records, J[c].s) ;
    stralloc_0(records) ;
    n++ ;
  }
  return n ;
}

/* ---- record-parse.json */

typedef struct override_s override ;
struct override_s
{
  char const *record ;
  int valid ;
  char const *ignored ;     /* the tag whose value is ignored, or 0 */
  char const *why ;
} ;

/* Where the table follows OpenDMARC's "bad value" status and RFC 7489
 * §6.3 says "Syntax errors in the remainder of the record SHOULD be
 * discarded in favor of default values": the record stays usable. And
 * p=n, which only OpenDMARC's first-letter match accepts. */
static override const overrides[] =
{
  { "v=DMARC1; p=n;", 0, 0, "RFC 7489 §6.4 ABNF: p is none/quarantine/reject; no rua= to fall back on (§6.6.3)" },
  { "v=DMARC1; p=none; adkim=bob;", 1, "adkim", "RFC 7489 §6.3: an invalid adkim= falls back to r" },
  { "v=DMARC1; p=none; aspf=bob;", 1, "aspf", "RFC 7489 §6.3: an invalid aspf= falls back to r" },
  { "v=DMARC1; p=none; rf=bob;", 1, 0, "RFC 7489 §6.3 rf: an unknown format is ignored" },
  { "v=DMARC1; p=none; ri=bob;", 1, "ri", "RFC 7489 §6.3: an invalid ri= falls back to 86400" },
  { "v=DMARC1; p=none; pct=500;", 1, "pct", "RFC 7489 §6.3: pct= out of 0..100 falls back to 100" },
  { "v=DMARC1; p=none; rf=000000000000000000000000000000000", 1, 0, "RFC 7489 §6.3 rf: an unknown format is ignored" },
} ;

static int polword (char const *w)
{
  if (!w) return -1 ;
  if (!strcmp(w, "none")) return DMARC_P_NONE ;
  if (!strcmp(w, "quarantine")) return DMARC_P_QUARANTINE ;
  if (!strcmp(w, "reject")) return DMARC_P_REJECT ;
  return -2 ;
}

static int uris_match (int list, dmarc_uri const *u, unsigned int n)
{
  unsigned int i = 0 ;
  for (int c = J[list].first ; c >= 0 ; c = J[c].next, i++)
  {
    if (i >= n) return 0 ;
    if (J[c].type == J_STR)
    {
      if (strcmp(J[c].s, u[i].uri) || u[i].has_size) return 0 ;
    }
    else
    {
      char const *unit = jgets(c, "unit") ;
      int ms = jget(c, "max_size") ;
      if (strcmp(jgets(c, "uri"), u[i].uri) || !u[i].has_size || ms < 0 || (double)u[i].size != J[ms].num) return 0 ;
      if ((unit ? unit[0] : 0) != u[i].unit) return 0 ;
    }
  }
  return i == n ;
}

static int expect_match (int ex, dmarc_record const *r)
{
  int c ;
  int p = polword(jgets(ex, "p")) ;
  if (p != -1 && p != r->p) return 0 ;
  p = polword(jgets(ex, "sp")) ;
  if (p != -1 && p != (r->sp ? r->sp : r->p)) return 0 ;
  if (jgets(ex, "adkim") && (jgets(ex, "adkim")[0] == 's') != r->adkim_strict) return 0 ;
  if (jgets(ex, "aspf") && (jgets(ex, "aspf")[0] == 's') != r->aspf_strict) return 0 ;
  if ((c = jget(ex, "pct")) >= 0 && J[c].num != r->pct) return 0 ;
  if ((c = jget(ex, "ri")) >= 0 && J[c].num != r->ri) return 0 ;
  if ((c = jget(ex, "rua")) >= 0 && !uris_match(c, r->rua, r->nrua)) return 0 ;
  if ((c = jget(ex, "ruf")) >= 0 && !uris_match(c, r->ruf, r->nruf)) return 0 ;
  if ((c = jget(ex, "fo")) >= 0)
  {
    unsigned int fo = 0 ;
    for (int k = J[c].first ; k >= 0 ; k = J[k].next)
      fo |= J[k].s[0] == '0' ? DMARC_FO_0 : J[k].s[0] == '1' ? DMARC_FO_1 : J[k].s[0] == 'd' ? DMARC_FO_D : DMARC_FO_S ;
    if (fo != r->fo) return 0 ;
  }
  if ((c = jget(ex, "rf")) >= 0)
  {
    int afrf = 0 ;
    for (int k = J[c].first ; k >= 0 ; k = J[k].next) if (!strcmp(J[k].s, "afrf")) afrf = 1 ;
    if (afrf != r->rf_afrf) return 0 ;
  }
  return 1 ;
}

static void record_cases (int root)
{
  int i = 0 ;
  for (int c = J[jget(root, "cases")].first ; c >= 0 ; c = J[c].next, i++)
  {
    char const *rec = jgets(c, "record") ;
    int want = J[jget(c, "valid")].b ;
    override const *o = 0 ;
    dmarc_record r ;
    char const *why = 0 ;
    int got ;
    char name[600] ;
    for (size_t k = 0 ; k < sizeof(overrides) / sizeof(overrides[0]) ; k++)
      if (!strcmp(overrides[k].record, rec)) o = overrides + k ;
    got = dmarc_record_parse(&r, rec, strlen(rec), &why) ;
    if (o)
    {
      snprintf(name, sizeof(name), "record-parse[%d] %s: %s (table: %s; %s)", i, rec, o->valid ? "valid" : "invalid", want ? "valid" : "invalid", o->why) ;
      CHECK((got == 1) == o->valid && (!o->valid || (o->ignored ? r.ignored && !strcmp(r.ignored, o->ignored) : !r.ignored)), name) ;
      continue ;
    }
    snprintf(name, sizeof(name), "record-parse[%d] %s: %s", i, rec, want ? "valid" : "invalid") ;
    if (jget(c, "expect") >= 0) CHECK(got == 1 && expect_match(jget(c, "expect"), &r), name) ;
    else CHECK((got == 1) == want, name) ;
    if ((got == 1) != want && why) printf("  why: %s\n", why) ;
  }
  {
    dmarc_record r ;
    char const *why ;
    int ok = dmarc_record_parse(&r, "v=DMARC1; p=quarantine", 22, &why) == 1 ;
    CHECK(ok && !r.sp && r.pct == 100 && r.ri == 86400 && r.fo == DMARC_FO_0 && r.rf_afrf && !r.adkim_strict && !r.aspf_strict && !r.nrua,
      "record-parse defaults_when_tag_absent: adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400, sp as p") ;
  }
}

/* ---- alignment-and-domains.json */

static void domain_cases (int root)
{
  int i = 0 ;
  char name[600] ;
  for (int c = J[jget(root, "alignment")].first ; c >= 0 ; c = J[c].next, i++)
  {
    char const *a = jgets(c, "domain_a"), *b = jgets(c, "domain_b") ;
    int strict = !strcmp(jgets(c, "mode"), "strict") ;
    int want = J[jget(c, "aligned")].b ;
    snprintf(name, sizeof(name), "alignment[%d] %s %s %s: %s", i, a, b, jgets(c, "mode"), want ? "aligned" : "not aligned") ;
    CHECK(dmarc_aligned(a, b, strict) == want, name) ;
  }
  i = 0 ;
  for (int c = J[jget(root, "org_domain")].first ; c >= 0 ; c = J[c].next, i++)
  {
    char out[PSL_NAME_MAX + 1] ;
    char const *d = jgets(c, "domain"), *want = jgets(c, "org_domain") ;
    if (!d || !want) { CHECK(!"malformed case", "org_domain case") ; continue ; }
    snprintf(name, sizeof(name), "org_domain[%d] %s -> %s", i, d, want) ;
    CHECK(psl_org_domain(d, out) == 1 && !strcmp(out, want), name) ;
  }
  i = 0 ;
  for (int c = J[jget(root, "from_domain_extraction")].first ; c >= 0 ; c = J[c].next, i++)
  {
    char all[DMARC_FROM_DOMAINS_MAX][DNS_NAME_MAX + 1] ;
    unsigned int nall = 0 ;
    char const *v = jgets(c, "from_value"), *want = jgets(c, "domain") ;
    unsigned int naddr = dmarc_from_value(v, strlen(v), all, DMARC_FROM_DOMAINS_MAX, &nall) ;
    if (jgets(c, "note"))
    {
      /* several addresses: we keep every domain and evaluate each (§6.6.1) */
      snprintf(name, sizeof(name), "from_domain_extraction[%d] %s -> %s first, then ace.com (each evaluated, the strictest outcome kept)", i, v, want) ;
      CHECK(naddr == 2 && nall == 2 && !strcmp(all[0], want) && !strcmp(all[1], "ace.com"), name) ;
    }
    else
    {
      snprintf(name, sizeof(name), "from_domain_extraction[%d] %s -> %s", i, v, want) ;
      CHECK(naddr == 1 && nall == 1 && !strcmp(all[0], want), name) ;
    }
  }
}

/* ---- policy-eval.json */

typedef struct lookexp_s lookexp ;
struct lookexp_s
{
  char const *domain ;
  int status ;
  char const *policy_domain ;
  int at_org ;
} ;
/* the "expect" texts of the lookup cases, as results */
static lookexp const lookexps[] =
{
  { "simple.example", DMARC_PASS, "simple.example", 0 },
  { "one.example", DMARC_PASS, "one.example", 0 },
  { "absent.example", DMARC_NONE, "", 0 },
  { "multiple.example", DMARC_NONE, "", 0 },
  { "malformed.example", DMARC_PERMERROR, "malformed.example", 0 },
  { "temperror.example", DMARC_TEMPERROR, "", 0 },
  { "sub.example.com", DMARC_PASS, "example.com", 1 },
} ;

static int authword (char const *w)
{
  if (!w) return DMARC_AUTH_OTHER ;
  if (!strcmp(w, "pass")) return DMARC_AUTH_PASS ;
  if (!strcmp(w, "temperror")) return DMARC_AUTH_TEMPERROR ;
  return DMARC_AUTH_OTHER ;
}

static void policy_cases (int root)
{
  int look = jget(root, "lookup"), ev = jget(root, "evaluate"), i = 0 ;
  char name[800] ;
  dnsobj = jget(look, "dns_txt") ;
  for (int c = J[jget(look, "cases")].first ; c >= 0 ; c = J[c].next, i++)
  {
    char const *d = jgets(c, "query_domain") ;
    lookexp const *x = 0 ;
    dmarc_lookup l ;
    for (size_t k = 0 ; k < sizeof(lookexps) / sizeof(lookexps[0]) ; k++) if (!strcmp(lookexps[k].domain, d)) x = lookexps + k ;
    snprintf(name, sizeof(name), "lookup[%d] %s: %s", i, d, jgets(c, "expect")) ;
    if (!x) { CHECK(!"no expectation coded for this case", name) ; continue ; }
    CHECK(dmarc_discover(d, &fake_lookup, 0, &l) && l.status == x->status && !strcmp(l.policy_domain, x->policy_domain) && l.at_org == x->at_org, name) ;
  }
  dnsobj = jget(ev, "dns_txt") ;
  i = 0 ;
  for (int c = J[jget(ev, "cases")].first ; c >= 0 ; c = J[c].next, i++)
  {
    int ex = jget(c, "expect"), spfo = jget(c, "spf") ;
    dmarc_auth spf = { .result = authword(jgets(spfo, "result")), .domain = jgets(spfo, "domain") } ;
    dmarc_auth dkim[8] ;
    unsigned int nd = 0 ;
    dmarc_eval e ;
    char const *wantres = jgets(ex, "dmarc"), *wantpd = jgets(ex, "policy_domain"), *wantdisp = jgets(ex, "disposition") ;
    int ok ;
    for (int k = J[jget(c, "dkim")].first ; k >= 0 && nd < 8 ; k = J[k].next, nd++)
    {
      dkim[nd].result = authword(jgets(k, "result")) ;
      dkim[nd].domain = jgets(k, "d") ;
    }
    snprintf(name, sizeof(name), "evaluate[%d] %s: dmarc=%s policy_domain=%s disposition=%s%s (%s)", i, jgets(c, "from_domain"), wantres, wantpd ? wantpd : "-", wantdisp,
      !strcmp(wantdisp, "none-or-defer") ? " (we deliver; PH_AUTH_DEFER_TEMPERROR=1 defers)" : "", jgets(c, "note")) ;
    ok = dmarc_evaluate(jgets(c, "from_domain"), &spf, dkim, nd, 50, &fake_lookup, 0, &e) ;
    ok = ok && !strcmp(dmarc_result_str(e.result), wantres)
      && !strcmp(e.lookup.policy_domain, wantpd ? wantpd : "")
      && !strcmp(dmarc_policy_str(e.disposition), !strcmp(wantdisp, "none-or-defer") ? "none" : wantdisp) ;
    CHECK(ok, name) ;
    if (!ok) printf("  got dmarc=%s policy_domain=%s disposition=%s why=%s\n", dmarc_result_str(e.result), e.lookup.policy_domain, dmarc_policy_str(e.disposition), e.why ? e.why : "") ;
  }
}

/* ---- our own */

static void own_cases (void)
{
  static char const msg[] =
    "Received: from x\n"
    "From: a@one.example\n"
    "Subject: two authors\n"
    "From: \"B\" <b@Two.Example>, c@one.example\n"
    "Message-ID: <m1@one.example>\n"
    "\n"
    "body\n" ;
  char d[DMARC_FROM_DOMAINS_MAX][DNS_NAME_MAX + 1] ;
  unsigned int nfrom ;
  unsigned int n = dmarc_from_domains(msg, sizeof(msg) - 1, d, DMARC_FROM_DOMAINS_MAX, &nfrom) ;
  CHECK(n == 2 && nfrom == 2 && !strcmp(d[0], "one.example") && !strcmp(d[1], "two.example"), "own: two From fields give both author domains, once each") ;
  {
    char all[DMARC_FROM_DOMAINS_MAX][DNS_NAME_MAX + 1] ;
    unsigned int nall = 0 ;
    static char const v[] = "\"ceo@bank.test\" <x@evil.test>" ;
    static char const w[] = "<x@evil.test> ceo@bank.test" ;
    CHECK(dmarc_from_value(v, sizeof(v) - 1, all, DMARC_FROM_DOMAINS_MAX, &nall) == 1 && nall == 1 && !strcmp(all[0], "evil.test"), "own: an address in the quoted display name is not the author") ;
    nall = 0 ;
    CHECK(dmarc_from_value(w, sizeof(w) - 1, all, DMARC_FROM_DOMAINS_MAX, &nall) == 1 && nall == 2 && !strcmp(all[0], "evil.test") && !strcmp(all[1], "bank.test"), "own: a malformed part with two addresses yields both domains") ;
  }
  {
    uint32_t s1 = dmarc_sample(msg, sizeof(msg) - 1), s2 = dmarc_sample(msg, sizeof(msg) - 1) ;
    CHECK(s1 < 100 && s1 == s2, "own: the pct sample is the same for the same message") ;
    setenv("PH_DMARC_SAMPLE", "7", 1) ;
    CHECK(dmarc_sample(msg, sizeof(msg) - 1) == 7, "own: PH_DMARC_SAMPLE sets the sample") ;
    unsetenv("PH_DMARC_SAMPLE") ;
  }
  {
    dmarc_eval e ;
    dmarc_auth spf = { .result = DMARC_AUTH_OTHER, .domain = "x.example" } ;
    static char const *dd[] = { "reject.example" }, *ds[] = { "sel" }, *dr[] = { "fail" } ;
    dmarc_report rep = { .now = 86400 * 365, .qid = "Q1", .ip = "192.0.2.1", .envelope_from = "x.example", .spf_domain = "x.example", .spf_scope = "mfrom", .spf_result = "softfail",
      .dkim_domain = dd, .dkim_selector = ds, .dkim_result = dr, .ndkim = 1, .eval = &e, .from_domain = "test.example" } ;
    stralloc sa = STRALLOC_ZERO ;
    char const *want = "v1 time=31536000 qid=Q1 ip=192.0.2.1 header_from=test.example envelope_from=x.example spf_domain=x.example spf_scope=mfrom spf=softfail dkim=reject.example:sel:fail policy_domain=test.example p=reject sp=reject adkim=r aspf=r pct=0 dmarc=fail dkim_aligned=fail spf_aligned=fail disposition=quarantine reason=sampled_out\n" ;
    {
      /* the evaluate table's test.example: p=reject; pct=0 */
      static char json[] = "{\"_dmarc.test.example\": [\"v=DMARC1; p=reject; pct=0\"]}" ;
      jp = json ;
      dnsobj = jval() ;
    }
    CHECK(dmarc_evaluate("test.example", &spf, 0, 0, 99, &fake_lookup, 0, &e) && e.result == DMARC_FAIL && e.sampled_out && e.disposition == DMARC_P_QUARANTINE, "own: p=reject pct=0 fails as quarantine, sampled out") ;
    {
      static char json2[] = "{\"_dmarc.org.example\": [\"v=DMARC1; p=none; sp=quarantine; np=reject\"]}" ;
      dmarc_eval f ;
      jp = json2 ;
      dnsobj = jval() ;
      CHECK(dmarc_evaluate("ghost.org.example", &spf, 0, 0, 50, &fake_lookup, 0, &f) && f.result == DMARC_FAIL && f.disposition == DMARC_P_QUARANTINE && !f.np_applied, "own: a subdomain fails with sp=") ;
      dmarc_apply_np(&f, 50) ;
      CHECK(f.np_applied && f.policy == DMARC_P_REJECT && f.disposition == DMARC_P_REJECT, "own: np= for a From domain that does not exist (RFC 9091)") ;
      CHECK(dmarc_evaluate("org.example", &spf, 0, 0, 50, &fake_lookup, 0, &f) && f.disposition == DMARC_P_NONE, "own: the organizational domain itself gets p=") ;
      dmarc_apply_np(&f, 50) ;
      CHECK(!f.np_applied && f.disposition == DMARC_P_NONE, "own: np= never applies to the organizational domain itself") ;
    }
    CHECK(dmarc_report_line(&sa, &rep) && sa.len == strlen(want) && !memcmp(sa.s, want, sa.len), "own: the report line (docs/dmarc.md)") ;
    if (sa.len) printf("  %.*s", (int)sa.len, sa.s) ;
    stralloc_free(&sa) ;
  }
}

int main (void)
{
  char const *dir = getenv("PH_DMARC_VECTORS") ;
  int r ;
  if (!dir) dir = "/work/shared/conformance/dmarc" ;
  r = load(dir, "record-parse.json") ;
  CHECK(r >= 0, "read record-parse.json") ;
  if (r >= 0) record_cases(r) ;
  r = load(dir, "alignment-and-domains.json") ;
  CHECK(r >= 0, "read alignment-and-domains.json") ;
  if (r >= 0) domain_cases(r) ;
  r = load(dir, "policy-eval.json") ;
  CHECK(r >= 0, "read policy-eval.json") ;
  if (r >= 0) policy_cases(r) ;
  own_cases() ;
  return check_done() ;
}
