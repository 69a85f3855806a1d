/* ISC license. */

#ifndef POSTHASTE_DKIM_EXT_H
#define POSTHASTE_DKIM_EXT_H

/* Public doors onto three helpers of common/dkim that ARC (RFC 8617)
 * needs as they are: its signatures are DKIM's crypto over DKIM's
 * header hash (dkim-internal.h keeps the originals private to DKIM). */

#include <stddef.h>

#include <openssl/evp.h>

#include "common/dkim.h"

/* RSASSA-PKCS1-v1_5/SHA-256 or Ed25519 over a 32-byte digest: 1 valid,
 * 0 not, -1 out of memory. */
extern int dkim_ext_verify_digest (EVP_PKEY *pkey, int alg, unsigned char const *digest, unsigned char const *sig, size_t siglen) ;

/* The same, signing: sig has room for DKIM_SIGBYTES_MAX bytes. 1 or 0. */
extern int dkim_ext_sign_digest (EVP_PKEY *pkey, int alg, unsigned char const *digest, unsigned char *sig, size_t *siglen) ;

/* RFC 6376 §3.7's header hash: the fields named (bottom-up selection,
 * §5.4.2), then the signature field sigfield[0..siglen) with
 * [bstart, bend) taken out and no final CRLF. 1, or 0 (OpenSSL). */
extern int dkim_ext_header_digest (char const *msg, dkim_field const *fields, size_t nfields, char const *const *names, size_t const *lens, unsigned int n, int canon, char const *sigfield, size_t siglen, size_t bstart, size_t bend, unsigned char *digest) ;

#endif
