/* ISC license. */

/* mailctl config dkim [keysize N] [selector S] [domain D[,D...]]:
 * docker-mailserver's `setup config dkim` (target/bin/open-dkim), as
 * `mailctl dkim keygen` for each domain (mailctl/dkim.c: the same
 * OpenDKIM layout, KeyTable and SigningTable lines, an existing key
 * kept). Options in any order, as setup has them; keysize 1024, 2048
 * (default) or 4096, selector "mail" by default; without `domain`,
 * every domain of postfix-accounts.cf and postfix-virtual.cf (setup's
 * ACCOUNT_PROVISIONER=FILE), which is keygen's own default. */

#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "setup.h"

#define USAGE "mailctl config dkim [keysize 1024|2048|4096] [selector SELECTOR] [domain DOMAIN[,DOMAIN...]]"
#define dieusage() strerr_dieusage(100, USAGE)
#define dienomem() strerr_diefu1sys(111, "allocate memory")

static void keygen_all (mcctx *ctx, char const *selector, char const *bits)
{
  stralloc names = STRALLOC_ZERO ;
  size_t n ;
  char const *d ;
  mc_lock(ctx) ;
  n = mc_domains(ctx, &names) ;
  if (!n) strerr_dief1x(100, "no domain: add an account first, or name the domain") ;
  d = names.s ;
  for (size_t j = 0 ; j < n ; j++, d += strlen(d) + 1)
  {
    char const *argv[5] = { "keygen", d, selector, "rsa", bits } ;
    mc_dkim(ctx, 5, argv) ;
  }
  stralloc_free(&names) ;
}

static void keygen_list (mcctx *ctx, char const *list, char const *selector, char const *bits)
{
  stralloc d = STRALLOC_ZERO ;
  unsigned int n = 0 ;
  while (*list)
  {
    size_t len = strcspn(list, ",") ;
    size_t a = 0, b = len ;
    while (a < b && list[a] == ' ') a++ ;
    while (b > a && list[b - 1] == ' ') b-- ;
    if (b > a)
    {
      char const *argv[5] = { "keygen", 0, selector, "rsa", bits } ;
      d.len = 0 ;
      if (!stralloc_catb(&d, list + a, b - a) || !stralloc_0(&d)) dienomem() ;
      argv[1] = d.s ;
      mc_dkim(ctx, 5, argv) ;
      n++ ;
    }
    list += len ;
    if (*list) list++ ;
  }
  if (!n) strerr_dief1x(100, "no domain given after domain") ;
  stralloc_free(&d) ;
}

void mc_config (mcctx *ctx, int argc, char const *const *argv)
{
  char const *bits = "2048", *selector = "mail", *domains = 0 ;
  if (argc < 1 || strcmp(argv[0], "dkim")) dieusage() ;
  for (int i = 1 ; i < argc ; i += 2)
  {
    if (i + 1 >= argc) strerr_dief3x(100, "no value after ", argv[i], ": " USAGE) ;
    if (!strcmp(argv[i], "keysize")) bits = argv[i + 1] ;
    else if (!strcmp(argv[i], "selector")) selector = argv[i + 1] ;
    else if (!strcmp(argv[i], "domain")) domains = argv[i + 1] ;
    else strerr_dief3x(100, "unknown option ", argv[i], ": " USAGE) ;
  }
   /* setup's three sizes; keygen would take any size in 1024..4096 */
  if (strcmp(bits, "1024") && strcmp(bits, "2048") && strcmp(bits, "4096"))
    strerr_dief2x(100, "keysize must be 1024, 2048 or 4096, not ", bits) ;
  if (domains) keygen_list(ctx, domains, selector, bits) ;
  else keygen_all(ctx, selector, bits) ;
}
