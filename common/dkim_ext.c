/* ISC license. */

/* dkim_ext.h: thin public wrappers, so that common/arc* needs nothing
 * from dkim-internal.h and DKIM keeps its internals its own. */

#include "common/dkim-internal.h"
#include "common/dkim_ext.h"

int dkim_ext_verify_digest (EVP_PKEY *pkey, int alg, unsigned char const *digest, unsigned char const *sig, size_t siglen)
{
  return dkim_crypto_verify(pkey, alg, digest, sig, siglen) ;
}

int dkim_ext_sign_digest (EVP_PKEY *pkey, int alg, unsigned char const *digest, unsigned char *sig, size_t *siglen)
{
  *siglen = DKIM_SIGBYTES_MAX ;
  return dkim_crypto_sign(pkey, alg, digest, sig, siglen) ;
}

int dkim_ext_header_digest (char const *msg, dkim_field const *fields, size_t nfields, char const *const *names, size_t const *lens, unsigned int n, int canon, char const *sigfield, size_t siglen, size_t bstart, size_t bend, unsigned char *digest)
{
  return dkim_header_digest(msg, fields, nfields, names, lens, n, canon, sigfield, siglen, bstart, bend, digest) ;
}
