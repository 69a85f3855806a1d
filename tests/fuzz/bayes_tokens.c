/* ISC license. */

/* libFuzzer harness for common/bayes: the tokenizer on an arbitrary
 * message (every token hashed once, sorted, at most BAYES_TOKENS_MAX;
 * URL domains unique, lower-case host names, at most
 * BAYES_DOMAINS_MAX), the combining on a database made from the
 * message's own tokens (a probability in [0, 1]), and, for an input
 * that starts with the magic, the database reader on it as a file
 * image (no read outside it, whatever its records say). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/uint32.h>

#include "common/bayes.h"

static void check_tokens (bayes_tokens const *t)
{
  uint64_t const *h = genalloc_s(uint64_t, &t->hashes) ;
  size_t n = genalloc_len(uint64_t, &t->hashes) ;
  unsigned int nd = 0 ;
  if (n > BAYES_TOKENS_MAX) abort() ;
  for (size_t i = 1 ; i < n ; i++) if (h[i - 1] >= h[i]) abort() ;
  for (size_t p = 0 ; p < t->domains.len ; p += strlen(t->domains.s + p) + 1)
  {
    char const *d = t->domains.s + p ;
    size_t l = strlen(d) ;
    if (!l || l > 253 || !memchr(d, '.', l)) abort() ;
    for (size_t i = 0 ; i < l ; i++)
      if (!((d[i] >= 'a' && d[i] <= 'z') || (d[i] >= '0' && d[i] <= '9') || d[i] == '.' || d[i] == '-' || d[i] == '_')) abort() ;
    for (size_t q = 0 ; q < p ; q += strlen(t->domains.s + q) + 1)
      if (!strcmp(t->domains.s + q, d)) abort() ;
    nd++ ;
  }
  if (nd != t->ndomains || nd > BAYES_DOMAINS_MAX) abort() ;
}

/* a database image of the tokens: every third one spam only, every
 * fifth ham only, the others both */
static void classify_self (bayes_tokens const *t)
{
  static char img[BAYES_HEADER_SIZE + BAYES_TOKENS_MAX * BAYES_RECORD_SIZE] ;
  size_t n = genalloc_len(uint64_t, &t->hashes) ;
  bayes_db db = BAYES_DB_ZERO ;
  bayes_result r ;
  for (size_t i = 0 ; i < n ; i++)
  {
    bayes_record rec = { .hash = genalloc_s(uint64_t, &t->hashes)[i], .spam = i % 5 ? 1 + (uint32_t)(i % 7) : 0, .ham = i % 3 ? (uint32_t)(i % 4) : 0, .day = 1 } ;
    bayes_record_pack(img + BAYES_HEADER_SIZE + i * BAYES_RECORD_SIZE, &rec) ;
  }
  db.map = img ;
  db.maplen = BAYES_HEADER_SIZE + n * BAYES_RECORD_SIZE ;
  db.ntokens = (uint32_t)n ;
  db.nspam = 10 ;
  db.nham = 7 ;
  bayes_classify(&db, t, &r) ;
  if (!(r.prob >= 0 && r.prob <= 1) || r.clues > BAYES_CLUES_MAX) abort() ;
}

static void read_image (uint8_t const *data, size_t size, bayes_tokens const *t)
{
  /* the checks of bayes_db_open, on memory */
  bayes_db db = BAYES_DB_ZERO ;
  bayes_result r ;
  if (size < BAYES_HEADER_SIZE || memcmp(data, BAYES_MAGIC, 8)) return ;
  uint32_unpack((char const *)data + 8, &db.nspam) ;
  uint32_unpack((char const *)data + 12, &db.nham) ;
  uint32_unpack((char const *)data + 16, &db.ntokens) ;
  uint32_unpack((char const *)data + 24, &db.nseen) ;
  if ((uint64_t)BAYES_HEADER_SIZE + (uint64_t)db.ntokens * BAYES_RECORD_SIZE + (uint64_t)db.nseen * BAYES_SEEN_SIZE != size) return ;
  db.map = (char *)data ;
  db.maplen = size ;
  bayes_classify(&db, t, &r) ;
  if (!(r.prob >= 0 && r.prob <= 1)) abort() ;
  {
    int is_spam ;
    size_t idx ;
    bayes_seen_find(&db, bayes_fingerprint(t), &is_spam, &idx) ;
    if (idx > db.nseen) abort() ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  bayes_tokens t = BAYES_TOKENS_ZERO ;
  if (!bayes_tokenize(&t, (char const *)data, size)) abort() ;
  check_tokens(&t) ;
  classify_self(&t) ;
  read_image(data, size, &t) ;
  bayes_tokens_free(&t) ;
  return 0 ;
}
