/* ISC license. */

/* mailctl dns DOMAIN: the DNS records a domain served here should
 * publish, in zone-file form, ready to paste (issue 7):
 *   MX      to our host name (OVERRIDE_HOSTNAME / config_hostname);
 *   SPF     "v=spf1 mx -all" (RFC 7208: our MX hosts send its mail);
 *   DKIM    one TXT per key of KeyTable for the domain, from the private
 *           key itself (the .txt beside it may be stale), in strings of
 *           at most 255 bytes (RFC 1035 §3.3.14, RFC 6376 §3.6.2.2);
 *   DMARC   a first policy, "p=none" with aggregate reports to
 *           postmaster (RFC 7489 §6.3; tighten to quarantine or reject
 *           once the reports look right).
 * mailctl/dkim.c keeps its KeyTable reader to itself; this reads the
 * table's lines the same way (docker-mailserver's layout). Reading
 * the keys needs root or phdkim, like `mailctl dkim list`. */

#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <skalibs/buffer.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/dkim.h"
#include "dns.h"

#define USAGE "mailctl dns DOMAIN"
#define KEYFILE_MAX 65536

static void out (char const *s)
{
  if (buffer_puts(buffer_1, s) < 0) strerr_diefu1sys(111, "write to stdout") ;
}

static void outb (char const *s, size_t n)
{
  if (buffer_put(buffer_1, s, n) < 0) strerr_diefu1sys(111, "write to stdout") ;
}

static void txt (char const *owner, char const *rec, size_t len)
{
  out(owner) ;
  out(". IN TXT (") ;
  for (size_t i = 0 ; i < len ; i += 255)
  {
    out(" \"") ;
    outb(rec + i, len - i < 255 ? len - i : 255) ;
    out("\"") ;
  }
  out(" )\n") ;
}

static EVP_PKEY *read_key (char const *path, int *alg)
{
  char buf[KEYFILE_MAX] ;
  ssize_t r = openreadnclose(path, buf, sizeof(buf)) ;
  EVP_PKEY *k = r > 0 && (size_t)r < sizeof(buf) ? dkim_privkey_parse(buf, (size_t)r, alg) : 0 ;
  memset(buf, 0, sizeof(buf)) ;
  return k ;
}

/* KeyTable: "<name> <domain>:<selector>:<keyfile>" per line */
static unsigned int dkim_records (mcctx *ctx, char const *domain)
{
  stralloc kt = STRALLOC_ZERO ;
  mcfile f = MCFILE_ZERO ;
  unsigned int n = 0 ;
  size_t dl = strlen(domain) ;
  if (!stralloc_cats(&kt, ctx->confdir) || !stralloc_cats(&kt, "/opendkim/KeyTable") || !stralloc_0(&kt)) strerr_diefu1sys(111, "allocate memory") ;
  mc_file_read(&f, kt.s) ;
  for (size_t i = 0 ; i < mc_nlines(&f) ; i++)
  {
    mcline const *l = mc_line(&f, i) ;
    char const *s = mc_str(&f, l->raw) ;
    size_t len = l->rawlen, j = 0, c1, c2 ;
    stralloc v = STRALLOC_ZERO, path = STRALLOC_ZERO, owner = STRALLOC_ZERO, rec = STRALLOC_ZERO ;
    char const *p ;
    int alg = 0 ;
    EVP_PKEY *k ;
    while (j < len && (s[j] == ' ' || s[j] == '\t')) j++ ;
    if (j == len || s[j] == '#') continue ;
    while (j < len && s[j] != ' ' && s[j] != '\t') j++ ;
    while (j < len && (s[j] == ' ' || s[j] == '\t')) j++ ;
    c1 = byte_chr(s + j, len - j, ':') ;
    if (c1 != dl || case_diffb(s + j, dl, domain)) continue ;
    c2 = c1 + 1 + byte_chr(s + j + c1 + 1, len - j - c1 - 1, ':') ;
    if (c2 >= len - j) continue ;
    if (!stralloc_catb(&v, s + j, len - j) || !stralloc_0(&v)) strerr_diefu1sys(111, "allocate memory") ;
    v.s[c1] = 0 ;
    v.s[c2] = 0 ;
    p = v.s + c2 + 1 ;
    /* docker-mailserver's tables name /etc/opendkim/...: the file is in the config folder */
    if (!strncmp(p, "/etc/opendkim/", 14) && access(p, F_OK) < 0)
    {
      if (!stralloc_cats(&path, ctx->confdir) || !stralloc_cats(&path, "/opendkim/") || !stralloc_cats(&path, p + 14) || !stralloc_0(&path))
        strerr_diefu1sys(111, "allocate memory") ;
      p = path.s ;
    }
    if (!stralloc_cats(&owner, v.s + c1 + 1) || !stralloc_cats(&owner, "._domainkey.") || !stralloc_cats(&owner, domain) || !stralloc_0(&owner))
      strerr_diefu1sys(111, "allocate memory") ;
    k = read_key(p, &alg) ;
    if (!k)
    {
      out("; ") ; out(owner.s) ; out(": the key cannot be read: ") ; out(p) ; out("\n") ;
    }
    else
    {
      if (!stralloc_cats(&rec, alg == DKIM_ALG_ED25519_SHA256 ? "v=DKIM1; k=ed25519; p=" : "v=DKIM1; k=rsa; p=")
       || !dkim_pubkey_b64(&rec, k, alg)) strerr_diefu1x(111, "encode a public key (OpenSSL)") ;
      txt(owner.s, rec.s, rec.len) ;
      EVP_PKEY_free(k) ;
      n++ ;
    }
    stralloc_free(&v) ; stralloc_free(&path) ; stralloc_free(&owner) ; stralloc_free(&rec) ;
  }
  stralloc_free(&kt) ;
  stralloc_free(&f.storage) ;
  genalloc_free(mcline, &f.lines) ;
  return n ;
}

void mc_dns (mcctx *ctx, int argc, char const *const *argv)
{
  char domain[256] ;
  char const *host ;
  size_t n ;
  if (argc != 1) strerr_dieusage(100, USAGE) ;
  n = strlen(argv[0]) ;
  if (!n || n > 253 || !addr_domain_valid(argv[0], n, 0)) strerr_dief2x(100, "not a domain name: ", argv[0]) ;
  for (size_t i = 0 ; i <= n ; i++) domain[i] = argv[0][i] >= 'A' && argv[0][i] <= 'Z' ? argv[0][i] + 32 : argv[0][i] ;
  host = config_hostname() ;
  out("; posthaste: DNS records to publish for ") ; out(domain) ; out("\n") ;
  out("; mail exchanger (RFC 5321 §5): this host\n") ;
  out(domain) ; out(". IN MX 10 ") ; out(host) ; out(".\n") ;
  out("; SPF (RFC 7208): only the MX hosts send for the domain\n") ;
  out(domain) ; out(". IN TXT \"v=spf1 mx -all\"\n") ;
  out("; DKIM (RFC 6376): the public half of every key dkimsign signs with\n") ;
  if (!dkim_records(ctx, domain))
  {
    out("; no DKIM key for ") ; out(domain) ; out(": make one with `mailctl dkim keygen ") ; out(domain) ; out("`\n") ;
  }
  out("; DMARC (RFC 7489): start with p=none and aggregate reports; tighten later\n") ;
  out("_dmarc.") ; out(domain) ; out(". IN TXT \"v=DMARC1; p=none; rua=mailto:postmaster@") ; out(domain) ; out("\"\n") ;
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
}
