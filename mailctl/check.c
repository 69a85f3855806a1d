/* ISC license. */

/* mailctl check [DOMAIN]: asks the real DNS (or PH_DNS_RESOLVER) and
 * the live listeners whether the world agrees with this server, and
 * says each disagreement in one plain sentence on stdout:
 *   - the host name resolves, to PH_PUBLIC_IP when that is set;
 *   - each server address has a PTR naming the host name, and that
 *     name resolves back to the address (forward-confirmed reverse DNS,
 *     what receivers check first);
 *   - the domain's MX names this host;
 *   - every DKIM key of KeyTable for the domain is published, and the
 *     published key is the public half of the private key file;
 *   - the domain publishes a DMARC record;
 *   - the certificate (SSL_TYPE) is valid for the host name and not
 *     near its end;
 *   - every listener answers;
 *   - last, the domain's SPF record lets the server's address send
 *     (RFC 7208 check_host with our address as the client).
 * Without DOMAIN, every domain of domains.cdb is checked (the host's
 * own checks once). Exit 0: all good; 1: something is wrong; 111:
 * nothing wrong found, but some question got no answer now. */

#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/cdb.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/dns.h"
#include "check.h"

#define USAGE "mailctl check [DOMAIN]"
#define DOMAINS_MAX 1000

static void out (char const *s)
{
  if (buffer_puts(buffer_1, s) < 0) strerr_diefu1sys(111, "write to stdout") ;
}

void check_problem (mccheck *c, char const *const *pieces, unsigned int n)
{
  for (unsigned int i = 0 ; i < n ; i++) out(pieces[i]) ;
  out("\n") ;
  c->problems++ ;
}

void check_temporary (mccheck *c, char const *what, char const *name, int status)
{
  out("Could not check ") ; out(what) ; out(" now: the question for ") ; out(name) ;
  out(" got no answer (") ; out(dns_status_str(status)) ; out("); try again later.\n") ;
  c->temporary++ ;
}

static int domain_lower (char const *s, char *d)
{
  size_t n = strlen(s) ;
  if (n && s[n-1] == '.') n-- ;
  if (!n || n > 253 || !addr_domain_valid(s, n, 0)) return 0 ;
  for (size_t i = 0 ; i < n ; i++) d[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i] ;
  d[n] = 0 ;
  return 1 ;
}

/* The local domains, text0 into sa: the keys of domains.cdb. */
static unsigned int local_domains (mccheck *c, stralloc *sa)
{
  stralloc path = STRALLOC_ZERO ;
  cdb db = CDB_ZERO ;
  cdb_data key, data ;
  uint32_t pos ;
  unsigned int n = 0 ;
  if (!stralloc_cats(&path, c->ctx->cdbdir) || !stralloc_cats(&path, "/domains.cdb") || !stralloc_0(&path))
    strerr_diefu1sys(111, "allocate memory") ;
  if (!cdb_init(&db, path.s)) strerr_diefu2sys(111, "open ", path.s) ;
  cdb_traverse_init(&pos) ;
  for (;;)
  {
    int r = cdb_traverse_next(&db, &key, &data, &pos) ;
    if (r < 0) strerr_diefu2x(111, "read ", path.s) ;
    if (!r) break ;
    if (++n > DOMAINS_MAX) strerr_dief2x(100, "too many domains in ", path.s) ;
    if (!stralloc_catb(sa, key.s, key.len) || !stralloc_0(sa)) strerr_diefu1sys(111, "allocate memory") ;
  }
  cdb_free(&db) ;
  stralloc_free(&path) ;
  return n ;
}

/* The server's addresses: PH_PUBLIC_IP (comma or space separated),
 * else what the host name resolves to. */
static void public_addresses (mccheck *c)
{
  char const *x = config_get("PH_PUBLIC_IP") ;
  if (x)
  {
    char const *s = x ;
    while (*s && c->nip < CHECK_ADDR_MAX)
    {
      size_t len ;
      while (*s == ',' || *s == ' ') s++ ;
      if (!*s) break ;
      len = ip46full_scan(s, c->ip + c->nip) ;
      if (!len || (s[len] && s[len] != ',' && s[len] != ' '))
        strerr_dief2x(100, "PH_PUBLIC_IP is not a list of addresses: ", x) ;
      c->nip++ ;
      s += len ;
    }
  }
  else
  {
    int n = check_addresses(c, c->host, c->ip, CHECK_ADDR_MAX) ;
    if (n > 0) c->nip = (unsigned int)n ;
  }
}

void mc_check (mcctx *ctx, int argc, char const *const *argv)
{
  static mccheck c = { .ctx = 0, .resolver = DNS_ZERO, .host = 0, .nip = 0, .problems = 0, .temporary = 0 } ;
  stralloc domains = STRALLOC_ZERO ;
  char host[254] ;
  unsigned int ndomains ;
  if (argc > 1) strerr_dieusage(100, USAGE) ;
  c.ctx = ctx ;
  if (!domain_lower(config_hostname(), host))
    strerr_dief2x(100, "the host name is not a domain name: ", config_hostname()) ;
  c.host = host ;
  if (argc)
  {
    char d[254] ;
    if (!domain_lower(argv[0], d)) strerr_dief2x(100, "not a domain name: ", argv[0]) ;
    if (!stralloc_catb(&domains, d, strlen(d) + 1)) strerr_diefu1sys(111, "allocate memory") ;
    ndomains = 1 ;
  }
  else
  {
    ndomains = local_domains(&c, &domains) ;
    if (!ndomains) strerr_dief1x(100, "no local domain in domains.cdb: name one") ;
  }
  tain_now_set_stopwatch_g() ;
  if (!dns_init(&c.resolver)) strerr_diefu1sys(111, "set up the resolver (PH_DNS_RESOLVER, /etc/resolv.conf)") ;

  public_addresses(&c) ;
  check_host(&c) ;
  check_cert(&c) ;
  check_ports(&c) ;
  {
    char const *d = domains.s ;
    for (unsigned int i = 0 ; i < ndomains ; i++, d += strlen(d) + 1)
    {
      check_mx(&c, d) ;
      check_dkim(&c, d) ;
      check_dmarc(&c, d) ;
      check_spf(&c, d) ;
    }
  }
  if (!c.problems && !c.temporary)
  {
    out("All good: ") ; out(c.host) ;
    {
      char const *d = domains.s ;
      for (unsigned int i = 0 ; i < ndomains ; i++, d += strlen(d) + 1) { out(i ? ", " : " serving ") ; out(d) ; }
    }
    out(".\n") ;
  }
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
  dns_free(&c.resolver) ;
  stralloc_free(&domains) ;
  _exit(c.problems ? 1 : c.temporary ? 111 : 0) ;
}
