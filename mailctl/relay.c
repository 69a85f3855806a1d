/* ISC license. */

/* mailctl relay: docker-mailserver's `setup relay` (target/bin/
 * addrelayhost, addsaslpassword, excluderelaydomain), the sender-
 * dependent smarthost tables that deliverd-remote reads at every request
 * (deliverd/README-remote.md, "Smarthost"):
 *   relay add-domain DOMAIN HOST [PORT]
 *       postfix-relaymap.cf "@DOMAIN\t\t[HOST]:PORT" (PORT 25): mail
 *       from DOMAIN goes through HOST, without MX lookup
 *   relay exclude-domain DOMAIN
 *       postfix-relaymap.cf "@DOMAIN" alone: mail from DOMAIN does not
 *       take RELAY_HOST
 *   relay add-auth DOMAIN USER [PASSWORD]
 *       postfix-sasl-password.cf "@DOMAIN\t\tUSER:PASSWORD": what
 *       deliverd-remote logs in with for mail from DOMAIN (the password
 *       from stdin when not given: an argument shows in ps)
 * As setup does, a line for @DOMAIN already there is replaced (the
 * first; deliverd-remote reads the first match only, so later
 * duplicates go too), else the line is appended. A new password file
 * is 0640 group phremote (deliverd-remote reads it, nobody else), an
 * existing one keeps its owner and mode. */

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/ip46.h>
#include <skalibs/types.h>

#include "common/addr.h"
#include "mailctl.h"
#include "setup.h"

#define USAGE "mailctl relay add-domain DOMAIN HOST [PORT] | relay exclude-domain DOMAIN | relay add-auth DOMAIN USER [PASSWORD]"
#define dieusage() strerr_dieusage(100, USAGE)
#define dienomem() strerr_diefu1sys(111, "allocate memory")
#define CRED_MAX 255   /* deliverd-remote's REMOTE_CRED_MAX */

/* "@domain", lower-cased, into key */
static void sender_key (char const *domain, char *key)
{
  size_t n = strlen(domain) ;
  if (!n || n > ADDR_DOMAIN_MAX || !addr_domain_valid(domain, n, 1))
    strerr_dief2x(100, "invalid domain: ", domain) ;
  key[0] = '@' ;
  for (size_t i = 0 ; i <= n ; i++) key[i + 1] = domain[i] >= 'A' && domain[i] <= 'Z' ? domain[i] + ('a' - 'A') : domain[i] ;
}

/* Replaces the first line for key with line, drops the others, or
 * appends line. */
static void put (mcfile *f, char const *key, stralloc const *line)
{
  long i = mc_map_find(f, key, 0) ;
  if (i < 0) { mc_file_addline(f, line->s, line->len) ; return ; }
  mc_file_setraw(f, (size_t)i, line->s, line->len) ;
  for (long j = mc_map_find(f, key, (size_t)i + 1) ; j >= 0 ; j = mc_map_find(f, key, (size_t)j + 1))
    mc_line(f, j)->deleted = 1 ;
}

/* A value deliverd-remote reads back as it was written: no blank at
 * either end (trimmed there), no control byte (a line end would start
 * another entry). */
static void check_value (char const *what, char const *s, int spaces_ok)
{
  size_t n = strlen(s) ;
  if (!n) strerr_dief2x(100, what, " is empty") ;
  if (n > CRED_MAX) strerr_dief2x(100, what, " is longer than 255 bytes") ;
  for (size_t i = 0 ; i < n ; i++)
    if ((unsigned char)s[i] < 32 || s[i] == 127 || (!spaces_ok && s[i] == ' '))
      strerr_dief2x(100, what, spaces_ok ? " holds a control character" : " holds a space or a control character") ;
  if (s[0] == ' ' || s[n - 1] == ' ') strerr_dief2x(100, what, " starts or ends with a space") ;
}

/* What deliverd-remote's remote_nexthop_parse takes between brackets:
 * an IP address (IPv6 with or without Postfix's "ipv6:") or a host
 * name, which may have UTF-8 labels (deliverd-remote looks it up by its
 * A-labels, deliverd/README-remote.md "Internationalized domains"). */
static int host_ok (char const *h, size_t n)
{
  char buf[ADDR_DOMAIN_MAX + 1] ;
  ip46 ip ;
  if (!n || n > ADDR_DOMAIN_MAX) return 0 ;
  if (addr_domain_valid(h, n, 1)) return 1 ;
  if (n > 5 && !strncasecmp(h, "ipv6:", 5)) { h += 5 ; n -= 5 ; if (!memchr(h, ':', n)) return 0 ; }
  memcpy(buf, h, n) ;
  buf[n] = 0 ;
  return ip46_scan(buf, &ip) == n ;
}

/* Sets key's line in postfix-relaymap.cf (0644: deliverd-remote reads
 * it), under the config lock. */
static void relaymap_put (mcctx *ctx, char const *key, stralloc *line)
{
  stralloc path = STRALLOC_ZERO ;
  mcfile f = MCFILE_ZERO ;
  mc_lock(ctx) ;
  mc_map_open(ctx, "postfix-relaymap.cf", &path, &f) ;
  put(&f, key, line) ;
  mc_file_write(&f, 0644) ;
  stralloc_free(&path) ;
  stralloc_free(&f.storage) ; genalloc_free(mcline, &f.lines) ;
}

static void add_domain (mcctx *ctx, int argc, char const *const *argv)
{
  char key[ADDR_DOMAIN_MAX + 2] ;
  char port[UINT_FMT] ;
  stralloc line = STRALLOC_ZERO ;
  unsigned int p = 25 ;
  size_t hl ;
  if (argc < 2 || argc > 3) dieusage() ;
  sender_key(argv[0], key) ;
  hl = strlen(argv[1]) ;
  if (!host_ok(argv[1], hl))
    strerr_dief2x(100, "invalid relay host (a host name, an IP address, or ipv6:ADDRESS): ", argv[1]) ;
  if (argc == 3 && (!uint0_scan(argv[2], &p) || !p || p > 65535))
    strerr_dief2x(100, "invalid port: ", argv[2]) ;
  port[uint_fmt(port, p)] = 0 ;
  if (!stralloc_cats(&line, key) || !stralloc_cats(&line, "\t\t[") || !stralloc_cats(&line, argv[1])
   || !stralloc_cats(&line, "]:") || !stralloc_cats(&line, port)) dienomem() ;
  relaymap_put(ctx, key, &line) ;
  stralloc_free(&line) ;
}

static void exclude_domain (mcctx *ctx, int argc, char const *const *argv)
{
  char key[ADDR_DOMAIN_MAX + 2] ;
  stralloc line = STRALLOC_ZERO ;
  if (argc != 1) dieusage() ;
  sender_key(argv[0], key) ;
  if (!stralloc_cats(&line, key)) dienomem() ;
  relaymap_put(ctx, key, &line) ;
  stralloc_free(&line) ;
}

static void add_auth (mcctx *ctx, int argc, char const *const *argv)
{
  char key[ADDR_DOMAIN_MAX + 2] ;
  char pass[512] ;   /* mc_password_read's bound; check_value's is CRED_MAX */
  stralloc path = STRALLOC_ZERO, line = STRALLOC_ZERO ;
  mcfile f = MCFILE_ZERO ;
  int existed ;
  if (argc < 2 || argc > 3) dieusage() ;
  sender_key(argv[0], key) ;
  check_value("the user name", argv[1], 0) ;
  if (strchr(argv[1], ':')) strerr_dief1x(100, "the user name holds a ':' (user:password is split at the first)") ;
  if (argc == 3)
  {
    size_t n = strlen(argv[2]) ;
    if (n >= sizeof(pass)) strerr_dief1x(100, "the password is longer than 255 bytes") ;
    memcpy(pass, argv[2], n + 1) ;
  }
  else
  {
    size_t n ;
    mc_password_read(pass, sizeof(pass), &n) ;
    pass[n] = 0 ;
  }
  check_value("the password", pass, 1) ;
  if (!stralloc_cats(&line, key) || !stralloc_cats(&line, "\t\t") || !stralloc_cats(&line, argv[1])
   || !stralloc_catb(&line, ":", 1) || !stralloc_cats(&line, pass)) dienomem() ;
  explicit_bzero(pass, sizeof(pass)) ;
  mc_lock(ctx) ;
  mc_map_open(ctx, "postfix-sasl-password.cf", &path, &f) ;
  existed = access(path.s, F_OK) == 0 ;
  put(&f, key, &line) ;
  mc_file_write(&f, 0600) ;
  if (!existed)
  {
    struct group *gr = getgrnam("phremote") ;
    if (!gr) strerr_warnw3x("group phremote does not exist: ", path.s, " left 0600: deliverd-remote cannot read it") ;
    else if (chown(path.s, (uid_t)-1, gr->gr_gid) < 0 || chmod(path.s, 0640) < 0)
      strerr_warnwu3sys("make ", path.s, " 0640 group phremote") ;
  }
  explicit_bzero(line.s, line.len) ;
  explicit_bzero(f.storage.s, f.storage.len) ;
  stralloc_free(&path) ; stralloc_free(&line) ;
  stralloc_free(&f.storage) ; genalloc_free(mcline, &f.lines) ;
}

void mc_relay (mcctx *ctx, int argc, char const *const *argv)
{
  if (argc < 1) dieusage() ;
  if (!strcmp(argv[0], "add-domain")) add_domain(ctx, argc - 1, argv + 1) ;
  else if (!strcmp(argv[0], "exclude-domain")) exclude_domain(ctx, argc - 1, argv + 1) ;
  else if (!strcmp(argv[0], "add-auth")) add_auth(ctx, argc - 1, argv + 1) ;
  else dieusage() ;
}
