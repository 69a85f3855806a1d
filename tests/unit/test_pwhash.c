/* ISC license. */

/* common/pwhash: known vectors for every scheme postfix-accounts.cf may
 * hold, refusals, and round trips of freshly made hashes.
 * Vectors: SHA-crypt ones are from Ulrich Drepper's specification
 * ("Unix crypt using SHA-256 and SHA-512", test section), reproduced
 * with `openssl passwd -5/-6 -salt`; the bcrypt one is Openwall's
 * crypt_blowfish vector for "U*U"; MD5-crypt from `openssl passwd -1`;
 * the yescrypt one was computed once with libxcrypt 4.4.33 and pinned. */

#include <errno.h>
#include <string.h>

#include "common/pwhash.h"
#include "tests/unit/check.h"

static int verify (char const *stored, char const *pw)
{
  return pwhash_verify(stored, strlen(stored), pw, strlen(pw), 0) ;
}

static int scheme_of (char const *stored)
{
  int scheme = -2 ;
  pwhash_verify(stored, strlen(stored), "x", 1, &scheme) ;
  return scheme ;
}

int main (void)
{
  static char const sha512[] = "{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1" ;
  static char const sha512r[] = "{SHA512-CRYPT}$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v." ;
  static char const sha256[] = "{SHA256-CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5" ;
  static char const blf2a[] = "{BLF-CRYPT}$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" ;
  static char const blf2y[] = "{BLF-CRYPT}$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" ;
  static char const blf2b[] = "{BLF-CRYPT}$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" ;
  static char const yes[] = "{CRYPT}$y$j9T$F5Jx5fExrKuPp53xLKQ..1$tnSYvahCwPBHKZUspmcxMfb0.WiB9W.zEaKlOBL35rC" ;
  static char const md5bare[] = "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1" ;

  CHECK(verify(sha512, "Hello world!") == 1, "sha512_crypt_vector") ;
  CHECK(verify(sha512, "Hello world?") == 0, "sha512_crypt_wrong") ;
  CHECK(verify(sha512, "Hello world") == 0, "sha512_crypt_prefix_of_password") ;
  CHECK(verify(sha512r, "Hello world!") == 1, "sha512_crypt_rounds_vector") ;
  CHECK(verify(sha256, "Hello world!") == 1, "sha256_crypt_vector") ;
  CHECK(verify(sha256, "hello world!") == 0, "sha256_crypt_wrong") ;
  CHECK(verify(blf2a, "U*U") == 1, "blf_crypt_2a_vector") ;
  CHECK(verify(blf2y, "U*U") == 1, "blf_crypt_2y_vector") ;
  CHECK(verify(blf2b, "U*U") == 1, "blf_crypt_2b_vector") ;
  CHECK(verify(blf2y, "U*V") == 0, "blf_crypt_wrong") ;
  CHECK(verify(yes, "password") == 1, "crypt_yescrypt_vector") ;
  CHECK(verify(yes, "Password") == 0, "crypt_yescrypt_wrong") ;
  CHECK(verify(md5bare, "secret") == 1, "bare_hash_is_crypt") ;
  CHECK(verify(md5bare, "secreT") == 0, "bare_hash_wrong") ;
  CHECK(verify("{crypt}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!") == 1, "scheme_name_case_insensitive") ;

  CHECK(verify("{PLAIN}s3cret", "s3cret") == 1, "plain_match") ;
  CHECK(verify("{PLAIN}s3cret", "s3cre") == 0, "plain_shorter") ;
  CHECK(verify("{PLAIN}s3cret", "s3crett") == 0, "plain_longer") ;
  CHECK(verify("{CLEAR}abc", "abc") == 1, "clear_alias") ;
  CHECK(scheme_of("{PLAIN}abc") == PWHASH_SCHEME_PLAIN, "plain_scheme_reported") ;
  CHECK(scheme_of(sha512) == PWHASH_SCHEME_SHA512_CRYPT, "sha512_scheme_reported") ;
  CHECK(scheme_of(md5bare) == PWHASH_SCHEME_CRYPT, "bare_scheme_reported") ;

  /* Refusals: a scheme we do not know, a hash that does not fit the
   * scheme it names, a hash crypt cannot compute. */
  errno = 0 ;
  CHECK(verify("{SSHA}abcdef", "x") == -1 && errno == EINVAL, "unknown_scheme_refused") ;
  CHECK(verify("{SHA512-CRYPT", "x") == -1, "unterminated_scheme_refused") ;
  CHECK(verify("{SHA512-CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!") == -1, "scheme_hash_mismatch_refused") ;
  CHECK(verify("{BLF-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!") == -1, "blf_with_sha_refused") ;
  CHECK(verify("{CRYPT}", "") == -1, "empty_hash_refused") ;
  CHECK(verify("!locked", "x") == -1, "uncomputable_hash_refused") ;

  /* Passwords crypt(3) cannot take never match. */
  CHECK(pwhash_verify(sha512, sizeof(sha512) - 1, "Hello world!\0x", 14, 0) == 0, "nul_in_password_no_match") ;
  {
    char big[PWHASH_PASSWORD_MAX + 2] ;
    memset(big, 'a', sizeof(big)) ;
    CHECK(pwhash_verify(sha512, sizeof(sha512) - 1, big, sizeof(big), 0) == 0, "overlong_password_no_match") ;
  }

  /* Fresh hashes: the documented form, verifiable, salted. */
  {
    char a[PWHASH_OUTPUT_MAX], b[PWHASH_OUTPUT_MAX] ;
    size_t alen = pwhash_make(a, "correct horse", 13) ;
    size_t blen = pwhash_make(b, "correct horse", 13) ;
    CHECK(alen > 0 && alen == strlen(a), "make_returns_length") ;
    CHECK(!strncmp(a, "{SHA512-CRYPT}$6$", 17), "make_sha512_crypt_form") ;
    CHECK(!strstr(a, "rounds="), "make_default_rounds") ;
    {
      char const *salt = a + 17 ;
      char const *end = strchr(salt, '$') ;
      CHECK(end && end - salt == 16, "make_salt_16_chars") ;
    }
    CHECK(alen == 14 + 3 + 16 + 1 + 86, "make_length") ;
    CHECK(verify(a, "correct horse") == 1, "make_roundtrip") ;
    CHECK(verify(a, "correct horsE") == 0, "make_roundtrip_wrong") ;
    CHECK(blen && strcmp(a, b), "make_salts_differ") ;
    errno = 0 ;
    CHECK(pwhash_make(a, "", 0) == 0 && errno == EINVAL, "make_refuses_empty") ;
    CHECK(pwhash_make(a, "a\0b", 3) == 0, "make_refuses_nul") ;
  }

  CHECK(pwhash_equal("abc", "abc", 3) && !pwhash_equal("abc", "abd", 3) && pwhash_equal("x", "y", 0), "equal_basic") ;
  CHECK(!strcmp(pwhash_scheme_name(PWHASH_SCHEME_BLF_CRYPT), "BLF-CRYPT"), "scheme_name") ;
  return check_done() ;
}
