/* ISC license. */

#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/strerr.h>

#include "mailctl-internal.h"

/* The password is the first line of stdin. On a terminal, mailctl asks
 * for it on stderr and turns echo off while it is typed. Bytes are read
 * one at a time so that nothing after the line is consumed. */
void mc_password_read (char *buf, size_t max, size_t *len)
{
  struct termios old, quiet ;
  int tty = isatty(0) && tcgetattr(0, &old) == 0 ;
  size_t n = 0 ;
  if (tty)
  {
    quiet = old ;
    quiet.c_lflag &= ~(tcflag_t)ECHO ;
    if (tcsetattr(0, TCSAFLUSH, &quiet) < 0) strerr_diefu1sys(111, "turn off terminal echo") ;
    allwrite(2, "Password: ", 10) ;
  }
  for (;;)
  {
    char c ;
    ssize_t r = fd_read(0, &c, 1) ;
    if (r < 0)
    {
      int e = errno ;
      if (tty) tcsetattr(0, TCSAFLUSH, &old) ;
      errno = e ;
      strerr_diefu1sys(111, "read the password from stdin") ;
    }
    if (!r || c == '\n') break ;
    if (n + 1 >= max)
    {
      if (tty) tcsetattr(0, TCSAFLUSH, &old) ;
      explicit_bzero(buf, max) ;
      strerr_dief1x(100, "password too long (at most 511 bytes)") ;
    }
    buf[n++] = c ;
  }
  if (tty)
  {
    tcsetattr(0, TCSAFLUSH, &old) ;
    allwrite(2, "\n", 1) ;
  }
  if (n && buf[n - 1] == '\r') n-- ;
  if (!n) strerr_dief1x(100, "empty password") ;
  *len = n ;
}
