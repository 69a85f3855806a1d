/* ISC license. */

#include <string.h>
#include <errno.h>

#include <skalibs/djbunix.h>

#include "tlsd.h"

/* The files are opened as root and read after the drop, through the fds:
 * the TLS uid never needs read access to a key on disk, and a key that
 * is not needed for this connection is never read at all. */

int tlsd_files_open (char const *certpath, char const *keypath, tlsd_keyfiles *kf)
{
  int key ;
  int cert = openc_read(certpath) ;
  if (cert < 0) return 0 ;
  key = openc_read(keypath) ;
  if (key < 0)
  {
    fd_close(cert) ;
    return 0 ;
  }
  kf->cert = cert ;
  kf->key = key ;
  return 1 ;
}

void tlsd_files_close (tlsd_keyfiles *kf)
{
  if (kf->cert >= 0) fd_close(kf->cert) ;
  if (kf->key >= 0) fd_close(kf->key) ;
  kf->cert = kf->key = -1 ;
}

/* certbot's layout (docker-mailserver's letsencrypt case): fullchain.pem
 * with privkey.pem, or key.pem for simp_le and Traefik extractions. */
int tlsd_files_open_dir (char const *dir, char const *name, tlsd_keyfiles *kf)
{
  size_t dirlen = strlen(dir) ;
  size_t namelen = strlen(name) ;
  if (dirlen + namelen + 16 > TLSD_PATH_MAX) return (errno = ENAMETOOLONG, 0) ;
  {
    char cert[dirlen + namelen + 16] ;
    char key[dirlen + namelen + 16] ;
    memcpy(cert, dir, dirlen) ;
    cert[dirlen] = '/' ;
    memcpy(cert + dirlen + 1, name, namelen) ;
    cert[dirlen + 1 + namelen] = '/' ;
    memcpy(key, cert, dirlen + namelen + 2) ;
    memcpy(cert + dirlen + namelen + 2, "fullchain.pem", 14) ;
    memcpy(key + dirlen + namelen + 2, "privkey.pem", 12) ;
    if (tlsd_files_open(cert, key, kf)) return 1 ;
    if (errno != ENOENT) return 0 ;
    memcpy(key + dirlen + namelen + 2, "key.pem", 8) ;
    return tlsd_files_open(cert, key, kf) ;
  }
}
