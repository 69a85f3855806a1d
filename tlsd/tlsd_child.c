/* ISC license. */

#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>

#include "common/log.h"
#include "tlsd.h"

/* tlsd's child, the future TLS engine. In order:
 *   1. as root: read the settings and open the certificate, key and
 *      ticket key files (so a renewed certificate is served by the next
 *      connection, and root never parses anything);
 *   2. drop to the TLS ids (checked);
 *   3. check that the default chain's files look usable (tlsd_pem.c) and
 *      that the engine binary is there;
 *   4. STARTTLS mode: write the readiness byte, then wait for the app's
 *      'Y' on the control socket (EOF: the session ended without TLS);
 *   5. exec tlsd-io, which inherits the open files and is the only
 *      program that links OpenSSL.
 * So a session that never says STARTTLS never loads the TLS library:
 * its cost is a fork, a few open(2)s and the drop. With a configuration
 * error the child exits before its readiness byte: the parent then runs
 * the app without the UCSPI-TLS variables (no STARTTLS offered) or, in
 * implicit mode, ends the connection. */

#define ENGINE "tlsd-io"

static tlsd_conf conf ;

/* tlsd-io sits beside tlsd (build/bin, $PH_STATE/bin, libexec). */
static void engine_path (char *path)
{
  ssize_t r = readlink("/proc/self/exe", path, TLSD_PATH_MAX - sizeof(ENGINE) - 1) ;
  size_t i ;
  if (r <= 0 || (size_t)r >= TLSD_PATH_MAX - sizeof(ENGINE) - 1)
    strerr_diefu1sys(111, "find the TLS engine: readlink /proc/self/exe") ;
  i = (size_t)r ;
  while (i && path[i-1] != '/') i-- ;
  memcpy(path + i, ENGINE, sizeof(ENGINE)) ;
}

/* ---- the engine's command line (tlsd_io.c reads it)
 *   tlsd-io -v verbosity -T secs -t secs [ -I ] [ -O ] [ -k ticketfd ]
 *           -c ctl,fromapp,toapp -p cert,key [ -p cert,key ] [ -s name,cert,key ... ] */

#define ARGV_MAX (16 + 2 * 2 + 2 * TLSD_SNI_MAX)
#define ARGS_MAX (8 * UINT_FMT + 3 * 3 * UINT_FMT + TLSD_SNI_MAX * (TLSD_NAME_MAX + 2 * UINT_FMT + 3))

static char const *eargv[ARGV_MAX] ;
static unsigned int eargc = 0 ;
static char args[ARGS_MAX] ;
static size_t argslen = 0 ;

static void add (char const *s)
{
  eargv[eargc++] = s ;
}

/* Appends "a,b,c" (or a prefix then the numbers) to args and to argv. */
static void addnums (char const *prefix, int const *fds, unsigned int n)
{
  char *s = args + argslen ;
  size_t w = 0 ;
  unsigned int i = 0 ;
  if (prefix)
  {
    size_t len = strlen(prefix) ;
    memcpy(s, prefix, len) ;
    s[len] = ',' ;
    w = len + 1 ;
  }
  for (; i < n ; i++)
  {
    if (i) s[w++] = ',' ;
    w += uint_fmt(s + w, (unsigned int)fds[i]) ;
  }
  s[w++] = 0 ;
  argslen += w ;
  add(s) ;
}

static void pass (int fd)
{
  if (uncoe(fd) < 0) strerr_diefu1sys(111, "hand a file to the TLS engine") ;
}

static void addfiles (char const *opt, char const *name, tlsd_keyfiles const *kf)
{
  int fds[2] = { kf->cert, kf->key } ;
  pass(kf->cert) ;
  pass(kf->key) ;
  add(opt) ;
  addnums(name, fds, 2) ;
}

static void addnum (char const *opt, unsigned int u)
{
  char *s = args + argslen ;
  size_t w = uint_fmt(s, u) ;
  s[w++] = 0 ;
  argslen += w ;
  add(opt) ;
  add(s) ;
}

static void exec_engine (char const *, tlsd_childopts const *) gccattr_noreturn ;
static void exec_engine (char const *path, tlsd_childopts const *o)
{
  unsigned int i = 0 ;
  int pipes[3] = { o->ctl, o->fromapp, o->toapp } ;
  add(path) ;
  addnum("-v", o->verbosity) ;
  addnum("-T", o->handshakesecs) ;
  addnum("-t", o->idlesecs) ;
  if (conf.intermediate) add("-I") ;
  if (o->opportunistic) add("-O") ;
  if (conf.ticketfd >= 0)
  {
    pass(conf.ticketfd) ;
    addnum("-k", (unsigned int)conf.ticketfd) ;
  }
  add("-c") ;
  addnums(0, pipes, 3) ;
  for (; i < conf.nprimary ; i++) addfiles("-p", 0, conf.primary + i) ;
  for (i = 0 ; i < conf.nsni ; i++) addfiles("-s", conf.sni[i].name, &conf.sni[i].files) ;
  add(0) ;
  execv(path, (char *const *)eargv) ;
  strerr_diefu2sys(111, "exec ", path) ;
}

void tlsd_child (tlsd_childopts const *o)
{
  char path[TLSD_PATH_MAX] ;
  tlsd_conf_load(&conf) ;
  engine_path(path) ;
  tlsd_drop(o->uid, o->gid, o->hasids) ;
  if (!conf.ok) _exit(111) ;
  if (!tlsd_pem_check(conf.primary)
   || (conf.nprimary > 1 && !tlsd_pem_check(conf.primary + 1))) _exit(111) ;
  if (access(path, X_OK) < 0)
  {
    tlsd_log_configsys("unable to find the TLS engine", path) ;
    _exit(111) ;
  }

  if (!o->implicit)
  {
    char c ;
    ssize_t r ;
    if (fd_write(o->ready, "", 1) != 1) _exit(111) ;
    fd_close(o->ready) ;
    /* Nothing is read from the client until the app asks: the socket
     * still belongs to the app, and its flags with it. */
    do r = read(o->ctl, &c, 1) ; while (r < 0 && errno == EINTR) ;
    if (!r) _exit(0) ;  /* the app ended without STARTTLS */
    if (r < 0) strerr_diefu1sys(111, "read the control socket") ;
    if (c != 'Y' && c != 'y')
    {
      log_event2("tls_ctl_error", "ip", tlsd_ip, "reason", "unknown command on the control socket") ;
      _exit(100) ;
    }
  }
  exec_engine(path, o) ;
}
