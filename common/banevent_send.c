/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/banevent.h"

int banevent_sendto (char const *path, char const *line, size_t len)
{
  struct sockaddr_un sa ;
  size_t plen = strlen(path) ;
  int fd ;
  ssize_t r ;
  if (plen >= sizeof(sa.sun_path)) return (errno = ENAMETOOLONG, 0) ;
  memset(&sa, 0, sizeof(sa)) ;
  sa.sun_family = AF_UNIX ;
  memcpy(sa.sun_path, path, plen + 1) ;
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  if (fd < 0) return 0 ;
  /* the receiver's SO_PASSCRED makes the kernel attach our credentials */
  r = sendto(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) ;
  {
    int e = errno ;
    close(fd) ;
    errno = e ;
  }
  return r == (ssize_t)len ;
}

void banevent_send (char const *event, char const *ip, char const *service, char const *user)
{
  char path[108] ;
  char line[BANEVENT_MAX] ;
  char const *dir = getenv("PH_RUN_DIR") ;
  size_t dlen ;
  size_t len ;
  int e = errno ;
  if (!dir || !*dir) return ;
  dlen = strlen(dir) ;
  if (dlen + sizeof("/banwatch.sock") > sizeof(path)) return ;
  memcpy(path, dir, dlen) ;
  memcpy(path + dlen, "/banwatch.sock", sizeof("/banwatch.sock")) ;
  len = banevent_fmt(line, event, ip, service, user) ;
  if (len) banevent_sendto(path, line, len + 1) ;
  errno = e ;
}
