/* ISC license. */

/* mailctl check: every listener answers. The plaintext ports must greet
 * within 10 s with their protocol's greeting (SMTP "220", IMAP "* OK",
 * POP3 "+OK"); an implicit-TLS port (tlsd -i) says nothing before the
 * client's hello, so it must accept and stay open, silent, for a
 * moment (a banned or refused client is closed at once). The ports come
 * from the same settings the services use (PH_SMTP_PORT, ...; the
 * standard ports when unset, as in the container; POP3 only with
 * ENABLE_POP3, HTTPS only when PH_HTTPS_PORT is set), on PH_SMTP_IP
 * (a wildcard address is checked through loopback). */

#include <string.h>
#include <errno.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/ip46.h>
#include <skalibs/socket.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "check.h"

#define GREETING_SECONDS 10
#define TLS_QUIET_MS 500

typedef struct listener_s listener ;
struct listener_s
{
  char const *what ;
  char const *var ;
  uint16_t port ;        /* the default */
  char const *greeting ; /* 0: implicit TLS */
  char const *bye ;
  char const *only_if ;  /* a boolean setting that must be on, or 0 */
  int optional ;         /* checked only when its port is set */
} ;

static listener const listeners[] =
{
  { "SMTP", "PH_SMTP_PORT", 25, "220", "QUIT\r\n", 0, 0 },
  { "submission", "PH_SUBMISSION_PORT", 587, "220", "QUIT\r\n", 0, 0 },
  { "submissions (implicit TLS)", "PH_SUBMISSIONS_PORT", 465, 0, 0, 0, 0 },
  { "IMAP", "PH_IMAP_PORT", 143, "* OK", "a LOGOUT\r\n", 0, 0 },
  { "IMAPS (implicit TLS)", "PH_IMAPS_PORT", 993, 0, 0, 0, 0 },
  { "POP3", "PH_POP3_PORT", 110, "+OK", "QUIT\r\n", "ENABLE_POP3", 0 },
  { "POP3S (implicit TLS)", "PH_POP3S_PORT", 995, 0, 0, "ENABLE_POP3", 0 },
  { "HTTPS (MTA-STS, autoconfig)", "PH_HTTPS_PORT", 443, 0, 0, 0, 1 },
  { 0, 0, 0, 0, 0, 0, 0 }
} ;

/* 1 connected, 0 refused or timed out (errno) */
static int connect_to (ip46full const *ip, uint16_t port, int *fd)
{
  tain deadline ;
  int s = socket_tcp46_nbcoe(ip->is6) ;
  if (s < 0) strerr_diefu1sys(111, "create a socket") ;
  tain_now_g() ;
  tain_addsec_g(&deadline, GREETING_SECONDS) ;
  if ((ip->is6 ? socket_deadlineconnstamp6_g(s, ip->ip, port, &deadline) : socket_deadlineconnstamp4_g(s, ip->ip, port, &deadline)))
  {
    *fd = s ;
    return 1 ;
  }
  fd_close(s) ;
  return 0 ;
}

/* Reads until LF, EOF, 511 bytes or the deadline; returns the length
 * (line without CRLF), -1 on timeout. */
static ssize_t read_line (int fd, char *buf, size_t max, unsigned int ms)
{
  tain deadline, span ;
  size_t w = 0 ;
  tain_from_millisecs(&span, ms) ;
  tain_now_g() ;
  tain_add_g(&deadline, &span) ;
  while (w < max - 1)
  {
    iopause_fd x = { .fd = fd, .events = IOPAUSE_READ, .revents = 0 } ;
    ssize_t r ;
    int p = iopause_g(&x, 1, &deadline) ;
    if (p < 0) strerr_diefu1sys(111, "iopause") ;
    if (!p) return -1 ;
    r = fd_read(fd, buf + w, max - 1 - w) ;
    if (r < 0 && error_isagain(errno)) continue ;
    if (r <= 0) break ;
    w += (size_t)r ;
    if (memchr(buf, '\n', w)) break ;
  }
  {
    char *lf = memchr(buf, '\n', w) ;
    if (lf) w = (size_t)(lf - buf) ;
  }
  if (w && buf[w-1] == '\r') w-- ;
  for (size_t i = 0 ; i < w ; i++) if ((unsigned char)buf[i] < 32 || (unsigned char)buf[i] > 126) buf[i] = '?' ;
  buf[w] = 0 ;
  return (ssize_t)w ;
}

static void check_one (mccheck *c, ip46full const *ip, listener const *l)
{
  char where[IP6_FMT + UINT16_FMT + 3] ;
  char line[512] ;
  uint64_t port ;
  size_t w = 0 ;
  int fd ;
  if (l->only_if)
  {
    int on ;
    if (!config_get_bool(l->only_if, 0, &on)) strerr_dief3x(100, "bad value for ", l->only_if, " (a boolean)") ;
    if (!on) return ;
  }
  if (l->optional && !config_get(l->var)) return ;
  if (!config_get_uint(l->var, l->port, &port) || !port || port > 65535) strerr_dief3x(100, "bad value for ", l->var, " (a port)") ;
  if (ip->is6) where[w++] = '[' ;
  w += ip46full_fmt(where + w, ip) ;
  if (ip->is6) where[w++] = ']' ;
  where[w++] = ':' ;
  w += uint16_fmt(where + w, (uint16_t)port) ;
  where[w] = 0 ;
  if (!connect_to(ip, (uint16_t)port, &fd))
  {
    check_say(c, "The ", l->what, " listener on ", where, " does not answer (", errno == ETIMEDOUT ? "timed out" : "connection refused", ").") ;
    return ;
  }
  if (l->greeting)
  {
    ssize_t r = read_line(fd, line, sizeof(line), GREETING_SECONDS * 1000) ;
    if (r < 0) check_say(c, "The ", l->what, " listener on ", where, " sent no greeting within 10 seconds.") ;
    else if (!r) check_say(c, "The ", l->what, " listener on ", where, " closed the connection without a greeting.") ;
    else if (strncmp(line, l->greeting, strlen(l->greeting)))
      check_say(c, "The ", l->what, " listener on ", where, " answered \"", line, "\" instead of a greeting.") ;
    else allwrite(fd, l->bye, strlen(l->bye)) ;
  }
  else if (read_line(fd, line, sizeof(line), TLS_QUIET_MS) >= 0)
    check_say(c, "The ", l->what, " listener on ", where, " closed the connection or spoke before the TLS handshake.") ;
  fd_close(fd) ;
}

void check_ports (mccheck *c)
{
  char const *x = config_get_default("PH_SMTP_IP", "127.0.0.1") ;
  ip46full ip ;
  size_t len = ip46full_scan(x, &ip) ;
  if (!len || x[len]) strerr_dief2x(100, "PH_SMTP_IP is not an address: ", x) ;
  /* a wildcard listener is reached through loopback */
  if (!ip.is6 && !memcmp(ip.ip, "\0\0\0\0", 4)) memcpy(ip.ip, "\177\0\0\1", 4) ;
  else if (ip.is6 && !memcmp(ip.ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16)) ip.ip[15] = 1 ;
  for (listener const *l = listeners ; l->what ; l++) check_one(c, &ip, l) ;
}
