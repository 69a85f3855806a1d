/* ISC license. */

/* dkimsign -b KEYFILE: signs and then verifies the message on stdin
 * over and over for PH_DKIM_BENCH_SECONDS (default 3) each, with the
 * key's public half served from memory (no DNS), and prints
 * "sign_per_s=<n> verify_per_s=<n> sign_cold_per_s=<n>
 * verify_cold_per_s=<n>" (tests/bench/run dkim). The first two keep
 * the parsed keys, as `openssl speed` does; the cold ones parse the key
 * for every message, as the signing service and policyd-filter (one
 * process per message) must: the private key file's text, or a key
 * record that differs each time (its n= tag) so that the verifier's
 * cache of parsed records never answers. Time is the process's CPU
 * time, as `openssl speed` counts it by default, so that both measures
 * mean the same on a loaded machine. */

#include <string.h>
#include <time.h>
#include <errno.h>

#include <openssl/evp.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/dkim.h"
#include "dkimsign.h"

static double now (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) ;
  return (double)ts.tv_sec + ts.tv_nsec / 1e9 ;
}

static int lookup (void *ctx, char const *name, stralloc *records, char const **why)
{
  stralloc const *rec = ctx ;
  (void)name ; (void)why ;
  return stralloc_catb(records, rec->s, rec->len) ? 1 : -1 ;
}

/* the record with "; n=<count>" added: a text the cache has not seen */
static uint64_t cold_count = 0 ;
static int lookup_cold (void *ctx, char const *name, stralloc *records, char const **why)
{
  stralloc const *rec = ctx ;
  char fmt[UINT64_FMT] ;
  (void)name ; (void)why ;
  return stralloc_catb(records, rec->s, rec->len - 1)
    && stralloc_cats(records, "; n=")
    && stralloc_catb(records, fmt, uint64_fmt(fmt, cold_count++))
    && stralloc_0(records) ? 1 : -1 ;
}

static void put_rate (stralloc *out, char const *name, uint64_t n, double t)
{
  char fmt[UINT64_FMT] ;
  if (!stralloc_cats(out, name) || !stralloc_catb(out, fmt, uint64_fmt(fmt, (uint64_t)(n / t)))) strerr_diefu1sys(111, "allocate memory") ;
}

int ds_bench (char const *keyfile)
{
  static stralloc msg = STRALLOC_ZERO, key = STRALLOC_ZERO, rec = STRALLOC_ZERO, signed_ = STRALLOC_ZERO ;
  tain deadline ;
  uint64_t seconds = 3, nsign = 0, nverify = 0, nsigncold = 0, nverifycold = 0 ;
  double t0, tsign, tverify, tsigncold, tverifycold ;
  int alg = 0 ;
  EVP_PKEY *pkey ;
  config_load() ;
  if (!config_get_uint("PH_DKIM_BENCH_SECONDS", 3, &seconds) || !seconds || seconds > 600) strerr_dief1x(100, "bad PH_DKIM_BENCH_SECONDS") ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, 60) ;
  ndelay_on(0) ;
  if (!ds_read_all(0, &msg, DS_MSG_MAX, &deadline)) strerr_diefu1sys(111, "read the message") ;
  if (!openslurpclose(&key, keyfile)) strerr_diefu2sys(111, "read ", keyfile) ;
  pkey = dkim_privkey_parse(key.s, key.len, &alg) ;
  if (!pkey) strerr_diefu2x(100, "parse the key in ", keyfile) ;
  if (!stralloc_cats(&rec, alg == DKIM_ALG_ED25519_SHA256 ? "v=DKIM1; k=ed25519; p=" : "v=DKIM1; p=")
   || !dkim_pubkey_b64(&rec, pkey, alg) || !stralloc_0(&rec)) strerr_diefu1sys(111, "encode the public key") ;
  {
    dkim_signkey k = { .pkey = pkey, .alg = alg, .domain = "example.test", .selector = "bench" } ;
    dkim_signopts o = { .hcanon = DKIM_CANON_RELAXED, .bcanon = DKIM_CANON_RELAXED, .t = (uint64_t)time(0), .expire = 0, .auid = 0, .eol = "\n" } ;
    char const *why = 0 ;
    t0 = now() ;
    do
    {
      signed_.len = 0 ;
      if (!dkim_sign(&signed_, msg.s, msg.len, &k, &o, &why)) strerr_diefu2x(111, "sign: ", why) ;
      nsign++ ;
    } while (now() - t0 < (double)seconds) ;
    tsign = now() - t0 ;
    t0 = now() ;
    do
    {
      int a ;
      EVP_PKEY *cold = dkim_privkey_parse(key.s, key.len, &a) ;
      if (!cold) strerr_diefu2x(100, "parse the key in ", keyfile) ;
      k.pkey = cold ;
      signed_.len = 0 ;
      if (!dkim_sign(&signed_, msg.s, msg.len, &k, &o, &why)) strerr_diefu2x(111, "sign: ", why) ;
      EVP_PKEY_free(cold) ;
      nsigncold++ ;
    } while (now() - t0 < (double)seconds) ;
    tsigncold = now() - t0 ;
  }
  if (!stralloc_catb(&signed_, msg.s, msg.len)) strerr_diefu1sys(111, "allocate memory") ;
  t0 = now() ;
  do
  {
    dkim_result r[1] ;
    unsigned int n = 0 ;
    if (!dkim_verify(signed_.s, signed_.len, &lookup, &rec, (uint64_t)time(0), r, 1, &n) || n != 1 || r[0].result != DKIM_PASS)
      strerr_dief1x(111, "the signature does not verify") ;
    nverify++ ;
  } while (now() - t0 < (double)seconds) ;
  tverify = now() - t0 ;
  t0 = now() ;
  do
  {
    dkim_result r[1] ;
    unsigned int n = 0 ;
    if (!dkim_verify(signed_.s, signed_.len, &lookup_cold, &rec, (uint64_t)time(0), r, 1, &n) || n != 1 || r[0].result != DKIM_PASS)
      strerr_dief1x(111, "the signature does not verify") ;
    nverifycold++ ;
  } while (now() - t0 < (double)seconds) ;
  tverifycold = now() - t0 ;
  EVP_PKEY_free(pkey) ;
  {
    static stralloc out = STRALLOC_ZERO ;
    put_rate(&out, "sign_per_s=", nsign, tsign) ;
    put_rate(&out, " verify_per_s=", nverify, tverify) ;
    put_rate(&out, " sign_cold_per_s=", nsigncold, tsigncold) ;
    put_rate(&out, " verify_cold_per_s=", nverifycold, tverifycold) ;
    if (!stralloc_cats(&out, "\n")) strerr_diefu1sys(111, "allocate memory") ;
    if (allwrite(1, out.s, out.len) < out.len) strerr_diefu1sys(111, "write") ;
  }
  return 0 ;
}
