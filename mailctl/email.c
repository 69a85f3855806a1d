/* ISC license. */

#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/addr.h"
#include "common/pwhash.h"
#include "mailctl.h"
#include "mailctl-internal.h"

/* docker-mailserver's `setup email add|update|del|list`. Deleting an
 * account removes its line and its map entries, not its Maildir. */

#define dieusage() strerr_dieusage(100, MC_USAGE_EMAIL)

static size_t account_key (char const *addr, char *key)
{
  char const *why ;
  size_t n = mc_addrkey(addr, strlen(addr), MC_ACCOUNT, key, &why) ;
  if (!n) strerr_dief4x(100, "invalid account ", addr, ": ", why) ;
  return n ;
}

static void make_hash (char const *arg, char *hash, size_t *hashlen)
{
  char pw[PWHASH_PASSWORD_MAX + 2] ;
  size_t pwlen ;
  if (arg)
  {
    pwlen = strlen(arg) ;
    if (pwlen > PWHASH_PASSWORD_MAX) strerr_dief1x(100, "password too long (at most 511 bytes)") ;
    memcpy(pw, arg, pwlen) ;
  }
  else mc_password_read(pw, sizeof(pw), &pwlen) ;
  if (!pwlen) strerr_dief1x(100, "empty password") ;
  *hashlen = pwhash_make(hash, pw, pwlen) ;
  explicit_bzero(pw, sizeof(pw)) ;
  if (!*hashlen) strerr_diefu1sys(111, "hash the password") ;
}

static void commit (mcctx *ctx)
{
  /* Re-parse so the edited lines get their fields, then the text file
   * first: it is the source of truth, and `mailctl update` rebuilds the
   * maps from it if the compilation below is interrupted. */
  mc_accounts_parse(&ctx->accounts) ;
  mc_file_write(&ctx->accounts, 0600) ;
  mc_compile(&ctx->accounts, &ctx->virtual, &ctx->quotas, ctx->cdbdir) ;
}

static void email_add (mcctx *ctx, char const *addr, char const *password)
{
  char key[ADDR_PATH_MAX + 3] ;
  char hash[PWHASH_OUTPUT_MAX] ;
  size_t keylen = account_key(addr, key), hashlen ;
  stralloc line = STRALLOC_ZERO ;
  mc_lock(ctx) ;
  mc_load(ctx) ;
  if (mc_file_find(&ctx->accounts, key, keylen, 0) >= 0)
    strerr_dief3x(1, "account ", key, " already exists") ;
  make_hash(password, hash, &hashlen) ;
  if (!stralloc_catb(&line, key, keylen) || !stralloc_catb(&line, "|", 1)
   || !stralloc_catb(&line, hash, hashlen)) strerr_diefu1sys(111, "allocate memory") ;
  mc_file_addline(&ctx->accounts, line.s, line.len) ;
  commit(ctx) ;
  stralloc_free(&line) ;
}

static void email_update (mcctx *ctx, char const *addr, char const *password)
{
  char key[ADDR_PATH_MAX + 3] ;
  char hash[PWHASH_OUTPUT_MAX] ;
  size_t keylen = account_key(addr, key), hashlen ;
  stralloc line = STRALLOC_ZERO ;
  long i ;
  mc_lock(ctx) ;
  mc_load(ctx) ;
  i = mc_file_find(&ctx->accounts, key, keylen, 0) ;
  if (i < 0) strerr_dief3x(1, "account ", key, " does not exist") ;
  make_hash(password, hash, &hashlen) ;
  {
    mcline const *l = mc_line(&ctx->accounts, i) ;
    /* The extra fields stay as they were. */
    if (!stralloc_catb(&line, key, keylen) || !stralloc_catb(&line, "|", 1)
     || !stralloc_catb(&line, hash, hashlen)
     || (l->hasextra && (!stralloc_catb(&line, "|", 1)
                         || !stralloc_catb(&line, mc_str(&ctx->accounts, l->extra), l->extralen))))
      strerr_diefu1sys(111, "allocate memory") ;
  }
  mc_file_setraw(&ctx->accounts, i, line.s, line.len) ;
  commit(ctx) ;
  stralloc_free(&line) ;
}

static void email_del (mcctx *ctx, char const *addr)
{
  char key[ADDR_PATH_MAX + 3] ;
  size_t keylen = account_key(addr, key) ;
  long i ;
  mc_lock(ctx) ;
  mc_load(ctx) ;
  i = mc_file_find(&ctx->accounts, key, keylen, 0) ;
  if (i < 0) strerr_dief3x(1, "account ", key, " does not exist") ;
  mc_line(&ctx->accounts, i)->deleted = 1 ;
  mc_quota_drop(ctx, key, keylen) ;
  commit(ctx) ;
}

static void email_list (mcctx *ctx)
{
  size_t n ;
  mc_load(ctx) ;
  n = mc_nlines(&ctx->accounts) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mcline const *l = mc_line(&ctx->accounts, i) ;
    if (!l->data) continue ;
    if (buffer_put(buffer_1, mc_str(&ctx->accounts, l->key), l->keylen) < 0
     || buffer_put(buffer_1, "\n", 1) < 0)
      strerr_diefu1sys(111, "write to stdout") ;
  }
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
}

void mc_email (mcctx *ctx, int argc, char const *const *argv)
{
  if (argc < 1) dieusage() ;
  if (!strcmp(argv[0], "add") && (argc == 2 || argc == 3))
    email_add(ctx, argv[1], argc == 3 ? argv[2] : 0) ;
  else if (!strcmp(argv[0], "update") && (argc == 2 || argc == 3))
    email_update(ctx, argv[1], argc == 3 ? argv[2] : 0) ;
  else if (!strcmp(argv[0], "del") && argc == 2)
    email_del(ctx, argv[1]) ;
  else if (!strcmp(argv[0], "list") && argc == 1)
    email_list(ctx) ;
  else dieusage() ;
}
