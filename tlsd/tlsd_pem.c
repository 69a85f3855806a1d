/* ISC license. */

#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "tlsd.h"

/* STARTTLS is offered only when the engine has something to serve. The
 * real check (parsing, key and certificate going together) needs
 * OpenSSL, which tlsd's child does not load unless the client asks for
 * TLS; what can be seen cheaply is seen here: the files open (as root,
 * tlsd_conf.c), are not too large, and hold a PEM certificate and a PEM
 * private key (RFC 7468 labels: "CERTIFICATE"; "PRIVATE KEY",
 * "RSA PRIVATE KEY", "EC PRIVATE KEY", ...). Nothing else is read from
 * them. The key's bytes are wiped afterwards. */

static char buf[TLSD_PEM_MAX + 1] ;

/* The whole file through fd from offset 0 (pread: tlsd-io reads it again
 * from the start), at most TLSD_PEM_MAX bytes. -1 on error, errno EFBIG
 * when it is too large. */
static ssize_t readfile (int fd)
{
  size_t w = 0 ;
  while (w <= TLSD_PEM_MAX)
  {
    ssize_t r = pread(fd, buf + w, TLSD_PEM_MAX + 1 - w, (off_t)w) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      return -1 ;
    }
    if (!r) return (ssize_t)w ;
    w += (size_t)r ;
  }
  return (errno = EFBIG, -1) ;
}

static int has (size_t len, char const *s)
{
  return !!memmem(buf, len, s, strlen(s)) ;
}

int tlsd_pem_check (tlsd_keyfiles const *kf)
{
  ssize_t r = readfile(kf->cert) ;
  int ok ;
  if (r < 0)
  {
    tlsd_log_configsys("unable to read the certificate chain", 0) ;
    return 0 ;
  }
  if (!has((size_t)r, "-----BEGIN CERTIFICATE-----"))
  {
    tlsd_log_config("no PEM certificate in the certificate file", 0) ;
    return 0 ;
  }
  r = readfile(kf->key) ;
  if (r < 0)
  {
    explicit_bzero(buf, sizeof(buf)) ;
    tlsd_log_configsys("unable to read the private key", 0) ;
    return 0 ;
  }
  ok = has((size_t)r, "-----BEGIN ") && has((size_t)r, "PRIVATE KEY-----") ;
  explicit_bzero(buf, (size_t)r) ;
  if (!ok) tlsd_log_config("no PEM private key in the key file", 0) ;
  return ok ;
}
