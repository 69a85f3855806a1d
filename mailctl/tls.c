/* ISC license. */

/* mailctl tls: the files tlsd reads (tlsd/README.md).
 *
 *   tls selfsigned [-f] [-k ec|rsa] [FQDN]
 *     docker-mailserver's SSL_TYPE=self-signed files in the config
 *     folder: ssl/<FQDN>-key.pem (0600, owner phtls), ssl/<FQDN>-cert.pem
 *     and ssl/demoCA/cacert.pem (the same certificate: it is its own CA;
 *     clients can be given it to trust). EC P-256 by default, RSA 2048
 *     with -k rsa; subjectAltName DNS:<FQDN>; valid two years. Existing
 *     files valid for more than 30 more days are kept unless -f, so it
 *     can run at every start.
 *   tls ticketkey [-f]
 *     the session ticket key: 80 random bytes in $PH_TLS_TICKET_KEY, or
 *     $PH_STATE/tls/ticket.key, 0600, owner phtls. Kept if present,
 *     replaced with -f (rotation: sessions resumed with the old key do a
 *     full handshake once).
 *
 * Each file is written to a temporary name (created 0600, owner set with
 * fchown before any byte is written), fsynced, renamed, and the
 * directory fsynced. The key is renamed before the certificate: tlsd
 * reads both per connection, and a connection that falls between the
 * two renames gets a configuration error, never a wrong pair for long. */

#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <pwd.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/random.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/addr.h"
#include "common/cdbwrite.h"
#include "common/config.h"
#include "mailctl-internal.h"

#define VALIDITY_DAYS 730
#define RENEW_DAYS 30
#define TICKETKEY_LEN 80
#define CERTFILE_MAX (256 * 1024)

#define dieusage() strerr_dieusage(100, MC_USAGE_TLS)
#define dienomem() strerr_diefu1sys(111, "allocate memory")
#define diessl(what) strerr_diefu1x(111, what " (OpenSSL)")

static void cat (stralloc *sa, char const *s)
{
  if (!stralloc_cats(sa, s)) dienomem() ;
}

static void mkdir_if_missing (char const *dir, unsigned int mode)
{
  if (mkdir(dir, mode) < 0 && errno != EEXIST) strerr_diefu2sys(111, "create ", dir) ;
}

/* Writes s into a new temporary file next to path, owned by phtls when
 * tlsowned (and that user exists and we may give files away), mode
 * mode, fsynced. Its name is left in tmp. */
static void tmpwrite (stralloc *tmp, char const *path, char const *s, size_t len, unsigned int mode, int tlsowned)
{
  int fd ;
  tmp->len = 0 ;
  cat(tmp, path) ;
  cat(tmp, ".tmp.XXXXXX") ;
  if (!stralloc_0(tmp)) dienomem() ;
  fd = mkostemp(tmp->s, O_CLOEXEC) ;  /* created 0600 */
  if (fd < 0) strerr_diefu2sys(111, "create a temporary file for ", path) ;
  if (tlsowned)
  {
    struct passwd *pw = getpwnam("phtls") ;
    if (!pw) strerr_warnw2x("user phtls does not exist: left owned by the current user: ", path) ;
    else if (fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
    {
      if (errno != EPERM) goto err ;
      strerr_warnw2x("not allowed to give the file to phtls: ", path) ;
    }
  }
  if (fchmod(fd, mode) < 0 || allwrite(fd, s, len) < len || fd_sync(fd) < 0) goto err ;
  if (close(fd) < 0)
  {
    fd = -1 ;
    goto err ;
  }
  return ;
 err:
  {
    int e = errno ;
    if (fd >= 0) fd_close(fd) ;
    unlink(tmp->s) ;
    errno = e ;
    strerr_diefu2sys(111, "write ", tmp->s) ;
  }
}

static void commit (char const *tmp, char const *path)
{
  if (rename(tmp, path) < 0)
  {
    int e = errno ;
    unlink(tmp) ;
    errno = e ;
    strerr_diefu4sys(111, "rename ", tmp, " to ", path) ;
  }
  if (!cdbwrite_dirsync(path)) strerr_diefu2sys(111, "sync the directory of ", path) ;
}

/* Is there a certificate at certpath, with its key beside it, valid for
 * more than RENEW_DAYS? */
static int still_good (char const *certpath, char const *keypath)
{
  stralloc sa = STRALLOC_ZERO ;
  BIO *b ;
  X509 *x = 0 ;
  time_t limit = time(0) + (time_t)RENEW_DAYS * 86400 ;
  int ok = 0 ;
  if (access(keypath, F_OK) < 0) return 0 ;
  if (!openslurpclose(&sa, certpath)) return 0 ;
  if (sa.len <= CERTFILE_MAX)
  {
    b = BIO_new_mem_buf(sa.s, (int)sa.len) ;
    if (b)
    {
      x = PEM_read_bio_X509(b, 0, 0, 0) ;
      BIO_free(b) ;
    }
  }
  if (x)
  {
    ok = X509_cmp_time(X509_get0_notAfter(x), &limit) > 0 ;
    X509_free(x) ;
  }
  stralloc_free(&sa) ;
  return ok ;
}

static EVP_PKEY *newkey (int rsa)
{
  EVP_PKEY *k = rsa ? EVP_PKEY_Q_keygen(0, 0, "RSA", (size_t)2048) : EVP_PKEY_Q_keygen(0, 0, "EC", "P-256") ;
  if (!k) diessl("generate a key") ;
  return k ;
}

static void addext (X509 *x, int nid, char const *value)
{
  X509V3_CTX v3 ;
  X509_EXTENSION *e ;
  X509V3_set_ctx(&v3, x, x, 0, 0, 0) ;
  e = X509V3_EXT_conf_nid(0, &v3, nid, value) ;
  if (!e || !X509_add_ext(x, e, -1)) diessl("add a certificate extension") ;
  X509_EXTENSION_free(e) ;
}

/* A self-signed server certificate (RFC 5280): v3, a random positive
 * 128-bit serial, CN and subjectAltName the host name (clients match
 * the SAN, RFC 6125), not a CA, server authentication only. No
 * keyUsage: a self-signed certificate that clients are told to trust
 * is its own issuer, and keyUsage without keyCertSign would make
 * OpenSSL refuse it as one. */
static X509 *newcert (EVP_PKEY *key, char const *name)
{
  unsigned char serial[16] ;
  X509 *x = X509_new() ;
  BIGNUM *bn ;
  X509_NAME *subject ;
  if (!x) diessl("create a certificate") ;
  random_buf((char *)serial, sizeof(serial)) ;
  serial[0] &= 0x7f ;
  serial[0] |= 0x40 ;
  bn = BN_bin2bn(serial, sizeof(serial), 0) ;
  if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) diessl("set the serial number") ;
  BN_free(bn) ;
  if (!X509_set_version(x, 2)
   || !X509_gmtime_adj(X509_getm_notBefore(x), -3600)
   || !X509_gmtime_adj(X509_getm_notAfter(x), (long)VALIDITY_DAYS * 86400)
   || !X509_set_pubkey(x, key)) diessl("fill the certificate") ;
  subject = X509_get_subject_name(x) ;
  if (!X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (unsigned char const *)name, -1, -1, 0)
   || !X509_set_issuer_name(x, subject)) diessl("set the certificate's name") ;
  {
    stralloc san = STRALLOC_ZERO ;
    cat(&san, "DNS:") ;
    cat(&san, name) ;
    if (!stralloc_0(&san)) dienomem() ;
    addext(x, NID_subject_alt_name, san.s) ;
    stralloc_free(&san) ;
  }
  addext(x, NID_basic_constraints, "critical,CA:FALSE") ;
  addext(x, NID_ext_key_usage, "serverAuth") ;
  addext(x, NID_subject_key_identifier, "hash") ;
  if (!X509_sign(x, key, EVP_sha256())) diessl("sign the certificate") ;
  return x ;
}

static void pem (stralloc *sa, EVP_PKEY *key, X509 *x)
{
  BIO *b = BIO_new(BIO_s_mem()) ;
  char *p ;
  long n ;
  if (!b) dienomem() ;
  if (key ? !PEM_write_bio_PrivateKey(b, key, 0, 0, 0, 0, 0) : !PEM_write_bio_X509(b, x)) diessl("write PEM") ;
  n = BIO_get_mem_data(b, &p) ;
  sa->len = 0 ;
  if (n <= 0 || !stralloc_catb(sa, p, (size_t)n)) dienomem() ;
  BIO_free(b) ;
}

static void selfsigned (mcctx *ctx, int argc, char const *const *argv)
{
  stralloc dir = STRALLOC_ZERO, certpath = STRALLOC_ZERO, keypath = STRALLOC_ZERO, capath = STRALLOC_ZERO ;
  stralloc keytmp = STRALLOC_ZERO, certtmp = STRALLOC_ZERO, catmp = STRALLOC_ZERO, buf = STRALLOC_ZERO ;
  char name[ADDR_DOMAIN_MAX + 1] ;
  char const *fqdn = 0 ;
  int force = 0, rsa = 0 ;
  EVP_PKEY *key ;
  X509 *x ;
  size_t i ;

  for (; argc ; argc--, argv++)
  {
    if (!strcmp(argv[0], "-f")) force = 1 ;
    else if (!strcmp(argv[0], "-k") && argc > 1)
    {
      if (!strcmp(argv[1], "rsa")) rsa = 1 ;
      else if (strcmp(argv[1], "ec")) dieusage() ;
      argc-- ; argv++ ;
    }
    else if (argv[0][0] == '-' || fqdn) dieusage() ;
    else fqdn = argv[0] ;
  }
  if (!fqdn) fqdn = config_hostname() ;
  /* the name becomes a file name: LDH labels only (RFC 5321 Domain) */
  if (strlen(fqdn) > 253 || !addr_domain_valid(fqdn, strlen(fqdn), 0))
    strerr_dief2x(100, "not a host name: ", fqdn) ;
  for (i = 0 ; fqdn[i] ; i++) name[i] = fqdn[i] >= 'A' && fqdn[i] <= 'Z' ? fqdn[i] + 32 : fqdn[i] ;
  name[i] = 0 ;

  cat(&dir, ctx->confdir) ;
  cat(&dir, "/ssl") ;
  if (!stralloc_0(&dir)) dienomem() ;
  mkdir_if_missing(dir.s, 0755) ;
  dir.len-- ;
  cat(&certpath, dir.s) ; cat(&certpath, "/") ; cat(&certpath, name) ; cat(&certpath, "-cert.pem") ;
  cat(&keypath, dir.s) ; cat(&keypath, "/") ; cat(&keypath, name) ; cat(&keypath, "-key.pem") ;
  cat(&capath, dir.s) ; cat(&capath, "/demoCA") ;
  if (!stralloc_0(&certpath) || !stralloc_0(&keypath) || !stralloc_0(&capath)) dienomem() ;
  mkdir_if_missing(capath.s, 0755) ;
  capath.len-- ;
  cat(&capath, "/cacert.pem") ;
  if (!stralloc_0(&capath)) dienomem() ;

  if (!force && still_good(certpath.s, keypath.s)) goto end ;

  key = newkey(rsa) ;
  x = newcert(key, name) ;
  pem(&buf, key, 0) ;
  tmpwrite(&keytmp, keypath.s, buf.s, buf.len, 0600, 1) ;
  OPENSSL_cleanse(buf.s, buf.len) ;
  pem(&buf, 0, x) ;
  tmpwrite(&certtmp, certpath.s, buf.s, buf.len, 0644, 0) ;
  tmpwrite(&catmp, capath.s, buf.s, buf.len, 0644, 0) ;
  commit(keytmp.s, keypath.s) ;
  commit(certtmp.s, certpath.s) ;
  commit(catmp.s, capath.s) ;
  X509_free(x) ;
  EVP_PKEY_free(key) ;
 end:
  stralloc_free(&dir) ; stralloc_free(&certpath) ; stralloc_free(&keypath) ; stralloc_free(&capath) ;
  stralloc_free(&keytmp) ; stralloc_free(&certtmp) ; stralloc_free(&catmp) ; stralloc_free(&buf) ;
}

static void ticketkey (int argc, char const *const *argv)
{
  stralloc path = STRALLOC_ZERO, tmp = STRALLOC_ZERO ;
  char key[TICKETKEY_LEN] ;
  char const *x = config_get("PH_TLS_TICKET_KEY") ;
  struct stat st ;
  int force = 0 ;
  if (argc == 1 && !strcmp(argv[0], "-f")) force = 1 ;
  else if (argc) dieusage() ;
  if (x) cat(&path, x) ;
  else
  {
    x = config_get("PH_STATE") ;
    if (!x) strerr_dienotset(100, "PH_STATE or PH_TLS_TICKET_KEY") ;
    cat(&path, x) ;
    cat(&path, "/tls") ;
    if (!stralloc_0(&path)) dienomem() ;
    mkdir_if_missing(path.s, 0755) ;
    path.len-- ;
    cat(&path, "/ticket.key") ;
  }
  if (!stralloc_0(&path)) dienomem() ;
  if (!force && stat(path.s, &st) == 0)
  {
    if (!S_ISREG(st.st_mode) || st.st_size != TICKETKEY_LEN || st.st_mode & 077)
      strerr_dief3x(100, "not a ticket key (80 bytes, mode 0600): ", path.s, " (-f replaces it)") ;
    stralloc_free(&path) ;
    return ;
  }
  random_buf(key, sizeof(key)) ;
  tmpwrite(&tmp, path.s, key, sizeof(key), 0600, 1) ;
  OPENSSL_cleanse(key, sizeof(key)) ;
  commit(tmp.s, path.s) ;
  stralloc_free(&path) ;
  stralloc_free(&tmp) ;
}

void mc_tls (mcctx *ctx, int argc, char const *const *argv)
{
  if (!argc) dieusage() ;
  if (!strcmp(argv[0], "selfsigned")) selfsigned(ctx, argc - 1, argv + 1) ;
  else if (!strcmp(argv[0], "ticketkey")) ticketkey(argc - 1, argv + 1) ;
  else dieusage() ;
}
