/* ISC license. */

/* Private keys for the signer, and the public half for a key record. */

#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <skalibs/stralloc.h>

#include "common/dkim.h"

EVP_PKEY *dkim_privkey_parse (char const *s, size_t len, int *alg)
{
  EVP_PKEY *k = 0 ;
  if (len > 65536) return 0 ;
  if (len >= 11 && memmem(s, len, "-----BEGIN ", 11))
  {
    BIO *b = BIO_new_mem_buf(s, (int)len) ;
    if (!b) return 0 ;
    k = PEM_read_bio_PrivateKey(b, 0, 0, 0) ;
    BIO_free(b) ;
  }
  else
  {
    /* rspamd's Ed25519 form: base64 of the seed, or of seed + public key */
    unsigned char raw[64] ;
    size_t n ;
    if (!dkim_b64_decode(s, len, raw, sizeof(raw), &n) || (n != 32 && n != 64)) return 0 ;
    k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, 0, raw, 32) ;
    if (k && n == 64)
    {
      unsigned char pub[32] ;
      size_t pl = sizeof(pub) ;
      if (!EVP_PKEY_get_raw_public_key(k, pub, &pl) || pl != 32 || memcmp(pub, raw + 32, 32))
      {
        EVP_PKEY_free(k) ;
        k = 0 ;
      }
    }
    memset(raw, 0, sizeof(raw)) ;
  }
  if (!k) return 0 ;
  switch (EVP_PKEY_get_base_id(k))
  {
    case EVP_PKEY_RSA : *alg = DKIM_ALG_RSA_SHA256 ; return k ;
    case EVP_PKEY_ED25519 : *alg = DKIM_ALG_ED25519_SHA256 ; return k ;
    default : EVP_PKEY_free(k) ; return 0 ;
  }
}

int dkim_pubkey_b64 (stralloc *sa, EVP_PKEY *pkey, int alg)
{
  if (alg == DKIM_ALG_ED25519_SHA256)
  {
    unsigned char pub[32] ;
    size_t pl = sizeof(pub) ;
    if (!EVP_PKEY_get_raw_public_key(pkey, pub, &pl) || pl != 32) return 0 ;
    return dkim_b64_encode(sa, pub, 32) ;
  }
  {
    unsigned char *der = 0 ;
    int n = i2d_PUBKEY(pkey, &der) ;
    int ok ;
    if (n <= 0) return 0 ;
    ok = dkim_b64_encode(sa, der, (size_t)n) ;
    OPENSSL_free(der) ;
    return ok ;
  }
}
