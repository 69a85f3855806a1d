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
 *           once the reports look right);
 *   MTA-STS "_mta-sts" TXT "v=STSv1; id=..." (RFC 8461 §3.1), the id the
 *           first 32 hex digits of the SHA-256 of the policy, so it
 *           changes exactly when the policy does, and the policy itself
 *           (§3.2), as webd serves it (common/mtasts.h: PH_MTA_STS_MODE,
 *           PH_MTA_STS_MX, PH_MTA_STS_MAX_AGE), as comment lines;
 *   TLS-RPT "_smtp._tls" TXT "v=TLSRPTv1; rua=mailto:postmaster@..."
 *           (RFC 8460 §3);
 *   SRV     RFC 6186 §3 and RFC 8314 §5.1: _submissions (implicit TLS,
 *           preferred: priority 0) and _submission, _imaps (0) and _imap,
 *           _pop3s and _pop3 with ENABLE_POP3, else the "." target
 *           (§3.4: the service is not offered); ports as webd's
 *           autoconfig gives them (PH_*_PORT, default the standard ones);
 *   names   autoconfig., autodiscover. and mta-sts. CNAMEs to the host,
 *           where webd answers;
 *   PTR     the reverse name of each public address (PH_PUBLIC_IP, else
 *           what the host name resolves to), naming the host (RFC 1035
 *           §3.5, RFC 3596 §2.5); when no address is known, says so.
 * Without DOMAIN, every domain of postfix-accounts.cf and
 * postfix-virtual.cf, one after the other (the host's PTR once).
 * mailctl/dkim.c keeps its KeyTable reader to itself; this reads the
 * table's lines the same way (docker-mailserver's layout). Reading
 * the keys needs root or phdkim, like `mailctl dkim list`. */

#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <skalibs/buffer.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/fmtscan.h>
#include <skalibs/ip46.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/dkim.h"
#include "common/mtasts.h"
#include "check.h"
#include "dns.h"
#include "setup.h"

#define USAGE "mailctl dns [DOMAIN]"
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

static void mtasts (char const *domain, char const *host)
{
  static char const hex[] = "0123456789abcdef" ;
  stralloc pol = STRALLOC_ZERO ;
  unsigned char md[SHA256_DIGEST_LENGTH] ;
  char id[33] ;
  size_t pos = 0 ;
  {
    char const *why = 0 ;
    int r = mtasts_policy(&pol, host, &why) ;
    if (r < 0) strerr_dief1x(100, why) ;
    if (!r) strerr_diefu1sys(111, "allocate memory") ;
  }
  SHA256((unsigned char const *)pol.s, pol.len, md) ;
  for (unsigned int i = 0 ; i < 16 ; i++) { id[2 * i] = hex[md[i] >> 4] ; id[2 * i + 1] = hex[md[i] & 15] ; }
  id[32] = 0 ;
  out("; MTA-STS (RFC 8461): the id changes with the policy; webd serves the policy at\n") ;
  out(";   https://mta-sts.") ; out(domain) ; out("/.well-known/mta-sts.txt (lines end with CRLF):\n") ;
  while (pos < pol.len)
  {
    char const *e = memchr(pol.s + pos, '\r', pol.len - pos) ;
    size_t n = e ? (size_t)(e - pol.s) - pos : pol.len - pos ;
    out(";     ") ; outb(pol.s + pos, n) ; out("\n") ;
    pos += n + 2 ;
  }
  out("_mta-sts.") ; out(domain) ; out(". IN TXT \"v=STSv1; id=") ; out(id) ; out("\"\n") ;
  out("; TLS-RPT (RFC 8460): daily reports of TLS failures sending to the domain\n") ;
  out("_smtp._tls.") ; out(domain) ; out(". IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@") ; out(domain) ; out("\"\n") ;
  stralloc_free(&pol) ;
}

static unsigned int port_of (char const *var, unsigned int def)
{
  uint64_t u ;
  if (!config_get_uint(var, def, &u) || !u || u > 65535) strerr_dief3x(100, "bad value for ", var, " (a port)") ;
  return (unsigned int)u ;
}

static void srv (char const *service, char const *domain, unsigned int prio, char const *portvar, unsigned int def, char const *host)
{
  char fmt[UINT_FMT] ;
  out(service) ; out("._tcp.") ; out(domain) ; out(". IN SRV ") ;
  if (!host) { out("0 0 0 .\n") ; return ; }
  fmt[uint_fmt(fmt, prio)] = 0 ; out(fmt) ; out(" 1 ") ;
  fmt[uint_fmt(fmt, port_of(portvar, def))] = 0 ; out(fmt) ; out(" ") ;
  out(host) ; out(".\n") ;
}

static void services (char const *domain, char const *host)
{
  int pop3 ;
  if (!config_get_bool("ENABLE_POP3", 0, &pop3)) strerr_dief1x(100, "ENABLE_POP3 must be a boolean") ;
  out("; mail clients (RFC 6186, RFC 8314 §5.1: implicit TLS first)\n") ;
  srv("_submissions", domain, 0, "PH_SUBMISSIONS_PORT", 465, host) ;
  srv("_submission", domain, 10, "PH_SUBMISSION_PORT", 587, host) ;
  srv("_imaps", domain, 0, "PH_IMAPS_PORT", 993, host) ;
  srv("_imap", domain, 10, "PH_IMAP_PORT", 143, host) ;
  if (!pop3) out("; POP3 is not offered (ENABLE_POP3=0): RFC 6186 §3.4's \".\" target says so\n") ;
  srv("_pop3s", domain, 20, "PH_POP3S_PORT", 995, pop3 ? host : 0) ;
  srv("_pop3", domain, 30, "PH_POP3_PORT", 110, pop3 ? host : 0) ;
  out("; autoconfig (Thunderbird), autodiscover (Outlook) and the MTA-STS policy: webd on this host\n") ;
  out("autoconfig.") ; out(domain) ; out(". IN CNAME ") ; out(host) ; out(".\n") ;
  out("autodiscover.") ; out(domain) ; out(". IN CNAME ") ; out(host) ; out(".\n") ;
  out("mta-sts.") ; out(domain) ; out(". IN CNAME ") ; out(host) ; out(".\n") ;
}

/* PTR: RFC 1035 §3.5 (in-addr.arpa), RFC 3596 §2.5 (ip6.arpa nibbles). */
static void ptr_one (ip46full const *ip, char const *host)
{
  static char const hex[] = "0123456789abcdef" ;
  unsigned char const *a = (unsigned char const *)ip->ip ;
  char name[80] ;
  size_t n = 0 ;
  if (ip->is6)
  {
    for (int i = 15 ; i >= 0 ; i--)
    {
      name[n++] = hex[a[i] & 15] ; name[n++] = '.' ;
      name[n++] = hex[a[i] >> 4] ; name[n++] = '.' ;
    }
    memcpy(name + n, "ip6.arpa", 9) ;
  }
  else
  {
    for (int i = 3 ; i >= 0 ; i--) { n += uint_fmt(name + n, a[i]) ; name[n++] = '.' ; }
    memcpy(name + n, "in-addr.arpa", 13) ;
  }
  out(name) ; out(". IN PTR ") ; out(host) ; out(".\n") ;
}

static void ptr (char const *host)
{
  static mccheck c = { .ctx = 0, .resolver = DNS_ZERO, .host = 0, .nip = 0, .problems = 0, .temporary = 0 } ;
  char const *x = config_get("PH_PUBLIC_IP") ;
  ip46full ip[CHECK_ADDR_MAX] ;
  unsigned int n = 0 ;
  out("; reverse DNS, set by whoever runs the address (the hosting provider): each public address names this host\n") ;
  if (x)
  {
    char const *s = x ;
    while (*s && n < CHECK_ADDR_MAX)
    {
      size_t len ;
      while (*s == ',' || *s == ' ') s++ ;
      if (!*s) break ;
      len = ip46full_scan(s, ip + n) ;
      if (!len || (s[len] && s[len] != ',' && s[len] != ' '))
        strerr_dief2x(100, "PH_PUBLIC_IP is not a list of addresses: ", x) ;
      n++ ;
      s += len ;
    }
  }
  else
  {
    static uint16_t const types[2] = { DNS_T_A, DNS_T_AAAA } ;
    tain_now_set_stopwatch_g() ;
    if (!dns_init(&c.resolver)) strerr_diefu1sys(111, "set up the resolver (PH_DNS_RESOLVER, /etc/resolv.conf)") ;
    for (unsigned int t = 0 ; t < 2 ; t++)
    {
      dns_query q = DNS_QUERY_ZERO ;
      size_t pos = 0, len ;
      char const *rd ;
      int st = check_ask(&c, &q, host, types[t]) ;
      if (st != DNS_OK && st != DNS_NODATA && st != DNS_NXDOMAIN)
      {
        out("; (the ") ; out(t ? "AAAA" : "A") ; out(" question for ") ; out(host) ;
        out(" got no answer: ") ; out(dns_status_str(st)) ; out(")\n") ;
      }
      while (n < CHECK_ADDR_MAX && dns_record_next(&q, &pos, &rd, &len))
      {
        if (len != (t ? 16u : 4u)) continue ;
        if (t) ip46full_from_ip6(ip + n, rd) ; else ip46full_from_ip4(ip + n, rd) ;
        n++ ;
      }
      dns_query_free(&q) ;
    }
    dns_free(&c.resolver) ;
  }
  if (!n)
  {
    out("; the public address is unknown: ") ; out(host) ;
    out(" has no address in the DNS and PH_PUBLIC_IP is not set; whatever it is, its PTR must name ") ; out(host) ; out("\n") ;
    return ;
  }
  if (!x) { out("; (the addresses ") ; out(host) ; out(" resolves to; set PH_PUBLIC_IP if the public one differs)\n") ; }
  for (unsigned int i = 0 ; i < n ; i++) ptr_one(ip + i, host) ;
}

static void domain_records (mcctx *ctx, char const *domain, char const *host)
{
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
  mtasts(domain, host) ;
  services(domain, host) ;
}

static void lower_domain (char const *s, char *domain)
{
  size_t n = strlen(s) ;
  if (!n || n > 253 || !addr_domain_valid(s, n, 0)) strerr_dief2x(100, "not a domain name: ", s) ;
  for (size_t i = 0 ; i <= n ; i++) domain[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i] ;
}

void mc_dns (mcctx *ctx, int argc, char const *const *argv)
{
  char host[256] ;
  if (argc > 1) strerr_dieusage(100, USAGE) ;
  lower_domain(config_hostname(), host) ;
  if (argc)
  {
    char domain[256] ;
    lower_domain(argv[0], domain) ;
    domain_records(ctx, domain, host) ;
  }
  else
  {
    stralloc names = STRALLOC_ZERO ;
    size_t n = mc_domains(ctx, &names) ;
    char const *d = names.s ;
    if (!n) strerr_dief1x(100, "no domain in postfix-accounts.cf or postfix-virtual.cf: name one") ;
    for (size_t i = 0 ; i < n ; i++, d += strlen(d) + 1)
    {
      if (i) out("\n") ;
      domain_records(ctx, d, host) ;
    }
    stralloc_free(&names) ;
  }
  ptr(host) ;
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
}
