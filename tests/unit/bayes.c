/* ISC license. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/genalloc.h>

#include "common/bayes.h"
#include "tests/unit/check.h"

static int has (bayes_tokens const *t, char const *prefix, char const *word)
{
  uint64_t h = bayes_hash(prefix, word, strlen(word)) ;
  for (size_t i = 0 ; i < genalloc_len(uint64_t, &t->hashes) ; i++)
    if (genalloc_s(uint64_t, &t->hashes)[i] == h) return 1 ;
  return 0 ;
}

static int has_domain (bayes_tokens const *t, char const *d)
{
  for (size_t p = 0 ; p < t->domains.len ; p += strlen(t->domains.s + p) + 1)
    if (!strcmp(t->domains.s + p, d)) return 1 ;
  return 0 ;
}

static void tokenize (bayes_tokens *t, char const *msg)
{
  if (!bayes_tokenize(t, msg, strlen(msg))) { printf("FAIL tokenize: out of memory\n") ; exit(1) ; }
}

static int learn (char const *path, char const *msg, int spam, uint32_t day, uint32_t max)
{
  bayes_tokens t = BAYES_TOKENS_ZERO ;
  int r ;
  tokenize(&t, msg) ;
  r = bayes_db_learn(path, &t, spam, day, max) ;
  if (!r) { perror("bayes_db_learn") ; exit(1) ; }
  bayes_tokens_free(&t) ;
  return r ;
}

static double classify (char const *path, char const *msg)
{
  bayes_db db ;
  bayes_tokens t = BAYES_TOKENS_ZERO ;
  bayes_result r ;
  if (!bayes_db_open(&db, path)) { perror("bayes_db_open") ; exit(1) ; }
  tokenize(&t, msg) ;
  bayes_classify(&db, &t, &r) ;
  bayes_tokens_free(&t) ;
  bayes_db_close(&db) ;
  return r.prob ;
}

int main (void)
{
  char dir[] = "/tmp/bayes-unit-XXXXXX" ;
  char path[64] ;
  if (!mkdtemp(dir)) { perror("mkdtemp") ; return 111 ; }
  snprintf(path, sizeof(path), "%s/db", dir) ;

  /* math */
  CHECK(bayes_ln(1) == 0, "ln 1") ;
  CHECK(bayes_ln(2.718281828459045) > 0.9999999 && bayes_ln(2.718281828459045) < 1.0000001, "ln e") ;
  CHECK(bayes_exp(-1) > 0.3678794 && bayes_exp(-1) < 0.3678795, "exp -1") ;
  CHECK(bayes_exp(-800) == 0, "exp underflows to 0") ;
  CHECK(bayes_chi2q(0, 10) == 1, "chi2q at 0") ;
  /* chi2 with 2 dof: P(X >= x) = e^-x/2 */
  CHECK(bayes_chi2q(4, 2) > 0.1353352 && bayes_chi2q(4, 2) < 0.1353353, "chi2q 2 dof") ;
  /* chi2 with 4 dof at 4: e^-2 (1 + 2) */
  CHECK(bayes_chi2q(4, 4) > 0.4060058 && bayes_chi2q(4, 4) < 0.4060059, "chi2q 4 dof") ;

  /* tokenizer */
  {
    bayes_tokens t = BAYES_TOKENS_ZERO ;
    tokenize(&t,
      "From: \"Winner\" <lucky@prize.example>\n"
      "To: you@example.test\n"
      "Subject: =?utf-8?B?RlJFRSBtb25leQ==?=\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/alternative; boundary=\"b\"\n"
      "\n"
      "--b\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "Q2xhaW0geW91ciBwcml6ZSBhdCBodHRwOi8vdXNlckBXV1cuQmFkLVNpdGUuRXhhbXBsZS9jbGFpbQ==\n"
      "--b\n"
      "Content-Type: text/html; charset=iso-8859-1\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "<html><body><a href=3D\"https://click.example.org/x\">Caf=E9 offer</a><!-- hidden words --></body></html>\n"
      "--b--\n") ;
    CHECK(has(&t, "subject:", "free"), "token: decoded Subject word, lower-cased") ;
    CHECK(has(&t, "subject:", "money"), "token: second Subject word") ;
    CHECK(!has(&t, "", "free"), "token: Subject words are prefixed") ;
    CHECK(has(&t, "from:", "winner") && has(&t, "from:", "lucky"), "token: From words") ;
    CHECK(has(&t, "to:", "example"), "token: To words") ;
    CHECK(has(&t, "", "claim") && has(&t, "", "prize"), "token: base64 body decoded") ;
    CHECK(has(&t, "", "caf\xc3\xa9"), "token: quoted-printable Latin-1 body converted to UTF-8") ;
    CHECK(has(&t, "", "offer") && !has(&t, "", "href") && !has(&t, "", "hidden"), "token: HTML tags and comments dropped") ;
    CHECK(has_domain(&t, "www.bad-site.example") && has(&t, "url:", "bad-site.example"), "token: URL host after userinfo, and its parent") ;
    CHECK(has_domain(&t, "click.example.org") && t.ndomains == 2, "token: URL in an href; two domains") ;
    CHECK(!has(&t, "", "at"), "token: short words dropped") ;
    bayes_tokens_free(&t) ;
  }
  {
    bayes_tokens t = BAYES_TOKENS_ZERO ;
    char big[9000] ;
    size_t n = 0 ;
    n += (size_t)snprintf(big, sizeof(big), "Subject: x\n\n") ;
    memset(big + n, 'A', 100) ; n += 100 ;
    big[n++] = ' ' ;
    for (unsigned int i = 0 ; i < 1000 && n + 9 < sizeof(big) ; i++) n += (size_t)snprintf(big + n, sizeof(big) - n, "w%05u ", i) ;
    big[n] = 0 ;
    tokenize(&t, big) ;
    CHECK(has(&t, "skip:", "a 100"), "token: an over-long word becomes a skip token") ;
    CHECK(genalloc_len(uint64_t, &t.hashes) == 1001, "token: distinct tokens counted once") ;
    for (size_t i = 1 ; i < genalloc_len(uint64_t, &t.hashes) ; i++)
      if (genalloc_s(uint64_t, &t.hashes)[i - 1] >= genalloc_s(uint64_t, &t.hashes)[i]) { CHECK(0, "token: sorted") ; break ; }
    bayes_tokens_free(&t) ;
  }

  /* user file names */
  {
    char f[64] ;
    CHECK(bayes_user_file(f, sizeof(f), "Demo+x@Example.TEST") && !strcmp(f, "demo+x@example.test"), "user file: lower-cased") ;
    CHECK(bayes_user_file(f, sizeof(f), "../etc/passwd") && !strcmp(f, "%2E.%2Fetc%2Fpasswd"), "user file: no path escapes") ;
    CHECK(!bayes_user_file(f, 8, "a-very-long-user"), "user file: too long refused") ;
    CHECK(!bayes_user_file(f, sizeof(f), ""), "user file: empty refused") ;
  }

  /* database round trip */
  {
    bayes_db db ;
    uint32_t s, h ;
    CHECK(bayes_db_open(&db, path) && !db.ntokens && !db.nspam, "db: missing file is empty") ;
    bayes_db_close(&db) ;
    learn(path, "Subject: cheap pills\n\ncheap pills online now\n", 1, 100, 0) ;
    learn(path, "Subject: cheap flights\n\nmeeting about flights\n", 0, 101, 0) ;
    CHECK(bayes_db_open(&db, path), "db: reopened") ;
    CHECK(db.nspam == 1 && db.nham == 1 && db.day == 101, "db: message counts and day") ;
    /* subject:cheap subject:pills cheap pills online now, then
     * subject:flights meeting about flights (subject:cheap shared) */
    CHECK(db.ntokens == 10, "db: token count of two messages sharing one token") ;
    CHECK(bayes_db_find(&db, bayes_hash("subject:", "cheap", 5), &s, &h) && s == 1 && h == 1, "db: shared token counted both ways") ;
    CHECK(bayes_db_find(&db, bayes_hash("", "pills", 5), &s, &h) && s == 1 && h == 0, "db: spam-only token") ;
    CHECK(!bayes_db_find(&db, bayes_hash("", "absent", 6), &s, &h) && !s && !h, "db: absent token") ;
    bayes_db_close(&db) ;
  }
  /* the same message again, then the other way */
  {
    bayes_db db ;
    uint32_t s, h ;
    struct stat st1, st2 ;
    stat(path, &st1) ;
    CHECK(learn(path, "Subject: cheap pills\n\ncheap pills online now\n", 1, 102, 0) == BAYES_LEARN_ALREADY, "db: same message, same verdict: already learned") ;
    stat(path, &st2) ;
    CHECK(st1.st_ino == st2.st_ino, "db: already learned: the file is not rewritten") ;
    CHECK(learn(path, "Subject: cheap pills\n\ncheap pills online now\n", 0, 103, 0) == BAYES_LEARN_RELEARNED, "db: same message, other verdict: relearned") ;
    CHECK(bayes_db_open(&db, path) && db.nspam == 0 && db.nham == 2 && db.nseen == 2, "db: relearning moves the message count") ;
    CHECK(bayes_db_find(&db, bayes_hash("", "pills", 5), &s, &h) && s == 0 && h == 1, "db: relearning moves the token counts") ;
    CHECK(bayes_db_find(&db, bayes_hash("subject:", "cheap", 5), &s, &h) && s == 0 && h == 2, "db: a shared token keeps the other message's count") ;
    bayes_db_close(&db) ;
    CHECK(learn(path, "Subject: cheap pills\n\ncheap pills online now\n", 1, 104, 0) == BAYES_LEARN_RELEARNED, "db: and back") ;
    CHECK(bayes_db_open(&db, path) && db.nspam == 1 && db.nham == 1, "db: back to one spam, one ham") ;
    bayes_db_close(&db) ;
  }
  /* damaged file */
  {
    bayes_db db ;
    char bad[64] ;
    FILE *f ;
    snprintf(bad, sizeof(bad), "%s/bad", dir) ;
    f = fopen(bad, "w") ; fputs("PHBAYES1 but truncated", f) ; fclose(f) ;
    CHECK(!bayes_db_open(&db, bad), "db: damaged file refused") ;
  }
  /* pruning */
  {
    char p2[64] ;
    bayes_db db ;
    uint32_t s, h ;
    snprintf(p2, sizeof(p2), "%s/pruned", dir) ;
    learn(p2, "Subject: a\n\nkeeper alpha beta gamma delta\n", 1, 10, 0) ;
    learn(p2, "Subject: a\n\nkeeper epsilon zeta theta iota kappa lambda\n", 1, 20, 10) ;
    CHECK(bayes_db_open(&db, p2) && db.ntokens <= 9, "db: pruned to 90 % of the bound") ;
    CHECK(bayes_db_find(&db, bayes_hash("", "keeper", 6), &s, &h) && s == 2, "db: the most used token survives pruning") ;
    {
      char const *old[4] = { "alpha", "beta", "gamma", "delta" } ;
      char const *young[6] = { "epsilon", "zeta", "theta", "iota", "kappa", "lambda" } ;
      unsigned int kept_old = 0, kept_young = 0 ;
      for (unsigned int i = 0 ; i < 4 ; i++) kept_old += bayes_db_find(&db, bayes_hash("", old[i], strlen(old[i])), &s, &h) ;
      for (unsigned int i = 0 ; i < 6 ; i++) kept_young += bayes_db_find(&db, bayes_hash("", young[i], strlen(young[i])), &s, &h) ;
      CHECK(kept_old == 2 && kept_young == 6, "db: the oldest hapaxes go first") ;
    }
    bayes_db_close(&db) ;
  }

  /* classification */
  {
    char p3[64] ;
    double ps, ph, pu ;
    snprintf(p3, sizeof(p3), "%s/cls", dir) ;
    for (unsigned int i = 0 ; i < 20 ; i++)
    {
      char m[256] ;
      snprintf(m, sizeof(m), "Subject: offer %u\n\nbuy cheap viagra casino winner money offer%u\n", i, i) ;
      learn(p3, m, 1, 1, 0) ;
      snprintf(m, sizeof(m), "Subject: minutes %u\n\nthe project meeting agenda report schedule notes%u\n", i, i) ;
      learn(p3, m, 0, 1, 0) ;
    }
    ps = classify(p3, "Subject: offer\n\ncheap casino money winner\n") ;
    ph = classify(p3, "Subject: minutes\n\nmeeting agenda and the report\n") ;
    pu = classify(p3, "Subject: hello\n\nunrelated words entirely\n") ;
    CHECK(ps > 0.9, "classify: spammy message near 1") ;
    CHECK(ph < 0.1, "classify: hammy message near 0") ;
    CHECK(pu == 0.5, "classify: no clue is 0.5") ;
    printf("# spam %.4f ham %.4f unknown %.4f\n", ps, ph, pu) ;
  }
  {
    char cmd[128] ;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir) ;
    if (system(cmd)) return 111 ;
  }
  return check_done() ;
}
