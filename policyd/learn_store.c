/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <skalibs/stralloc.h>

#include "common/bayes.h"
#include "common/config.h"
#include "learn.h"
#include "spam.h"

/* Every learning feeds the shared database (global.db, the fallback of
 * users with little training of their own) and the user's
 * (users/<address>.db). Both are bounded by PH_BAYES_MAX_TOKENS
 * (default 300000 tokens, 6 MB). The directories are made on first
 * use, mode 0755, files 0644: policyd-spam (phqueue) reads them. */

static int mkdir_ok (char const *path)
{
  return mkdir(path, 0755) == 0 || errno == EEXIST ;
}

int learn_store (learn_request const *r, unsigned int *ntokens, int *outcome)
{
  static stralloc dir = STRALLOC_ZERO, path = STRALLOC_ZERO ;
  bayes_tokens t = BAYES_TOKENS_ZERO ;
  uint64_t max ;
  uint32_t day = (uint32_t)(time(0) / 86400) ;
  char const *d = config_get("PH_BAYES_DIR") ;
  int ok = 0 ;
  if (!config_get_uint("PH_BAYES_MAX_TOKENS", BAYES_DB_TOKENS_DEFAULT, &max) || max < 1000 || max > BAYES_DB_TOKENS_LIMIT) return (errno = EINVAL, 0) ;
  dir.len = 0 ;
  if (d) { if (!stralloc_cats(&dir, d)) return 0 ; }
  else
  {
    char const *state = config_get("PH_STATE") ;
    if (!state) return (errno = EINVAL, 0) ;
    if (!stralloc_cats(&dir, state) || !stralloc_cats(&dir, "/bayes")) return 0 ;
  }
  if (!stralloc_0(&dir)) return 0 ;
  dir.len-- ;
  if (!mkdir_ok(dir.s)) return 0 ;
  if (!bayes_tokenize(&t, r->msg.s, r->msg.len)) return 0 ;
  *ntokens = (unsigned int)genalloc_len(uint64_t, &t.hashes) ;
  if (!spam_global_db_path(&path, dir.s)) goto end ;
  *outcome = bayes_db_learn(path.s, &t, r->is_spam, day, (uint32_t)max) ;
  if (!*outcome) goto end ;
  if (strcmp(r->user, "-"))
  {
    if (!stralloc_cats(&dir, "/users") || !stralloc_0(&dir)) goto end ;
    if (!mkdir_ok(dir.s)) goto end ;
    dir.len -= 7 ;
    dir.s[dir.len] = 0 ;
    if (!spam_user_db_path(&path, dir.s, r->user)) { errno = ENAMETOOLONG ; goto end ; }
    *outcome = bayes_db_learn(path.s, &t, r->is_spam, day, (uint32_t)max) ;
    if (!*outcome) goto end ;
  }
  ok = 1 ;
 end:
  {
    int e = errno ;
    bayes_tokens_free(&t) ;
    errno = e ;
  }
  return ok ;
}
