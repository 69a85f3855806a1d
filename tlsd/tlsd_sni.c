/* ISC license. */

#include <string.h>
#include <errno.h>
#include <dirent.h>

#include <skalibs/direntry.h>
#include <skalibs/types.h>

#include "tlsd.h"

/* The SNI directory (certbot's /etc/letsencrypt/live, or PH_TLS_CERT_DIR)
 * holds one subdirectory per name. The client's server name is only known
 * in the middle of the handshake, long after root is gone, so every
 * candidate is opened now and only the one asked for is read later.
 * Entries that are not host names (certbot's README, dot files, anything
 * with odd bytes) are skipped; so are names without both files. */

void tlsd_sni_scan (tlsd_conf *conf, char const *dir)
{
  DIR *d = opendir(dir) ;
  unsigned int skipped = 0 ;
  if (!d)
  {
    if (errno != ENOENT) tlsd_log_configsys("unable to open the SNI directory", dir) ;
    return ;
  }
  for (;;)
  {
    char name[TLSD_NAME_MAX + 1] ;
    direntry *e ;
    errno = 0 ;
    e = readdir(d) ;
    if (!e) break ;
    if (e->d_name[0] == '.') continue ;
    if (!tlsd_name_valid(e->d_name, name) || strcmp(name, e->d_name)) continue ;
    if (!strcmp(name, conf->primaryname)) continue ;  /* already the default */
    if (conf->nsni >= TLSD_SNI_MAX)
    {
      skipped++ ;
      continue ;
    }
    if (!tlsd_files_open_dir(dir, name, &conf->sni[conf->nsni].files)) continue ;
    memcpy(conf->sni[conf->nsni].name, name, strlen(name) + 1) ;
    conf->nsni++ ;
  }
  if (errno) tlsd_log_configsys("unable to read the SNI directory", dir) ;
  dir_close(d) ;
  if (skipped)
  {
    char fmt[UINT_FMT + 40] ;
    size_t m = uint_fmt(fmt, skipped) ;
    memcpy(fmt + m, " names beyond the limit were ignored", 37) ;
    tlsd_log_config(fmt, dir) ;
  }
}

void tlsd_conf_close_sni (tlsd_conf *conf)
{
  unsigned int i = 0 ;
  for (; i < conf->nsni ; i++) tlsd_files_close(&conf->sni[i].files) ;
  conf->nsni = 0 ;
}
