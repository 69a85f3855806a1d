/* ISC license. */

/* Private keys for the signer, and the public half for a key record. */

#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <skalibs/stralloc.h>

#include "common/dkim.h"

/* an RSA-8192 key in PKCS#8 is under 4.8 KiB */
#define DKIM_PRIVDER_MAX 6144

/* The DER inside a file that is one PEM block labelled label
 * (RFC 7468 §2), whitespace around it allowed; 0 for anything else
 * (several blocks, explanatory text, encryption headers). */
static int pem_der (char const *s, size_t len, char const *label, unsigned char *der, size_t max, size_t *derlen)
{
  size_t ll = strlen(label), i = 0, end = len ;
  char const *e ;
  while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++ ;
  if (len - i < 16 + ll || memcmp(s + i, "-----BEGIN ", 11) || memcmp(s + i + 11, label, ll) || memcmp(s + i + 11 + ll, "-----", 5)) return 0 ;
  i += 16 + ll ;
  while (end > i && (s[end-1] == ' ' || s[end-1] == '\t' || s[end-1] == '\r' || s[end-1] == '\n')) end-- ;
  if (end - i < 14 + ll || memcmp(s + end - 5, "-----", 5) || memcmp(s + end - 5 - ll, label, ll) || memcmp(s + end - 14 - ll, "-----END ", 9)) return 0 ;
  e = s + end - 14 - ll ;
  return dkim_b64_decode(s + i, (size_t)(e - (s + i)), der, max, derlen) ;
}

/* The plain forms opendkim-genkey, `openssl genpkey` and rspamd write,
 * decoded without OpenSSL 3's PEM and decoder frameworks, which cost a
 * signer that runs per message 0.8 ms a key (twice an RSA-2048
 * signature, fifteen Ed25519 ones):
 *  - PKCS#8 (RFC 5208) of an Ed25519 key (RFC 8410 §7): 48 bytes, the
 *    seed last;
 *  - PKCS#8 of an RSA key (rsaEncryption), and PKCS#1 (RFC 8017
 *    appendix A.1.2): DER straight to d2i_PrivateKey.
 * 0 for anything else: PEM_read_bio_PrivateKey decides. */
static EVP_PKEY *plain_key (char const *s, size_t len)
{
  static unsigned char const ed_prefix[16] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 } ;
  static unsigned char const rsa_alg[15] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 } ;
  unsigned char der[DKIM_PRIVDER_MAX] ;
  unsigned char const *p = der ;
  size_t n = 0 ;
  EVP_PKEY *k = 0 ;
  if (pem_der(s, len, "PRIVATE KEY", der, sizeof(der), &n))
  {
    if (n == 48 && !memcmp(der, ed_prefix, 16))
      k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, 0, der + 16, 32) ;
    /* SEQUENCE, version 0, then the algorithm at 4 + length octets */
    else if (n > 32 && der[0] == 0x30 && der[1] == 0x82 && !memcmp(der + 4, "\x02\x01\x00", 3) && !memcmp(der + 7, rsa_alg, sizeof(rsa_alg)))
    {
      k = d2i_PrivateKey(EVP_PKEY_RSA, 0, &p, (long)n) ;
      if (k && p != der + n) { EVP_PKEY_free(k) ; k = 0 ; }
    }
  }
  else if (pem_der(s, len, "RSA PRIVATE KEY", der, sizeof(der), &n))
  {
    k = d2i_PrivateKey(EVP_PKEY_RSA, 0, &p, (long)n) ;
    if (k && p != der + n) { EVP_PKEY_free(k) ; k = 0 ; }
  }
  OPENSSL_cleanse(der, sizeof(der)) ;
  return k ;
}

EVP_PKEY *dkim_privkey_parse (char const *s, size_t len, int *alg)
{
  EVP_PKEY *k = 0 ;
  if (len > 65536) return 0 ;
  if (len >= 11 && memmem(s, len, "-----BEGIN ", 11))
  {
    k = plain_key(s, len) ;
    if (!k)
    {
      BIO *b = BIO_new_mem_buf(s, (int)len) ;
      if (!b) return 0 ;
      k = PEM_read_bio_PrivateKey(b, 0, 0, 0) ;
      BIO_free(b) ;
    }
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
