/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include <skalibs/uint64.h>

#include "common/addr.h"
#include "common/config.h"
#include "mailctl.h"
#include "mailctl-internal.h"

/* docker-mailserver's `setup quota set|del` and its dovecot-quotas.cf:
 * one line per account, "user@domain:<size>", a size Dovecot's
 * quota_rule storage= understands. setup accepts "0" (no quota) or
 * digits and a unit among B, k, M, G, T (powers of 1024, as Dovecot
 * counts); the file itself is read more leniently, as Dovecot would: a
 * unit in either case, or none (bytes). Blank lines and '#' comments
 * are kept as they are. An account may have one quota: `quota set`
 * replaces its lines, as setup does (delete, then append). */

#define dieusage() strerr_dieusage(100, MC_USAGE_QUOTA)
#define dienomem() strerr_diefu1sys(111, "allocate memory")

int mc_quota_size (char const *s, size_t len, int strict, uint64_t *bytes)
{
  uint64_t v = 0, mult = 1 ;
  size_t i = 0 ;
  while (i < len && s[i] >= '0' && s[i] <= '9')
  {
    if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10) return 0 ;
    v = v * 10 + (uint64_t)(s[i++] - '0') ;
  }
  if (!i) return 0 ;
  if (i < len)
  {
    char c = s[i++] ;
    if (i != len) return 0 ;
    if (!strict && c >= 'a' && c <= 'z') c -= 'a' - 'A' ;
    switch (c)
    {
      case 'B' : mult = 1 ; break ;
      case 'k' : case 'K' : mult = 1024 ; break ;
      case 'M' : mult = 1024ULL * 1024 ; break ;
      case 'G' : mult = 1024ULL * 1024 * 1024 ; break ;
      case 'T' : mult = 1024ULL * 1024 * 1024 * 1024 ; break ;
      default : return 0 ;
    }
  }
  else if (strict && v) return 0 ;   /* setup: "123" is refused, "0" is not */
  if (v > UINT64_MAX / mult) return 0 ;
  *bytes = v * mult ;
  return 1 ;
}

static int isblank_ (char c)
{
  return c == ' ' || c == '\t' || c == '\r' ;
}

static void die_line (mcfile const *f, unsigned int lineno, char const *what, char const *detail)
{
  char fmt[UINT_FMT] ;
  fmt[uint_fmt(fmt, lineno)] = 0 ;
  strerr_dief6x(100, f->path, ":", fmt, ": ", what, detail) ;
}

void mc_quotas_parse (mcfile *f)
{
  size_t n = mc_nlines(f) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char key[ADDR_PATH_MAX + 3] ;
    char num[UINT64_FMT] ;
    char const *why ;
    mcline *l = mc_line(f, i) ;
    char const *s = mc_str(f, l->raw) ;
    size_t a = 0, b = l->rawlen, colon, keylen, keyoff, valoff ;
    unsigned int lineno = l->lineno ;
    uint64_t bytes ;
    l->data = 0 ;
    if (l->deleted) continue ;
    while (a < b && isblank_(s[a])) a++ ;
    while (b > a && isblank_(s[b - 1])) b-- ;
    if (a == b || s[a] == '#') continue ;
    for (colon = b ; colon > a && s[colon - 1] != ':' ; colon--) ;
    if (colon == a) die_line(f, lineno, "expected user@domain:size", "") ;
    colon-- ;
    {
      size_t ka = a, kb = colon, va = colon + 1 ;
      while (kb > ka && isblank_(s[kb - 1])) kb-- ;
      while (va < b && isblank_(s[va])) va++ ;
      keylen = mc_addrkey(s + ka, kb - ka, MC_ACCOUNT, key, &why) ;
      if (!keylen) die_line(f, lineno, why, "") ;
      if (!mc_quota_size(s + va, b - va, 0, &bytes))
        die_line(f, lineno, "invalid quota size (digits, then B, k, M, G or T)", "") ;
    }
    keyoff = f->storage.len ;
    if (!stralloc_catb(&f->storage, key, keylen + 1)) dienomem() ;
    valoff = f->storage.len ;
    if (!stralloc_catb(&f->storage, num, uint64_fmt(num, bytes))) dienomem() ;
    l = mc_line(f, i) ;
    l->key = keyoff ;
    l->keylen = keylen ;
    l->val = valoff ;
    l->vallen = f->storage.len - valoff ;
    l->data = 1 ;
  }
}

int mc_quota_find (mcfile const *f, char const *key, size_t keylen, uint64_t *bytes)
{
  long found = -1 ;
   /* the last line wins, as a later line overrides in Dovecot's files */
  for (long i = mc_file_find(f, key, keylen, 0) ; i >= 0 ; i = mc_file_find(f, key, keylen, i + 1)) found = i ;
  if (found < 0) return 0 ;
  {
    mcline const *l = genalloc_s(mcline, &f->lines) + found ;
    uint64_scan(f->storage.s + l->val, bytes) ;
  }
  return 1 ;
}

/* The directory where deliverd (vmail) writes which Maildirs are over
 * quota and smtpd (phsmtpd) reads it (docs/internals.md, "Quotas").
 * mailctl runs as root, every daemon does not: so it is made here, at
 * each compilation that leaves some account with a quota. */
void mc_quota_statusdir (void)
{
  char const *state = config_get_default("PH_STATE", "/var/mail-state/posthaste") ;
  stralloc path = STRALLOC_ZERO ;
  struct passwd *pw ;
  int fd ;
  if (!stralloc_cats(&path, state) || !stralloc_cats(&path, "/quota") || !stralloc_0(&path)) dienomem() ;
  pw = getpwnam("vmail") ;
  if (!pw)
  {
    strerr_warnw3x("user vmail does not exist: ", path.s, " not made; smtpd will not refuse over-quota recipients at RCPT") ;
    goto end ;
  }
  if (mkdir(path.s, 0755) == -1 && errno != EEXIST)
  {
    strerr_warnwu2sys("create ", path.s) ;
    goto end ;
  }
  fd = open(path.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
  if (fd == -1)
  {
    strerr_warnwu2sys("open ", path.s) ;
    goto end ;
  }
  if (fchown(fd, pw->pw_uid, pw->pw_gid) == -1 || fchmod(fd, 0755) == -1)
    strerr_warnwu3sys("make ", path.s, " vmail's, mode 0755") ;
  fd_close(fd) ;
 end:
  stralloc_free(&path) ;
}

static size_t account_of (mcctx *ctx, char const *addr, char *key)
{
  char const *why ;
  size_t n = mc_addrkey(addr, strlen(addr), MC_ACCOUNT, key, &why) ;
  if (!n) strerr_dief4x(100, "invalid account ", addr, ": ", why) ;
  mc_lock(ctx) ;
  mc_load(ctx) ;
  if (mc_file_find(&ctx->accounts, key, n, 0) < 0)
    strerr_dief3x(1, "account ", key, " does not exist") ;
  return n ;
}

static int drop_lines (mcfile *f, char const *key, size_t keylen)
{
  int found = 0 ;
  for (long i = mc_file_find(f, key, keylen, 0) ; i >= 0 ; i = mc_file_find(f, key, keylen, i + 1))
  {
    mc_line(f, i)->deleted = 1 ;
    found = 1 ;
  }
  return found ;
}

static void commit (mcctx *ctx)
{
  mc_quotas_parse(&ctx->quotas) ;
  mc_file_write(&ctx->quotas, 0644) ;
  mc_compile(&ctx->accounts, &ctx->virtual, &ctx->quotas, ctx->cdbdir) ;
}

static void quota_set (mcctx *ctx, char const *addr, char const *size)
{
  char key[ADDR_PATH_MAX + 3] ;
  stralloc line = STRALLOC_ZERO ;
  uint64_t bytes ;
  size_t keylen ;
  if (!mc_quota_size(size, strlen(size), 1, &bytes))
    strerr_dief3x(100, "invalid quota ", size, ": use 0 (no quota) or digits and a unit, B, k, M, G or T, e.g. 302M") ;
  keylen = account_of(ctx, addr, key) ;
  drop_lines(&ctx->quotas, key, keylen) ;
  if (!stralloc_catb(&line, key, keylen) || !stralloc_catb(&line, ":", 1) || !stralloc_cats(&line, size)) dienomem() ;
  mc_file_addline(&ctx->quotas, line.s, line.len) ;
  commit(ctx) ;
  stralloc_free(&line) ;
}

static void quota_del (mcctx *ctx, char const *addr)
{
  char key[ADDR_PATH_MAX + 3] ;
  size_t keylen = account_of(ctx, addr, key) ;
   /* no quota to remove is no error (setup quota del says nothing) */
  if (drop_lines(&ctx->quotas, key, keylen)) commit(ctx) ;
}

void mc_quota_drop (mcctx *ctx, char const *key, size_t keylen)
{
  if (drop_lines(&ctx->quotas, key, keylen)) mc_file_write(&ctx->quotas, 0644) ;
}

void mc_quota (mcctx *ctx, int argc, char const *const *argv)
{
  if (argc < 1) dieusage() ;
  if (!strcmp(argv[0], "set") && argc == 3) quota_set(ctx, argv[1], argv[2]) ;
  else if (!strcmp(argv[0], "del") && argc == 2) quota_del(ctx, argv[1]) ;
  else dieusage() ;
}
