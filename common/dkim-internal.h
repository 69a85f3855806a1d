/* ISC license. */

#ifndef POSTHASTE_DKIM_INTERNAL_H
#define POSTHASTE_DKIM_INTERNAL_H

/* What dkim_verify and dkim_sign share. */

#include <openssl/evp.h>

#include "common/dkim.h"

/* SHA-256, fetched once: OpenSSL 3 looks EVP_sha256() up again at
 * every use, which costs more than hashing a short message. */
extern EVP_MD const *dkim_sha256 (void) ;

/* 1 valid, 0 not, -1 out of memory. */
extern int dkim_crypto_verify (EVP_PKEY *pkey, int alg, unsigned char const *digest, unsigned char const *sig, size_t siglen) ;
/* sig has room for DKIM_SIGBYTES_MAX bytes; *siglen is set to it first. */
extern int dkim_crypto_sign (EVP_PKEY *pkey, int alg, unsigned char const *digest, unsigned char *sig, size_t *siglen) ;
/* sigfield[0..siglen) at most DKIM_FIELD_MAX bytes; [bstart, bend) is
 * taken out. */
extern int dkim_header_digest (char const *msg, dkim_field const *fields, size_t nfields, char const *const *names, size_t const *lens, unsigned int n, int canon, char const *sigfield, size_t siglen, size_t bstart, size_t bend, unsigned char *digest) ;

#endif
