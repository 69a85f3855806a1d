/* ISC license. */

#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "tlsd.h"

/* Implicit TLS (RFC 8314 section 3.3: ports 465, 993, 995): the engine
 * handshakes at once; this side, still root, waits for its report, and
 * tlsd.c then becomes the protocol program, which sees a plaintext
 * stream on fds 0 and 1 and the parameters in its environment. The report comes
 * from our own child, but it is checked as carefully as anything that
 * ends up in an environment: known names, printable values, text0. */

static int known (char const *s, size_t n)
{
  static char const *const names[3] = { "SSL_PROTOCOL", "SSL_CIPHER", "SSL_TLS_SNI_SERVERNAME" } ;
  unsigned int i = 0 ;
  for (; i < 3 ; i++)
    if (strlen(names[i]) == n && !memcmp(s, names[i], n)) return 1 ;
  return 0 ;
}

static int valid_report (char const *s, size_t len)
{
  size_t pos = 0 ;
  if (!len || s[len-1]) return 0 ;
  while (pos < len)
  {
    size_t n = strlen(s + pos) ;
    size_t eq = byte_chr(s + pos, n, '=') ;
    size_t i = eq + 1 ;
    if (eq >= n || !known(s + pos, eq)) return 0 ;
    for (; i < n ; i++)
      if ((unsigned char)s[pos + i] < 0x21 || (unsigned char)s[pos + i] > 0x7e) return 0 ;
    pos += n + 1 ;
  }
  return 1 ;
}

size_t tlsd_implicit (char *modif, pid_t pid, int ctl, int rd, int wr, unsigned int secs)
{
  size_t len ;
  ssize_t r ;
  tain deadline ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, secs) ;
  r = tlsd_readall(ctl, modif, TLSD_REPORT_MAX, &deadline) ;
  if (r < 0)
  {
    if (errno == ETIMEDOUT) strerr_dief1x(99, "timed out waiting for the TLS handshake") ;
    strerr_diefu1sys(errno == EMSGSIZE ? 101 : 111, "read the TLS report") ;
  }
  len = (size_t)r ;
  if (!len)
  {
    /* no TLS: the engine has logged why, and its exit code says it to
     * tcpd (1 handshake failed, 99 timeout, 111 configuration) */
    int wstat ;
    int e = wait_pid(pid, &wstat) == pid ? wait_estatus(wstat) : 1 ;
    _exit(e ? e : 1) ;
  }
  if (!valid_report(modif, len)) strerr_dief1x(101, "invalid TLS report from the engine") ;
  fd_close(ctl) ;
  if (fd_move2(0, rd, 1, wr) < 0) strerr_diefu1sys(111, "move the pipes to fds 0 and 1") ;
  return len ;
}
