/* ISC license. */

#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/exec.h>
#include <skalibs/iopause.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "tlsd.h"

/* Implicit TLS (RFC 8314 section 3.3: ports 465, 993, 995): the engine
 * handshakes at once; this side, still root, waits for its report and
 * then becomes the protocol program, which sees a plaintext stream on
 * fds 0 and 1 and the parameters in its environment. The report comes
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

void tlsd_implicit (char const *const *argv, int ctl, int rd, int wr, unsigned int secs)
{
  char modif[sizeof(TLSD_UNEXPORT) + TLSD_REPORT_MAX] ;
  size_t m = sizeof(TLSD_UNEXPORT) - 1 ;
  size_t len = 0 ;
  tain deadline ;
  memcpy(modif, TLSD_UNEXPORT, m) ;
  if (ndelay_on(ctl) < 0) strerr_diefu1sys(111, "make the control socket non-blocking") ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, secs) ;
  for (;;)
  {
    iopause_fd x = { .fd = ctl, .events = IOPAUSE_READ, .revents = 0 } ;
    ssize_t r = fd_read(ctl, modif + m + len, TLSD_REPORT_MAX - len) ;
    if (r > 0)
    {
      len += (size_t)r ;
      if (len >= TLSD_REPORT_MAX) strerr_dief1x(101, "TLS report too long") ;
      continue ;
    }
    if (!r) break ;
    if (!error_isagain(errno)) strerr_diefu1sys(111, "read the control socket") ;
    r = iopause_g(&x, 1, &deadline) ;
    if (r < 0) strerr_diefu1sys(111, "iopause") ;
    if (!r) strerr_dief1x(99, "timed out waiting for the TLS handshake") ;
  }
  if (!len) _exit(1) ;  /* no TLS: the engine has logged why */
  if (!valid_report(modif + m, len)) strerr_dief1x(101, "invalid TLS report from the engine") ;
  fd_close(ctl) ;
  if (fd_move2(0, rd, 1, wr) < 0) strerr_diefu1sys(111, "move the pipes to fds 0 and 1") ;
  xmexec_m(argv, modif, m + len) ;
}
