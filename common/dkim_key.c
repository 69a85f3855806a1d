/* ISC license. */

/* Key records, RFC 6376 §3.6.1 (and RFC 8463 §4.2 for k=ed25519). */

#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <skalibs/bytestr.h>

#include "common/dkim.h"

#define IS_FWSCHAR(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* Does the colon-separated list s[0..len) hold word? */
static int list_has (char const *s, size_t len, char const *word)
{
  size_t i = 0, wl = strlen(word) ;
  while (i <= len)
  {
    size_t e = i + byte_chr(s + i, len - i, ':') ;
    size_t a = i, b = e ;
    while (a < b && IS_FWSCHAR(s[a])) a++ ;
    while (b > a && IS_FWSCHAR(s[b-1])) b-- ;
    if (b - a == wl && !memcmp(s + a, word, wl)) return 1 ;
    i = e + 1 ;
  }
  return 0 ;
}

/* One DER header at der[*i]: tag, then a definite length in its
 * shortest form (X.690 §10.1). *i moves past it; *len gets the length,
 * which must fit in what is left. */
static int der_header (unsigned char const *der, size_t end, size_t *i, unsigned char tag, size_t *len)
{
  size_t n = 0 ;
  if (*i + 2 > end || der[*i] != tag) return 0 ;
  n = der[*i + 1] ;
  *i += 2 ;
  if (n == 0x81)
  {
    if (*i + 1 > end || der[*i] < 0x80) return 0 ;
    n = der[(*i)++] ;
  }
  else if (n == 0x82)
  {
    if (*i + 2 > end || der[*i] == 0) return 0 ;
    n = (size_t)der[*i] << 8 | der[*i + 1] ;
    if (n < 0x100) return 0 ;
    *i += 2 ;
  }
  else if (n >= 0x80) return 0 ;
  if (n > end - *i) return 0 ;
  *len = n ;
  return 1 ;
}

/* The RSAPublicKey inside the usual SubjectPublicKeyInfo (RFC 5280
 * §4.1, RFC 3279 §2.3.1): SEQUENCE { SEQUENCE { rsaEncryption, NULL },
 * BIT STRING with no unused bits }, nothing after. 0 when it is not
 * exactly that form: the caller leaves such a key to OpenSSL's own
 * parser. */
static int spki_rsa (unsigned char const *der, size_t len, size_t *inner, size_t *innerlen)
{
  static unsigned char const alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 } ;
  size_t i = 0, n ;
  if (!der_header(der, len, &i, 0x30, &n) || i + n != len) return 0 ;
  if (len - i < sizeof(alg) || memcmp(der + i, alg, sizeof(alg))) return 0 ;
  i += sizeof(alg) ;
  if (!der_header(der, len, &i, 0x03, &n) || i + n != len || n < 2 || der[i]) return 0 ;
  *inner = i + 1 ;
  *innerlen = n - 1 ;
  return 1 ;
}

/* p= of k=rsa: a SubjectPublicKeyInfo (what §3.6.1 means), or a bare
 * RSAPublicKey (PKCS#1), which some signers publish. OpenSSL 3 decodes
 * a SubjectPublicKeyInfo through its decoder framework, which costs a
 * hundred times what decoding the RSAPublicKey inside does (and four
 * times an RSA-2048 verification): the usual form is unwrapped here,
 * any other goes to d2i_PUBKEY. */
static EVP_PKEY *rsa_key (unsigned char const *der, size_t len)
{
  unsigned char const *p = der ;
  EVP_PKEY *k ;
  size_t inner, innerlen ;
  if (spki_rsa(der, len, &inner, &innerlen))
  {
    p = der + inner ;
    k = d2i_PublicKey(EVP_PKEY_RSA, 0, &p, (long)innerlen) ;
    if (k && p == der + len) return k ;
    if (k) EVP_PKEY_free(k) ;
    p = der ;
  }
  k = d2i_PUBKEY(0, &p, (long)len) ;
  if (k && (p != der + len || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA))
  {
    EVP_PKEY_free(k) ;
    return 0 ;
  }
  if (k) return k ;
  p = der ;
  k = d2i_PublicKey(EVP_PKEY_RSA, 0, &p, (long)len) ;
  if (k && p != der + len) { EVP_PKEY_free(k) ; return 0 ; }
  return k ;
}

int dkim_key_parse (dkim_key *k, char const *rec, size_t len, char const **why)
{
  static dkim_tags t ;
  static unsigned char der[DKIM_KEYBYTES_MAX] ;
  dkim_tag const *g ;
  size_t derlen ;
  k->pkey = 0 ;
  k->ktype = DKIM_ALG_RSA_SHA256 ;
  k->sha256_ok = 1 ;
  k->testing = k->strict = 0 ;
  k->bits = 0 ;
  if (len > DKIM_RECORD_MAX) return (*why = "key record too long", 0) ;
  if (!dkim_tags_parse(&t, rec, len, why)) { *why = "malformed key record" ; return 0 ; }
#define TAG(name) ((g = dkim_tags_get(&t, rec, name)))
#define VAL rec + g->value, g->valuelen
  if (TAG("v") && (g != t.tag || g->valuelen != 5 || memcmp(rec + g->value, "DKIM1", 5)))
    return (*why = "bad v= in key record", 0) ;
  if (TAG("h")) k->sha256_ok = list_has(VAL, "sha256") ;
  if (TAG("k"))
  {
    if (g->valuelen == 3 && !memcmp(rec + g->value, "rsa", 3)) k->ktype = DKIM_ALG_RSA_SHA256 ;
    else if (g->valuelen == 7 && !memcmp(rec + g->value, "ed25519", 7)) k->ktype = DKIM_ALG_ED25519_SHA256 ;
    else return (*why = "unknown key type", 0) ;
  }
  if (TAG("s") && !list_has(VAL, "email") && !list_has(VAL, "*")) return (*why = "key not for email", 0) ;
  if (TAG("t"))
  {
    k->testing = list_has(VAL, "y") ;
    k->strict = list_has(VAL, "s") ;
  }
  if (!TAG("p")) return (*why = "key record without p=", 0) ;
  if (!g->valuelen) return (*why = "key revoked", 0) ;
  if (!dkim_b64_decode(VAL, der, sizeof(der), &derlen)) return (*why = "bad p=", 0) ;
#undef TAG
#undef VAL
  if (k->ktype == DKIM_ALG_ED25519_SHA256)
  {
    if (derlen != 32) return (*why = "unusable ed25519 key", -1) ;
    k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, 0, der, 32) ;
    if (!k->pkey) return (*why = "unusable ed25519 key", -1) ;
    k->bits = 256 ;
    return 1 ;
  }
  k->pkey = rsa_key(der, derlen) ;
  if (!k->pkey) return (*why = "unusable rsa key", -1) ;
  k->bits = (unsigned int)EVP_PKEY_get_bits(k->pkey) ;
  if (k->bits > DKIM_RSA_BITS_MAX)
  {
    dkim_key_free(k) ;
    return (*why = "rsa key too long", 0) ;
  }
  return 1 ;
}

void dkim_key_free (dkim_key *k)
{
  if (k->pkey) EVP_PKEY_free(k->pkey) ;
  k->pkey = 0 ;
}
