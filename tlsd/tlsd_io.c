/* ISC license. */

/* tlsd-io: tlsd's TLS engine, server side (after s6-networking's
 * s6-tlsd-io), the only program of the server side that links OpenSSL.
 *
 *   tlsd-io -v verbosity -T secs -t secs [ -I ] [ -O ] [ -k ticketfd ]
 *           -c ctl,fromapp,toapp -p cert,key [ -p cert,key ]
 *           [ -s name,cert,key ... ]
 *
 * Not run by hand: tlsd's child execs it (tlsd_child.c), in STARTTLS
 * mode only once the app has asked for TLS, with the client on fds 0
 * and 1, the control socket and the two pipes to the app, and the
 * certificate, key and ticket key files already open (-p: the default
 * chain and its alternative; -s: a chain for an SNI name; -k: the
 * ticket key, checked for size and mode). -I: TLS_LEVEL=intermediate.
 * -O: the MX port's opportunistic list, which TLS_LEVEL does not change
 * (tlsd -O; tlsd_ctx.c).
 * It builds the context, handshakes at once, writes the report on the
 * control socket, and relays.
 *
 * Security: runs as phtls (tlsd's child dropped to it before the exec;
 * this program refuses root). It holds the private keys, the session
 * ticket key and the plaintext of one connection, and parses the keys
 * and everything the client sends before decryption. It trusts its
 * command line (tlsd's) and nothing the client sends. It writes no
 * file. A compromise gives the keys (and with the ticket key the
 * ability to decrypt resumed sessions recorded earlier, until it is
 * rotated) and that connection's plaintext; not the mail store, the
 * queue or any other connection. */

#include <string.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>

#include <openssl/ssl.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/log.h"
#include "common/nodump.h"
#include "tlsd_io.h"

#define USAGE "tlsd-io -v verbosity -T secs -t secs [ -I ] [ -O ] [ -k ticketfd ] -c ctl,fromapp,toapp -p cert,key [ -p cert,key ] [ -s name,cert,key ... ]"
#define dieusage() strerr_dieusage(100, USAGE)

static tlsd_conf conf ;

/* n fds, comma-separated, each open: "3,4,5". */
static void scanfds (char const *s, int *fds, unsigned int n)
{
  unsigned int i = 0 ;
  for (; i < n ; i++)
  {
    unsigned int u ;
    size_t len = uint_scan(s, &u) ;
    if (!len || u > 1023 || s[len] != (i + 1 < n ? ',' : 0)) dieusage() ;
    if (fcntl((int)u, F_GETFD) < 0) strerr_dief1sys(100, "not an open fd on the command line") ;
    fds[i] = (int)u ;
    s += len + 1 ;
  }
}

static void scanfiles (char const *s, tlsd_keyfiles *kf)
{
  int fds[2] ;
  scanfds(s, fds, 2) ;
  kf->cert = fds[0] ;
  kf->key = fds[1] ;
}

/* "name,cert,key": the name was checked by tlsd, and is checked again. */
static void scansni (char const *s)
{
  tlsd_sniname *e ;
  char const *comma = strchr(s, ',') ;
  size_t len = comma ? (size_t)(comma - s) : 0 ;
  if (!len || len > TLSD_NAME_MAX || conf.nsni >= TLSD_SNI_MAX) dieusage() ;
  e = conf.sni + conf.nsni ;
  memcpy(e->name, s, len) ;
  e->name[len] = 0 ;
  {
    char check[TLSD_NAME_MAX + 1] ;
    if (!tlsd_name_valid(e->name, check) || strcmp(check, e->name)) dieusage() ;
  }
  scanfiles(comma + 1, &e->files) ;
  conf.nsni++ ;
}

/* The ticket key's size and mode were checked by tlsd's child, as root,
 * on this very fd; a short read now only means no tickets. */
static void read_ticketkey (void)
{
  if (conf.ticketfd < 0) return ;
  if (pread(conf.ticketfd, conf.ticketkey, TLSD_TICKETKEY_LEN, 0) == TLSD_TICKETKEY_LEN) conf.hasticketkey = 1 ;
  else tlsd_log_configsys("unable to read the ticket key", 0) ;
  fd_close(conf.ticketfd) ;
  conf.ticketfd = -1 ;
}

static void refuse (void)
{
  _exit(111) ;
}

int main (int argc, char const *const *argv)
{
  unsigned int verbosity = 1, handshakesecs = 60, idlesecs = 3600 ;
  int pipes[3] = { -1, -1, -1 } ;
  SSL_CTX *ctx ;
  SSL *ssl ;
  tain deadline ;
  PROG = "tlsd" ;  /* its lines are tlsd's, for whoever reads the log */
  nodump() ;  /* other processes of this uid must not read our memory */
  conf.ok = 1 ;
  conf.ticketfd = -1 ;
  conf.primary[0].cert = conf.primary[0].key = -1 ;
  conf.primary[1].cert = conf.primary[1].key = -1 ;

  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "v:T:t:IOk:c:p:s:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'v' : if (!uint0_scan(l.arg, &verbosity)) dieusage() ; break ;
        case 'T' : if (!uint0_scan(l.arg, &handshakesecs) || !handshakesecs || handshakesecs > 3600) dieusage() ; break ;
        case 't' : if (!uint0_scan(l.arg, &idlesecs) || idlesecs > 86400) dieusage() ; break ;
        case 'I' : conf.intermediate = 1 ; break ;
        case 'O' : conf.opportunistic = 1 ; break ;
        case 'k' : scanfds(l.arg, &conf.ticketfd, 1) ; break ;
        case 'c' : scanfds(l.arg, pipes, 3) ; break ;
        case 'p' :
          if (conf.nprimary >= 2) dieusage() ;
          scanfiles(l.arg, conf.primary + conf.nprimary++) ;
          break ;
        case 's' : scansni(l.arg) ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (argc || pipes[0] < 0 || !conf.nprimary) dieusage() ;
  if (!getuid() || !geteuid() || !getgid() || !getegid())
    strerr_dief1x(100, "refusing to run the TLS engine as root") ;
  log_verbosity = verbosity ;
  tlsd_ip = getenv("TCPREMOTEIP") ;
  if (!tlsd_ip) tlsd_ip = "" ;
  /* a write to a closed pipe or socket is an error code, not a death */
  if (!sig_altignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;

  read_ticketkey() ;
  ctx = tlsd_ctx_new(&conf) ;
  if (!ctx) refuse() ;
  ssl = SSL_new(ctx) ;
  if (!ssl)
  {
    tlsd_log_configssl("unable to create the TLS connection object") ;
    refuse() ;
  }
  if (!tlsd_cert_install(ssl, conf.primary, conf.nprimary, 0)) refuse() ;
  tlsd_files_close(&conf.primary[0]) ;
  tlsd_files_close(&conf.primary[1]) ;

  if (ndelay_on(0) < 0) strerr_diefu1sys(111, "make the socket non-blocking") ;
  if (!SSL_set_fd(ssl, 0))
  {
    tlsd_log_configssl("unable to attach the socket") ;
    _exit(111) ;
  }
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, handshakesecs) ;
  if (!tlsd_handshake(ssl, 0, &deadline)) _exit(errno == ETIMEDOUT ? 99 : 1) ;
  tlsd_conf_close_sni(&conf) ;
  tlsd_log_handshake(ssl) ;

  /* The report, then EOF: the app reads until EOF and an empty report
   * means failure, so a half-written report cannot pass for success. */
  {
    char buf[TLSD_REPORT_MAX] ;
    size_t len = tlsd_report(ssl, buf, sizeof(buf)) ;
    if (allwrite(pipes[0], buf, len) < len) strerr_diefu1sys(111, "write the TLS parameters") ;
    fd_shutdown(pipes[0], 1) ;
    fd_close(pipes[0]) ;
  }

  if (ndelay_on(pipes[1]) < 0 || ndelay_on(pipes[2]) < 0) strerr_diefu1sys(111, "make the pipes non-blocking") ;
  _exit(tlsd_relay(ssl, 0, pipes[1], pipes[2], idlesecs)) ;
}
