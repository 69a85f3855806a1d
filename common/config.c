/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/config-internal.h"

/* The parsed env file as "NAME=value\0" records, shared by the getters
 * in this file. */
static stralloc config_file = STRALLOC_ZERO ;
static unsigned int config_errline = 0 ;
static int config_loaded = 0 ;

/* Reads at most CONFIG_ENVFILE_MAX bytes; one byte more means too big.
 * Returns 1, -1 if the file does not exist, 0 on error. */
static int read_bounded (char const *path, stralloc *sa)
{
  size_t r ;
  int fd = openc_read(path) ;
  if (fd < 0) return errno == ENOENT ? -1 : 0 ;
  if (!stralloc_ready(sa, CONFIG_ENVFILE_MAX + 1)) goto err ;
  errno = 0 ;
  r = allread(fd, sa->s, CONFIG_ENVFILE_MAX + 1) ;
  if (r < CONFIG_ENVFILE_MAX + 1 && errno) goto err ;
  fd_close(fd) ;
  sa->len = r ;
  if (r > CONFIG_ENVFILE_MAX) return (errno = EFBIG, 0) ;
  return 1 ;
 err:
  fd_close(fd) ;
  return 0 ;
}

int config_init (void)
{
  stralloc raw = STRALLOC_ZERO ;
  char const *path = getenv("PH_ENVFILE") ;
  config_file.len = 0 ;
  config_errline = 0 ;
  config_loaded = 1 ;
  if (!path || !*path) return 1 ;
  switch (read_bounded(path, &raw))
  {
    case -1 : stralloc_free(&raw) ; return 1 ;
    case 0 : stralloc_free(&raw) ; return 0 ;
    default : break ;
  }
  if (!envfile_parse(raw.s, raw.len, &config_file, &config_errline))
  {
    int e = errno ;
    stralloc_free(&raw) ;
    errno = e ;
    return 0 ;
  }
  stralloc_free(&raw) ;
  return 1 ;
}

unsigned int config_error_line (void)
{
  return config_errline ;
}

/* A program that forgot config_init() still gets its file settings; if
 * the file is unusable there is no way to report it from a getter, and
 * running on half a configuration is worse than stopping. */
static void config_ensure_loaded (void)
{
  if (config_loaded) return ;
  if (config_init()) return ;
  if (config_errline)
  {
    char fmt[UINT_FMT] ;
    fmt[uint_fmt(fmt, config_errline)] = 0 ;
    strerr_dief(100, "syntax error in ", getenv("PH_ENVFILE"), " line ", fmt) ;
  }
  strerr_diefusys(111, "read ", getenv("PH_ENVFILE")) ;
}

char const *config_get (char const *name)
{
  char const *value = getenv(name) ;
  size_t namelen ;
  size_t pos = 0 ;
  if (value && *value) return value ;
  config_ensure_loaded() ;
  value = 0 ;
  namelen = strlen(name) ;
  while (pos < config_file.len)
  {
    char const *rec = config_file.s + pos ;
    size_t reclen = strlen(rec) ;
    if (reclen > namelen && rec[namelen] == '=' && !memcmp(rec, name, namelen))
      value = rec + namelen + 1 ;  /* keep going: the last definition wins */
    pos += reclen + 1 ;
  }
  return value && *value ? value : 0 ;
}
