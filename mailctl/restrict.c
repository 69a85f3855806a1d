/* ISC license. */

/* mailctl email restrict add|del|list send|receive [ADDRESS]:
 * docker-mailserver's `setup email restrict` (target/bin/restrict-access).
 * It keeps Postfix access(5) tables in the config folder:
 *   send     postfix-send-access.cf     (check_sender_access: submitd
 *                                        refuses the sender at MAIL FROM)
 *   receive  postfix-receive-access.cf  (check_recipient_access: smtpd
 *                                        and submitd refuse it at RCPT)
 * `add` appends "ADDRESS \t\t REJECT", the line setup writes, and
 * recompiles the maps (sendaccess.cdb, rcptaccess.cdb: mailctl/dms.h),
 * which the daemons pick up by themselves; `del` drops the lines whose
 * key is ADDRESS (setup drops every line starting with it, a prefix
 * match that would also take "ADDRESS.other"; here only that key);
 * `list` prints the REJECT lines, as setup's grep does. ADDRESS is an
 * address or a domain (Postfix's other access keys), lower-cased. */

#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/addr.h"
#include "mailctl.h"
#include "setup.h"

#define USAGE "mailctl email restrict add|del send|receive ADDRESS | email restrict list send|receive"
#define dieusage() strerr_dieusage(100, USAGE)
#define dienomem() strerr_diefu1sys(111, "allocate memory")

static void out (char const *s, size_t n)
{
  if (buffer_put(buffer_1, s, n) < 0) strerr_diefu1sys(111, "write to stdout") ;
}

/* An address (user@domain) or a domain, lower-cased into key. */
static void access_key (char const *s, char *key)
{
  size_t n = strlen(s) ;
  char const *why = "not an address or a domain name" ;
  if (memchr(s, '@', n))
  {
    if (mc_addrkey(s, n, MC_TARGET, key, &why)) return ;
  }
  else if (n && n <= ADDR_DOMAIN_MAX && addr_domain_valid(s, n, 1))
  {
    for (size_t i = 0 ; i <= n ; i++) key[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i] ;
    return ;
  }
  strerr_dief4x(100, "invalid address ", s, ": ", why) ;
}

static void list (mcfile const *f, char const *what)
{
  int any = 0 ;
  for (size_t i = 0 ; i < mc_nlines(f) ; i++)
  {
    mcline const *l = mc_line(f, i) ;
    char const *s = mc_str(f, l->raw) ;
    if (l->rawlen < 6) continue ;
    for (size_t j = 0 ; j + 6 <= l->rawlen ; j++)
      if (!memcmp(s + j, "REJECT", 6))
      {
        out(s, l->rawlen) ;
        out("\n", 1) ;
        any = 1 ;
        break ;
      }
  }
  if (!any)
  {
    out("Everyone is allowed to ", 23) ;
    out(what, strlen(what)) ;
    out(" mails\n", 7) ;
  }
}

static void recompile (mcctx *ctx)
{
  mc_load(ctx) ;
  mc_compile(&ctx->accounts, &ctx->virtual, &ctx->quotas, ctx->cdbdir) ;
}

void mc_restrict (mcctx *ctx, int argc, char const *const *argv)
{
  stralloc path = STRALLOC_ZERO ;
  mcfile f = MCFILE_ZERO ;
  char key[ADDR_PATH_MAX + 3] ;
  char const *name ;
  if (argc < 2) dieusage() ;
  if (!strcmp(argv[1], "send")) name = "postfix-send-access.cf" ;
  else if (!strcmp(argv[1], "receive")) name = "postfix-receive-access.cf" ;
  else dieusage() ;
  if (!strcmp(argv[0], "list"))
  {
    if (argc != 2) dieusage() ;
    mc_map_open(ctx, name, &path, &f) ;
    list(&f, argv[1]) ;
    if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
  }
  else if (!strcmp(argv[0], "add"))
  {
    stralloc line = STRALLOC_ZERO ;
    if (argc != 3) dieusage() ;
    access_key(argv[2], key) ;
    mc_lock(ctx) ;
    mc_map_open(ctx, name, &path, &f) ;
    if (mc_map_find(&f, key, 0) >= 0)
      strerr_dief4x(1, "user ", key, " already denied to ", argv[1]) ;
     /* setup's `echo -e "${USER} \t\t REJECT"` */
    if (!stralloc_cats(&line, key) || !stralloc_cats(&line, " \t\t REJECT")) dienomem() ;
    mc_file_addline(&f, line.s, line.len) ;
    mc_file_write(&f, 0644) ;
    recompile(ctx) ;
    stralloc_free(&line) ;
  }
  else if (!strcmp(argv[0], "del"))
  {
    int found = 0 ;
    if (argc != 3) dieusage() ;
    access_key(argv[2], key) ;
    mc_lock(ctx) ;
    mc_map_open(ctx, name, &path, &f) ;
    for (long i = mc_map_find(&f, key, 0) ; i >= 0 ; i = mc_map_find(&f, key, (size_t)i + 1))
    {
      mc_line(&f, i)->deleted = 1 ;
      found = 1 ;
    }
    if (!found) strerr_dief3x(1, "user ", key, " not found") ;
    mc_file_write(&f, 0644) ;
    recompile(ctx) ;
  }
  else dieusage() ;
  stralloc_free(&path) ;
  stralloc_free(&f.storage) ;
  genalloc_free(mcline, &f.lines) ;
}
