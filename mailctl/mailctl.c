/* ISC license. */

/* mailctl: the administration tool (docker-mailserver's `setup`).
 *
 * Security: run by root (or the admin who owns the config folder and
 * PH_CDB_DIR). It trusts its command line, its environment and the text
 * files in PH_CONFIG_DIR, which are the admin's own; it still validates
 * every address, since what it writes is read by the daemons. It writes
 * in PH_CONFIG_DIR postfix-accounts.cf, postfix-virtual.cf,
 * dovecot-quotas.cf, postfix-send-access.cf, postfix-receive-access.cf,
 * postfix-relaymap.cf, postfix-sasl-password.cf (group phremote), the
 * DKIM keys under opendkim/ (owner phdkim) and the self-signed TLS
 * certificate; the directory $PH_STATE/quota (vmail's), the TLS ticket
 * key, and the compiled maps in PH_CDB_DIR (passwd.cdb and masters.cdb
 * readable by group phauth only). It reads the DKIM private keys (check,
 * dns), the logs under $PH_STATE/log, and talks to queued's control
 * socket and banwatch's socket as root. It is not setuid and no daemon
 * runs it (confwatch, as root, runs `mailctl update`): a compromise of
 * it is a compromise of the admin account that ran it. */

#include <string.h>
#include <fcntl.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/config.h"
#include "mailctl.h"
#include "mailctl-internal.h"
#include "cmd_queue.h"
#include "ban.h"
#include "spam.h"
#include "dns.h"
#include "envnames.h"
#include "check.h"
#include "setup.h"

#define USAGE "mailctl email add|update ADDRESS [PASSWORD] | email del ADDRESS | email list | alias add|del ALIAS TARGET | alias list | quota set ADDRESS SIZE | quota del ADDRESS | update | tls selfsigned [-f] [-k ec|rsa] [FQDN] | tls ticketkey [-f] | queue list|flush | queue show|retry|delete|hold|release ID | dkim keygen [DOMAIN] [SELECTOR] [rsa|ed25519] [BITS] | dkim list | dns [DOMAIN] | check [DOMAIN] | ban list | ban add IP[/BITS] [DURATION] | ban del IP[/BITS] | fail2ban ban|unban IP | fail2ban status | spam learn spam|ham USER < MESSAGE | envcheck | email restrict add|del send|receive ADDRESS | email restrict list send|receive | relay add-domain DOMAIN HOST [PORT] | relay exclude-domain DOMAIN | relay add-auth DOMAIN USER [PASSWORD] | config dkim [keysize N] [selector S] [domain D[,D...]] | debug show-mail-logs [LINES] | log QUEUEID"
#define dieusage() strerr_dieusage(100, USAGE)

static void path_in (stralloc *sa, char const *dir, char const *name)
{
  if (!stralloc_cats(sa, dir) || !stralloc_catb(sa, "/", 1)
   || !stralloc_cats(sa, name) || !stralloc_0(sa))
    strerr_diefu1sys(111, "allocate memory") ;
}

/* One mailctl at a time edits the files and the maps: two concurrent
 * "email add" would otherwise each rewrite the file without the other's
 * line. The lock lives in PH_CDB_DIR, which mailctl owns, not in the
 * config folder, which is the admin's. It is released at exit. */
void mc_lock (mcctx *ctx)
{
  stralloc sa = STRALLOC_ZERO ;
  int fd ;
  path_in(&sa, ctx->cdbdir, ".mailctl.lock") ;
  fd = open(sa.s, O_RDWR | O_CREAT | O_CLOEXEC, 0600) ;
  if (fd < 0) strerr_diefu2sys(111, "open ", sa.s) ;
  if (fd_lock(fd, 1, 0) < 1) strerr_diefu2sys(111, "lock ", sa.s) ;
  stralloc_free(&sa) ;
}

void mc_load (mcctx *ctx)
{
  mc_file_read(&ctx->accounts, ctx->accpath.s) ;
  mc_accounts_parse(&ctx->accounts) ;
  mc_file_read(&ctx->virtual, ctx->virtpath.s) ;
  mc_virtual_parse(&ctx->virtual) ;
  mc_file_read(&ctx->quotas, ctx->quotapath.s) ;
  mc_quotas_parse(&ctx->quotas) ;
}

int main (int argc, char const *const *argv)
{
  /* static: what it holds lives until exit, and stays reachable for
   * leak checkers when main returns */
  static mcctx ctx = MCCTX_ZERO ;
  PROG = "mailctl" ;
  if (argc < 2) dieusage() ;
  if (!strcmp(argv[1], "queue")) return mc_queue(argc - 2, argv + 2) ;
  if (!strcmp(argv[1], "ban") || !strcmp(argv[1], "fail2ban")) return mc_ban(argc - 1, argv + 1) ;
  if (!strcmp(argv[1], "spam")) return mc_spam(argc - 2, argv + 2) ;
  if (!strcmp(argv[1], "envcheck")) return mc_envcheck(argc - 2, argv + 2) ;
  if (!config_init())
  {
    if (config_error_line()) strerr_dief1x(100, "syntax error in $PH_ENVFILE") ;
    strerr_diefu1sys(111, "read $PH_ENVFILE") ;
  }
  if (!strcmp(argv[1], "log")) return mc_log(argc - 2, argv + 2) ;
  if (!strcmp(argv[1], "debug")) return mc_debug(argc - 2, argv + 2) ;
  ctx.confdir = config_get("PH_CONFIG_DIR") ;
  if (!ctx.confdir) strerr_dienotset(100, "PH_CONFIG_DIR") ;
  ctx.cdbdir = config_get("PH_CDB_DIR") ;
  if (!ctx.cdbdir) strerr_dienotset(100, "PH_CDB_DIR") ;
  path_in(&ctx.accpath, ctx.confdir, "postfix-accounts.cf") ;
  path_in(&ctx.virtpath, ctx.confdir, "postfix-virtual.cf") ;
  path_in(&ctx.quotapath, ctx.confdir, "dovecot-quotas.cf") ;

  if (!strcmp(argv[1], "email") && argc > 2 && !strcmp(argv[2], "restrict")) mc_restrict(&ctx, argc - 3, argv + 3) ;
  else if (!strcmp(argv[1], "relay")) mc_relay(&ctx, argc - 2, argv + 2) ;
  else if (!strcmp(argv[1], "config")) mc_config(&ctx, argc - 2, argv + 2) ;
  else if (!strcmp(argv[1], "email")) mc_email(&ctx, argc - 2, argv + 2) ;
  else if (!strcmp(argv[1], "alias")) mc_alias(&ctx, argc - 2, argv + 2) ;
  else if (!strcmp(argv[1], "tls")) mc_tls(&ctx, argc - 2, argv + 2) ;
  else if (!strcmp(argv[1], "quota")) mc_quota(&ctx, argc - 2, argv + 2) ;
  else if (!strcmp(argv[1], "dkim")) mc_dkim(&ctx, argc - 2, argv + 2) ;
  else if (!strcmp(argv[1], "dns")) mc_dns(&ctx, argc - 2, argv + 2) ;
  else if (!strcmp(argv[1], "check")) mc_check(&ctx, argc - 2, argv + 2) ;
  else if (!strcmp(argv[1], "update"))
  {
    if (argc != 2) dieusage() ;
    mc_lock(&ctx) ;
    mc_load(&ctx) ;
    mc_compile(&ctx.accounts, &ctx.virtual, &ctx.quotas, ctx.cdbdir) ;
  }
  else dieusage() ;
  return 0 ;
}
