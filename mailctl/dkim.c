/* ISC license. */

/* mailctl dkim: DKIM keys in OpenDKIM's layout, as docker-mailserver's
 * `setup config dkim` makes them (dkimsign/README.md).
 *
 *   dkim keygen [DOMAIN] [SELECTOR] [rsa|ed25519] [BITS]
 *     a key for DOMAIN (default: every domain of postfix-accounts.cf and
 *     postfix-virtual.cf), selector SELECTOR (default "mail"), RSA of
 *     BITS (default 2048, 1024 to 4096) or Ed25519, in
 *     $PH_CONFIG_DIR/opendkim/keys/<domain>/<selector>.private (PEM,
 *     0600, owner phdkim: only dkimsign reads it), the record beside it
 *     in <selector>.txt, and the lines that name it in KeyTable and
 *     SigningTable. An existing key is kept (run it at every start).
 *     Prints the DNS TXT record to publish.
 *   dkim list
 *     every key of KeyTable: domain, selector, type, bits, path, and its
 *     record (or why the key cannot be read).
 *
 * Files are written to a temporary name (owner set before any byte),
 * fsynced, renamed, and the directory fsynced. */

#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <pwd.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/addr.h"
#include "common/cdbwrite.h"
#include "common/dkim.h"
#include "mailctl-internal.h"

#define USAGE "mailctl dkim keygen [DOMAIN] [SELECTOR] [rsa|ed25519] [BITS] | dkim list"
#define dieusage() strerr_dieusage(100, USAGE)
#define dienomem() strerr_diefu1sys(111, "allocate memory")
#define KEYFILE_MAX 65536

static void cat (stralloc *sa, char const *s)
{
  if (!stralloc_cats(sa, s)) dienomem() ;
}

static void mkdir_mode (char const *dir, unsigned int mode)
{
  if (mkdir(dir, mode) < 0 && errno != EEXIST) strerr_diefu2sys(111, "create ", dir) ;
}

static void out (char const *s)
{
  if (buffer_puts(buffer_1, s) < 0) strerr_diefu1sys(111, "write to stdout") ;
}

/* Writes s to path atomically; the key itself is phdkim's, mode 0600. */
static void write_file (char const *path, char const *s, size_t len, unsigned int mode, int dkimowned)
{
  stralloc tmp = STRALLOC_ZERO ;
  int fd ;
  cat(&tmp, path) ;
  cat(&tmp, ".tmp.XXXXXX") ;
  if (!stralloc_0(&tmp)) dienomem() ;
  fd = mkostemp(tmp.s, O_CLOEXEC) ;
  if (fd < 0) strerr_diefu2sys(111, "create a temporary file for ", path) ;
  if (dkimowned)
  {
    struct passwd *pw = getpwnam("phdkim") ;
    if (!pw) strerr_warnw2x("user phdkim does not exist: left owned by the current user: ", path) ;
    else if (fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
    {
      if (errno != EPERM) goto err ;
      strerr_warnw2x("not allowed to give the file to phdkim: ", path) ;
    }
  }
  if (fchmod(fd, mode) < 0 || allwrite(fd, s, len) < len || fd_sync(fd) < 0) goto err ;
  if (close(fd) < 0) { fd = -1 ; goto err ; }
  if (rename(tmp.s, path) < 0) { fd = -1 ; goto err ; }
  if (!cdbwrite_dirsync(path)) strerr_diefu2sys(111, "sync the directory of ", path) ;
  stralloc_free(&tmp) ;
  return ;
 err:
  {
    int e = errno ;
    if (fd >= 0) fd_close(fd) ;
    unlink(tmp.s) ;
    errno = e ;
    strerr_diefu2sys(111, "write ", path) ;
  }
}

/* The record, and its zone-file form in 255-byte strings (RFC 1035
 * §3.3.14; RFC 6376 §3.6.2.2 joins them). */
static void record (stralloc *rec, EVP_PKEY *k, int alg)
{
  cat(rec, alg == DKIM_ALG_ED25519_SHA256 ? "v=DKIM1; k=ed25519; p=" : "v=DKIM1; k=rsa; p=") ;
  if (!dkim_pubkey_b64(rec, k, alg)) strerr_diefu1x(111, "encode the public key (OpenSSL)") ;
}

static void zone_text (stralloc *z, char const *domain, char const *selector, stralloc const *rec)
{
  cat(z, selector) ;
  cat(z, "._domainkey.") ;
  cat(z, domain) ;
  cat(z, ". IN TXT (") ;
  for (size_t i = 0 ; i < rec->len ; i += 255)
  {
    size_t n = rec->len - i < 255 ? rec->len - i : 255 ;
    cat(z, " \"") ;
    if (!stralloc_catb(z, rec->s + i, n)) dienomem() ;
    cat(z, "\"") ;
  }
  cat(z, " )\n") ;
}

static EVP_PKEY *read_key (char const *path, int *alg)
{
  stralloc sa = STRALLOC_ZERO ;
  EVP_PKEY *k ;
  if (!openslurpclose(&sa, path)) return 0 ;
  k = sa.len <= KEYFILE_MAX ? dkim_privkey_parse(sa.s, sa.len, alg) : 0 ;
  if (sa.len) memset(sa.s, 0, sa.len) ;
  stralloc_free(&sa) ;
  return k ;
}

/* Adds line to the table unless a line with the same first word is
 * there already. */
static void table_add (char const *path, char const *key, char const *line)
{
  mcfile f = MCFILE_ZERO ;
  size_t kl = strlen(key) ;
  mc_file_read(&f, path) ;
  for (size_t i = 0 ; i < mc_nlines(&f) ; i++)
  {
    mcline const *l = mc_line(&f, i) ;
    char const *s = mc_str(&f, l->raw) ;
    size_t j = 0 ;
    while (j < l->rawlen && (s[j] == ' ' || s[j] == '\t')) j++ ;
    if (l->rawlen - j > kl && !memcmp(s + j, key, kl) && (s[j + kl] == ' ' || s[j + kl] == '\t'))
    {
      stralloc_free(&f.storage) ;
      genalloc_free(mcline, &f.lines) ;
      return ;
    }
  }
  mc_file_addline(&f, line, strlen(line)) ;
  mc_file_write(&f, 0644) ;
  stralloc_free(&f.storage) ;
  genalloc_free(mcline, &f.lines) ;
}

static int selector_ok (char const *s)
{
  size_t n = strlen(s) ;
  if (!n || n > 63) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || (s[i] == '.' && i && i + 1 < n)))
      return 0 ;
  return 1 ;
}

static void keygen_one (mcctx *ctx, char const *domain, char const *selector, int ed, unsigned int bits)
{
  stralloc dir = STRALLOC_ZERO, path = STRALLOC_ZERO, rec = STRALLOC_ZERO, z = STRALLOC_ZERO, line = STRALLOC_ZERO, kt = STRALLOC_ZERO ;
  EVP_PKEY *k ;
  int alg = ed ? DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256 ;
  cat(&dir, ctx->confdir) ; cat(&dir, "/opendkim") ;
  if (!stralloc_0(&dir)) dienomem() ;
  mkdir_mode(dir.s, 0755) ;
  dir.len-- ; cat(&dir, "/keys") ;
  if (!stralloc_0(&dir)) dienomem() ;
  mkdir_mode(dir.s, 0755) ;
  dir.len-- ; cat(&dir, "/") ; cat(&dir, domain) ;
  if (!stralloc_0(&dir)) dienomem() ;
  mkdir_mode(dir.s, 0755) ;
  cat(&path, dir.s) ; cat(&path, "/") ; cat(&path, selector) ; cat(&path, ".private") ;
  if (!stralloc_0(&path)) dienomem() ;

  k = read_key(path.s, &alg) ;
  if (k) strerr_warni2x("keeping the existing key ", path.s) ;
  else
  {
    BIO *b ;
    char *pem ;
    long pl ;
    if (access(path.s, F_OK) == 0) strerr_dief2x(111, "unreadable key in the way: ", path.s) ;
    k = ed ? EVP_PKEY_Q_keygen(0, 0, "ED25519") : EVP_PKEY_Q_keygen(0, 0, "RSA", (size_t)bits) ;
    if (!k) strerr_diefu1x(111, "generate a key (OpenSSL)") ;
    b = BIO_new(BIO_s_mem()) ;
    if (!b || !PEM_write_bio_PrivateKey(b, k, 0, 0, 0, 0, 0)) strerr_diefu1x(111, "encode the key (OpenSSL)") ;
    pl = BIO_get_mem_data(b, &pem) ;
    write_file(path.s, pem, (size_t)pl, 0600, 1) ;
    BIO_free(b) ;
  }
  record(&rec, k, alg) ;
  EVP_PKEY_free(k) ;
  zone_text(&z, domain, selector, &rec) ;
  path.len -= 9 ;   /* ".private\0" */
  cat(&path, ".txt") ;
  if (!stralloc_0(&path)) dienomem() ;
  write_file(path.s, z.s, z.len, 0644, 0) ;
  path.len -= 5 ;
  cat(&path, ".private") ;

  /* KeyTable: "<selector>._domainkey.<domain> <domain>:<selector>:<path>" */
  cat(&kt, ctx->confdir) ; cat(&kt, "/opendkim/KeyTable") ;
  if (!stralloc_0(&kt)) dienomem() ;
  cat(&line, selector) ; cat(&line, "._domainkey.") ; cat(&line, domain) ;
  if (!stralloc_0(&line)) dienomem() ;
  {
    stralloc l2 = STRALLOC_ZERO ;
    cat(&l2, line.s) ; cat(&l2, " ") ; cat(&l2, domain) ; cat(&l2, ":") ; cat(&l2, selector) ; cat(&l2, ":") ;
    if (!stralloc_catb(&l2, path.s, path.len)) dienomem() ;
    if (!stralloc_0(&l2)) dienomem() ;
    table_add(kt.s, line.s, l2.s) ;
    /* SigningTable: "*@<domain> <keyname>", once per key */
    kt.len -= 9 ; cat(&kt, "SigningTable") ;
    if (!stralloc_0(&kt)) dienomem() ;
    l2.len = 0 ;
    cat(&l2, "*@") ; cat(&l2, domain) ; cat(&l2, " ") ; cat(&l2, line.s) ;
    if (!stralloc_0(&l2)) dienomem() ;
    {
      /* the key of this table is the pattern, shared by several keys:
         look for the whole line */
      mcfile f = MCFILE_ZERO ;
      int found = 0 ;
      mc_file_read(&f, kt.s) ;
      for (size_t i = 0 ; i < mc_nlines(&f) && !found ; i++)
      {
        mcline const *l = mc_line(&f, i) ;
        if (l->rawlen == l2.len - 1 && !memcmp(mc_str(&f, l->raw), l2.s, l->rawlen)) found = 1 ;
      }
      if (!found) { mc_file_addline(&f, l2.s, l2.len - 1) ; mc_file_write(&f, 0644) ; }
      stralloc_free(&f.storage) ;
      genalloc_free(mcline, &f.lines) ;
    }
    stralloc_free(&l2) ;
  }
  if (!stralloc_0(&z)) dienomem() ;
  out(z.s) ;
  stralloc_free(&dir) ; stralloc_free(&path) ; stralloc_free(&rec) ; stralloc_free(&z) ; stralloc_free(&line) ; stralloc_free(&kt) ;
}

static void collect (mcfile const *f, genalloc *domains, stralloc *store)
{
  for (size_t i = 0 ; i < mc_nlines(f) ; i++)
  {
    mcline const *l = mc_line(f, i) ;
    char const *key ;
    char const *at ;
    int seen = 0 ;
    if (!l->data || l->deleted) continue ;
    key = mc_str(f, l->key) ;
    at = strrchr(key, '@') ;
    if (!at || !at[1]) continue ;
    for (size_t j = 0 ; j < genalloc_len(size_t, domains) ; j++)
      if (!strcmp(store->s + genalloc_s(size_t, domains)[j], at + 1)) seen = 1 ;
    if (seen) continue ;
    {
      size_t off = store->len ;
      if (!stralloc_cats(store, at + 1) || !stralloc_0(store) || !genalloc_append(size_t, domains, &off)) dienomem() ;
    }
  }
}

static void keygen (mcctx *ctx, int argc, char const *const *argv)
{
  char const *selector = argc >= 2 ? argv[1] : "mail" ;
  int ed = 0 ;
  unsigned int bits = 2048 ;
  if (argc > 4) dieusage() ;
  if (argc >= 3)
  {
    if (!strcmp(argv[2], "ed25519")) ed = 1 ;
    else if (strcmp(argv[2], "rsa")) dieusage() ;
  }
  if (argc >= 4)
  {
    if (ed) strerr_dief1x(100, "an ed25519 key has no size") ;
    if (!uint0_scan(argv[3], &bits) || bits < 1024 || bits > 4096) strerr_dief1x(100, "RSA keys are 1024 to 4096 bits") ;
  }
  if (!selector_ok(selector)) strerr_dief2x(100, "invalid selector: ", selector) ;
  mc_lock(ctx) ;
  if (argc >= 1)
  {
    char key[ADDR_PATH_MAX + 3] ;
    char const *why = 0 ;
    stralloc at = STRALLOC_ZERO ;
    cat(&at, "@") ; cat(&at, argv[0]) ;
    if (!mc_addrkey(at.s, at.len, MC_ALIAS, key, &why)) strerr_dief2x(100, "invalid domain: ", argv[0]) ;
    keygen_one(ctx, key + 1, selector, ed, bits) ;
    stralloc_free(&at) ;
  }
  else
  {
    genalloc domains = GENALLOC_ZERO ;
    stralloc store = STRALLOC_ZERO ;
    mc_load(ctx) ;
    collect(&ctx->accounts, &domains, &store) ;
    collect(&ctx->virtual, &domains, &store) ;
    if (!genalloc_len(size_t, &domains)) strerr_dief1x(100, "no domain: add an account first, or name the domain") ;
    for (size_t j = 0 ; j < genalloc_len(size_t, &domains) ; j++)
      keygen_one(ctx, store.s + genalloc_s(size_t, &domains)[j], selector, ed, bits) ;
    genalloc_free(size_t, &domains) ;
    stralloc_free(&store) ;
  }
}

static void list (mcctx *ctx)
{
  stralloc kt = STRALLOC_ZERO ;
  mcfile f = MCFILE_ZERO ;
  cat(&kt, ctx->confdir) ; cat(&kt, "/opendkim/KeyTable") ;
  if (!stralloc_0(&kt)) dienomem() ;
  mc_file_read(&f, kt.s) ;
  for (size_t i = 0 ; i < mc_nlines(&f) ; i++)
  {
    mcline const *l = mc_line(&f, i) ;
    char const *s = mc_str(&f, l->raw) ;
    size_t n = l->rawlen, j = 0, c1, c2 ;
    stralloc v = STRALLOC_ZERO ;
    while (j < n && (s[j] == ' ' || s[j] == '\t')) j++ ;
    if (j == n || s[j] == '#') continue ;
    while (j < n && s[j] != ' ' && s[j] != '\t') j++ ;
    while (j < n && (s[j] == ' ' || s[j] == '\t')) j++ ;
    if (!stralloc_catb(&v, s + j, n - j) || !stralloc_0(&v)) dienomem() ;
    c1 = byte_chr(v.s, v.len - 1, ':') ;
    c2 = c1 < v.len - 1 ? c1 + 1 + byte_chr(v.s + c1 + 1, v.len - c1 - 2, ':') : v.len - 1 ;
    if (c2 >= v.len - 1) { stralloc_free(&v) ; continue ; }
    v.s[c1] = 0 ;
    v.s[c2] = 0 ;
    {
      int alg = 0 ;
      char bits[UINT_FMT] ;
      char const *p = v.s + c2 + 1 ;
      stralloc mapped = STRALLOC_ZERO ;
      EVP_PKEY *k ;
      /* docker-mailserver's tables name /etc/opendkim/...: the file is in the config folder */
      if (!strncmp(p, "/etc/opendkim/", 14) && access(p, F_OK) < 0)
      {
        cat(&mapped, ctx->confdir) ; cat(&mapped, "/opendkim/") ; cat(&mapped, p + 14) ;
        if (!stralloc_0(&mapped)) dienomem() ;
        p = mapped.s ;
      }
      k = read_key(p, &alg) ;
      out(v.s) ; out(" ") ; out(v.s + c1 + 1) ; out(" ") ;
      if (k)
      {
        stralloc rec = STRALLOC_ZERO ;
        bits[uint_fmt(bits, (unsigned int)EVP_PKEY_get_bits(k))] = 0 ;
        out(alg == DKIM_ALG_ED25519_SHA256 ? "ed25519 " : "rsa ") ;
        out(bits) ; out(" ") ; out(p) ; out("\n  ") ;
        record(&rec, k, alg) ;
        if (!stralloc_0(&rec)) dienomem() ;
        out(rec.s) ; out("\n") ;
        stralloc_free(&rec) ;
        EVP_PKEY_free(k) ;
      }
      else { out("unreadable ") ; out(p) ; out("\n") ; }
      stralloc_free(&mapped) ;
    }
    stralloc_free(&v) ;
  }
  stralloc_free(&kt) ;
  stralloc_free(&f.storage) ;
  genalloc_free(mcline, &f.lines) ;
}

void mc_dkim (mcctx *ctx, int argc, char const *const *argv)
{
  if (argc < 1) dieusage() ;
  if (!strcmp(argv[0], "keygen")) keygen(ctx, argc - 1, argv + 1) ;
  else if (!strcmp(argv[0], "list") && argc == 1) list(ctx) ;
  else dieusage() ;
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
}
