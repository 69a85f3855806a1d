/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/ip46.h>
#include <skalibs/types.h>

#include "common/policyclient.h"

int policyclient_init (policyclient *p, char const *spec)
{
  memset(p, 0, sizeof(*p)) ;
  p->fd = -1 ;
  if (!strncmp(spec, "unix:", 5))
  {
    size_t len = strlen(spec + 5) ;
    if (spec[5] != '/' || len > POLICYCLIENT_PATH_MAX) return (errno = EINVAL, 0) ;
    memcpy(p->path, spec + 5, len + 1) ;
    p->isunix = 1 ;
    return 1 ;
  }
  if (!strncmp(spec, "inet:", 5))
  {
    char const *s = spec + 5 ;
    size_t n ;
    if (*s == '[')
    {
      char const *close = strchr(s, ']') ;
      char tmp[IP6_FMT] ;
      if (!close || (size_t)(close - s - 1) >= sizeof(tmp)) return (errno = EINVAL, 0) ;
      memcpy(tmp, s + 1, close - s - 1) ;
      tmp[close - s - 1] = 0 ;
      n = ip46_scan(tmp, &p->ip) ;
      if (!n || n != (size_t)(close - s - 1) || !ip46_is6(&p->ip)) return (errno = EINVAL, 0) ;
      s = close + 1 ;
    }
    else
    {
      n = ip46_scan(s, &p->ip) ;
      if (!n || ip46_is6(&p->ip)) return (errno = EINVAL, 0) ;  /* IPv6 goes in brackets */
      s += n ;
    }
    if (*s++ != ':' || !uint160_scan(s, &p->port) || !p->port) return (errno = EINVAL, 0) ;
    return 1 ;
  }
  return (errno = EINVAL, 0) ;
}
