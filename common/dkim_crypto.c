/* ISC license. */

/* The signature over the header hash: RSASSA-PKCS1-v1_5 with SHA-256
 * (RFC 6376 §3.3.1), or Ed25519 over the SHA-256 digest (RFC 8463 §3:
 * PureEdDSA of the hash, not of the data). */

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "common/dkim-internal.h"

EVP_MD const *dkim_sha256 (void)
{
  static EVP_MD *md = 0 ;
  if (!md) md = EVP_MD_fetch(0, "SHA256", 0) ;
  return md ? md : EVP_sha256() ;
}

/* An RSA context set up for PKCS#1 v1.5 with SHA-256, kept for the
 * last key of each direction: setting one up costs OpenSSL 3 about as
 * much as a signature. The key is referenced while it is kept, so a
 * later key can never have its address. */
static EVP_PKEY_CTX *rsa_ctx (EVP_PKEY *pkey, int sign)
{
  static EVP_PKEY *key[2] = { 0, 0 } ;
  static EVP_PKEY_CTX *ctx[2] = { 0, 0 } ;
  EVP_PKEY_CTX *c ;
  if (key[sign] == pkey && ctx[sign]) return ctx[sign] ;
  c = EVP_PKEY_CTX_new(pkey, 0) ;
  if (!c) return 0 ;
  if ((sign ? EVP_PKEY_sign_init(c) : EVP_PKEY_verify_init(c)) != 1
   || EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1
   || EVP_PKEY_CTX_set_signature_md(c, dkim_sha256()) != 1
   || !EVP_PKEY_up_ref(pkey))
  {
    EVP_PKEY_CTX_free(c) ;
    return 0 ;
  }
  if (ctx[sign]) EVP_PKEY_CTX_free(ctx[sign]) ;
  if (key[sign]) EVP_PKEY_free(key[sign]) ;
  key[sign] = pkey ;
  ctx[sign] = c ;
  return c ;
}

/* An Ed25519 context ready for one EVP_DigestSign or EVP_DigestVerify
 * (a one-shot context cannot be used twice): a copy of one set up for
 * the last key of each direction, cheaper than setting one up. */
static EVP_MD_CTX *ed_ctx (EVP_PKEY *pkey, int sign)
{
  static EVP_PKEY *key[2] = { 0, 0 } ;
  static EVP_MD_CTX *tmpl[2] = { 0, 0 } ;
  EVP_MD_CTX *md ;
  if (key[sign] != pkey || !tmpl[sign])
  {
    EVP_MD_CTX *t = EVP_MD_CTX_new() ;
    if (!t) return 0 ;
    if ((sign ? EVP_DigestSignInit(t, 0, 0, 0, pkey) : EVP_DigestVerifyInit(t, 0, 0, 0, pkey)) != 1 || !EVP_PKEY_up_ref(pkey))
    {
      EVP_MD_CTX_free(t) ;
      return 0 ;
    }
    if (tmpl[sign]) EVP_MD_CTX_free(tmpl[sign]) ;
    if (key[sign]) EVP_PKEY_free(key[sign]) ;
    key[sign] = pkey ;
    tmpl[sign] = t ;
  }
  md = EVP_MD_CTX_new() ;
  if (!md) return 0 ;
  if (!EVP_MD_CTX_copy_ex(md, tmpl[sign])) { EVP_MD_CTX_free(md) ; return 0 ; }
  return md ;
}

int dkim_crypto_verify (EVP_PKEY *pkey, int alg, unsigned char const *digest, unsigned char const *sig, size_t siglen)
{
  int ok = 0 ;
  if (alg == DKIM_ALG_ED25519_SHA256)
  {
    EVP_MD_CTX *md = ed_ctx(pkey, 0) ;
    if (!md) return -1 ;
    ok = EVP_DigestVerify(md, sig, siglen, digest, 32) == 1 ;
    EVP_MD_CTX_free(md) ;
    return ok ;
  }
  {
    EVP_PKEY_CTX *c = rsa_ctx(pkey, 0) ;
    if (!c) return -1 ;
    return EVP_PKEY_verify(c, sig, siglen, digest, 32) == 1 ;
  }
}

int dkim_crypto_sign (EVP_PKEY *pkey, int alg, unsigned char const *digest, unsigned char *sig, size_t *siglen)
{
  int ok = 0 ;
  if (alg == DKIM_ALG_ED25519_SHA256)
  {
    EVP_MD_CTX *md = ed_ctx(pkey, 1) ;
    if (!md) return 0 ;
    ok = EVP_DigestSign(md, sig, siglen, digest, 32) == 1 ;
    EVP_MD_CTX_free(md) ;
    return ok ;
  }
  {
    EVP_PKEY_CTX *c = rsa_ctx(pkey, 1) ;
    if (!c) return 0 ;
    return EVP_PKEY_sign(c, sig, siglen, digest, 32) == 1 ;
  }
}

/* The header hash of §3.7: the fields h= names, then the signature
 * field itself with its b= value taken out and no final CRLF. */
static void md_sink (void *ctx, char const *s, size_t len)
{
  EVP_DigestUpdate((EVP_MD_CTX *)ctx, s, len) ;
}

int dkim_header_digest (char const *msg, dkim_field const *fields, size_t nfields, char const *const *names, size_t const *lens, unsigned int n, int canon, char const *sigfield, size_t siglen, size_t bstart, size_t bend, unsigned char *digest)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new() ;
  unsigned int dl = 0 ;
  int ok ;
  if (!md) return 0 ;
  ok = EVP_DigestInit_ex(md, dkim_sha256(), 0) == 1 ;
  if (ok)
  {
    static char field[DKIM_FIELD_MAX] ;
    size_t fl = 0 ;
    dkim_hash_headers(md, msg, fields, nfields, names, lens, n, canon) ;
    for (size_t i = 0 ; i < bstart ; i++) field[fl++] = sigfield[i] ;
    for (size_t i = bend ; i < siglen ; i++) field[fl++] = sigfield[i] ;
    dkim_canon_header(canon, field, fl, 0, &md_sink, md) ;
    ok = EVP_DigestFinal_ex(md, digest, &dl) == 1 && dl == 32 ;
  }
  EVP_MD_CTX_free(md) ;
  return ok ;
}
