/* ISC license. */

#include <errno.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <skalibs/allreadwrite.h>

#include "tlsd_io.h"

/* Chains and keys are read from the fds opened as root (tlsd_files.c),
 * from offset 0 with pread so a file may be read again. A key may never
 * prompt for a pass phrase: no terminal, and a locked key is a
 * configuration error. The key's bytes are wiped once parsed. */

typedef struct keypair_s keypair ;
struct keypair_s
{
  X509 *leaf ;
  STACK_OF(X509) *chain ;
  EVP_PKEY *key ;
} ;

static int nopassphrase (char *buf, int size, int rwflag, void *u)
{
  (void)buf ; (void)size ; (void)rwflag ; (void)u ;
  return -1 ;
}

/* Reads the whole file (at most TLSD_PEM_MAX bytes) into buf. Returns
 * the length, or -1 (errno EFBIG when the file is too large). */
static ssize_t readall (int fd, char *buf)
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

static BIO *membio (int fd, char *buf)
{
  ssize_t r = readall(fd, buf) ;
  if (r < 0) return 0 ;
  return BIO_new_mem_buf(buf, (int)r) ;
}

static void keypair_free (keypair *kp)
{
  X509_free(kp->leaf) ;
  sk_X509_pop_free(kp->chain, X509_free) ;
  EVP_PKEY_free(kp->key) ;
  kp->leaf = 0 ; kp->chain = 0 ; kp->key = 0 ;
}

static int load (tlsd_keyfiles const *kf, keypair *kp, char *buf)
{
  BIO *b ;
  kp->leaf = 0 ; kp->chain = 0 ; kp->key = 0 ;
  ERR_clear_error() ;

  b = membio(kf->cert, buf) ;
  if (!b) { tlsd_log_configsys("unable to read the certificate chain", 0) ; return 0 ; }
  kp->leaf = PEM_read_bio_X509_AUX(b, 0, nopassphrase, 0) ;
  kp->chain = sk_X509_new_null() ;
  if (kp->leaf && kp->chain)
  {
    for (;;)
    {
      X509 *x = PEM_read_bio_X509(b, 0, nopassphrase, 0) ;
      if (!x) break ;
      if (!sk_X509_push(kp->chain, x)) { X509_free(x) ; break ; }
    }
    /* the end of the file shows up as "no start line": not an error */
    if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) ERR_clear_error() ;
  }
  BIO_free(b) ;
  if (!kp->leaf || !kp->chain || ERR_peek_error())
  {
    tlsd_log_configssl("unable to parse the certificate chain") ;
    goto err ;
  }

  b = membio(kf->key, buf) ;
  if (!b) { tlsd_log_configsys("unable to read the private key", 0) ; goto err ; }
  kp->key = PEM_read_bio_PrivateKey(b, 0, nopassphrase, 0) ;
  BIO_free(b) ;
  OPENSSL_cleanse(buf, TLSD_PEM_MAX + 1) ;
  if (!kp->key)
  {
    tlsd_log_configssl("unable to parse the private key") ;
    goto err ;
  }
  return 1 ;

 err:
  keypair_free(kp) ;
  return 0 ;
}

/* All the chains are parsed first, and only then are the SSL's
 * certificates replaced: a broken chain for some SNI name leaves the
 * default one in place. SSL_use_cert_and_key checks that key and
 * certificate match, and fills the slot of the key's type (RSA, ECDSA,
 * Ed25519), so a second chain of another type sits beside the first. */
int tlsd_cert_install (SSL *ssl, tlsd_keyfiles const *kf, unsigned int n, int clear)
{
  static char buf[TLSD_PEM_MAX + 1] ;
  keypair kp[2] ;
  unsigned int i = 0 ;
  int ok = 1 ;
  if (n > 2) n = 2 ;
  for (; i < n ; i++)
    if (!load(kf + i, kp + i, buf))
    {
      while (i--) keypair_free(kp + i) ;
      return 0 ;
    }
  if (clear) SSL_certs_clear(ssl) ;
  for (i = 0 ; i < n ; i++)
  {
    if (ok && SSL_use_cert_and_key(ssl, kp[i].leaf, kp[i].key, kp[i].chain, 1) != 1)
    {
      tlsd_log_configssl("certificate and key do not go together") ;
      ok = 0 ;
    }
    keypair_free(kp + i) ;
  }
  return ok ;
}
