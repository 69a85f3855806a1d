/* ISC license. */

/* tlsc: TLS in its own process, client side, for deliverd-remote's
 * STARTTLS (tlsd/README.md, "tlsc"; the caller's half is
 * common/ucspitls.h, ucspitls_client_start).
 *
 *   tlsc [ -v verbosity ] [ -V ] [ -T secs ] [ -t secs ] [ -u uid -g gid ] -k servername
 *
 * fds: 0 the plaintext to encrypt (a pipe from the caller), 1 the
 * decrypted stream (a pipe to the caller), 2 the log, 3 the control
 * socket (the report, then EOF), 6 the connected TCP socket.
 *
 * Security: tlsc runs as its caller, phremote (deliverd-remote forks
 * and execs it; nothing changes ids), and refuses root unless told to
 * drop (-u/-g, checked as tlsd's engine does). It holds no private key:
 * it reads the CA store (PH_TLS_CA_FILE or the system's) and parses
 * everything the remote server sends before decryption, which is why
 * it is a separate process: the SMTP client never links libssl. It
 * trusts only its caller (argv, the pipes). It writes no file. A
 * compromise gives what phremote has (the plaintext of this one
 * session, and the mail and relay password the caller would send on
 * it), not the queue, the mail store or any key. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/ip46.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/log.h"
#include "common/nodump.h"
#include "tlsc.h"

#define USAGE "tlsc [ -v verbosity ] [ -V ] [ -T handshake-timeout ] [ -t idle-timeout ] [ -u uid -g gid ] -k servername"
#define dieusage() strerr_dieusage(100, USAGE)

static void needfd (int fd, char const *what)
{
  if (fcntl(fd, F_GETFD) < 0) strerr_dief2x(100, "missing fd: ", what) ;
}

static void needsocket (int fd)
{
  int type ;
  socklen_t len = sizeof(type) ;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
    strerr_dief1x(100, "fd 6 is not a stream socket") ;
}

/* The server's address for the log lines. */
static char ipfmt[IP46_FMT] ;

static void peer_address (void)
{
  ip46 ip ;
  uint16_t port ;
  if (socket_remote46(TLSC_FD_NET, &ip, &port) < 0) ipfmt[0] = 0 ;
  else ipfmt[ip46_fmt(ipfmt, &ip)] = 0 ;
  tlsd_ip = ipfmt ;
}

static void send_report (char const *buf, size_t len)
{
  if (len && allwrite(TLSC_FD_CTL, buf, len) < len) strerr_diefu1sys(111, "write the TLS parameters") ;
  fd_shutdown(TLSC_FD_CTL, 1) ;
  fd_close(TLSC_FD_CTL) ;
}

int main (int argc, char const *const *argv)
{
  tlsc_peer peer ;
  char const *servername = 0 ;
  unsigned int verbosity = 1 ;
  unsigned int handshakesecs = 60, idlesecs = 3600 ;
  int require = 0 ;
  uid_t uid = 0 ;
  gid_t gid = 0 ;
  int hasuid = 0, hasgid = 0 ;
  SSL_CTX *ctx ;
  SSL *ssl ;
  tain deadline ;
  PROG = "tlsc" ;
  nodump() ;  /* other processes of this uid must not read our memory */

  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "v:VT:t:u:g:k:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'v' : if (!uint0_scan(l.arg, &verbosity)) dieusage() ; break ;
        case 'V' : require = 1 ; break ;
        case 'T' : if (!uint0_scan(l.arg, &handshakesecs) || !handshakesecs || handshakesecs > 3600) dieusage() ; break ;
        case 't' : if (!uint0_scan(l.arg, &idlesecs) || idlesecs > 86400) dieusage() ; break ;
        case 'u' : if (!uid0_scan(l.arg, &uid)) dieusage() ; hasuid = 1 ; break ;
        case 'g' : if (!gid0_scan(l.arg, &gid)) dieusage() ; hasgid = 1 ; break ;
        case 'k' : servername = l.arg ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (argc || !servername || hasuid != hasgid) dieusage() ;
  if (!tlsc_peer_scan(servername, &peer)) strerr_dief2x(100, "not a host name or an address: ", servername) ;
  log_verbosity = verbosity ;

  /* The peer's bytes are parsed here: never as root. */
  if (!hasuid && (!getuid() || !geteuid()))
    strerr_dief1x(100, "refusing to run as root: give -u and -g") ;
  tlsd_drop(uid, gid, hasuid) ;

  needfd(0, "0 (plaintext from the caller)") ;
  needfd(1, "1 (plaintext to the caller)") ;
  needfd(TLSC_FD_CTL, "3 (the control socket)") ;
  needfd(TLSC_FD_NET, "6 (the network socket)") ;
  needsocket(TLSC_FD_NET) ;
  if (!sig_altignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  if (!config_init())
  {
    if (config_error_line()) strerr_dief2x(100, "syntax error in ", getenv("PH_ENVFILE")) ;
    strerr_diefu2sys(111, "read ", getenv("PH_ENVFILE")) ;
  }
  peer_address() ;

  ctx = tlsc_ctx_new(config_get("PH_TLS_CA_FILE"), require) ;
  if (!ctx) _exit(111) ;
  ssl = tlsc_ssl_new(ctx, &peer) ;
  if (!ssl) _exit(111) ;
  if (ndelay_on(TLSC_FD_NET) < 0) strerr_diefu1sys(111, "make the socket non-blocking") ;
  if (!SSL_set_fd(ssl, TLSC_FD_NET))
  {
    tlsd_log_configssl("unable to attach the socket") ;
    _exit(111) ;
  }
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, handshakesecs) ;
  if (!tlsd_handshake(ssl, TLSC_FD_NET, &deadline))
  {
    /* Nothing, or (verification required and failed) the reason alone:
     * either way not a success, since SSL_PROTOCOL is missing. */
    int e = errno ;
    char buf[TLSD_REPORT_MAX] ;
    send_report(buf, require ? tlsc_report_refused(ssl, buf, sizeof(buf)) : 0) ;
    _exit(e == ETIMEDOUT ? 99 : 1) ;
  }
  tlsc_log_handshake(ssl, &peer) ;

  {
    char buf[TLSD_REPORT_MAX] ;
    send_report(buf, tlsc_report(ssl, buf, sizeof(buf))) ;
  }

  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "make the pipes non-blocking") ;
  _exit(tlsd_relay(ssl, TLSC_FD_NET, 0, 1, idlesecs)) ;
}
