/* ISC license. */

/* The RFC 6533 section 3 "utf-8" address forms (common/dsn_utf8.c):
 * which characters are escaped as \x{HEX}, the HEXPOINT spelling, and
 * what the decoder refuses. */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <skalibs/stralloc.h>

#include "common/dsn_utf8.h"
#include "tests/unit/check.h"

static stralloc sa = STRALLOC_ZERO ;

static int enc_is (char const *in, size_t len, int xtext, char const *want)
{
  sa.len = 0 ;
  if (!dsn_utf8addr_encode(&sa, in, len, xtext)) return 0 ;
  return sa.len == strlen(want) && !memcmp(sa.s, want, sa.len) ;
}

static int enc_fails (char const *in, size_t len)
{
  sa.len = 3 ;   /* what was there stays */
  if (!stralloc_ready(&sa, 3)) return 0 ;
  memcpy(sa.s, "abc", 3) ;
  return !dsn_utf8addr_encode(&sa, in, len, 0) && errno == EINVAL && sa.len == 3
      && !dsn_utf8addr_encode(&sa, in, len, 1) && errno == EINVAL && sa.len == 3 ;
}

/* dsn_utf8addr_valid says yes exactly where the decoder does */
static int dec_is (char const *in, char const *want)
{
  sa.len = 0 ;
  if (!dsn_utf8addr_valid(in, strlen(in))) return 0 ;
  if (!dsn_utf8addr_decode(&sa, in, strlen(in))) return 0 ;
  return sa.len == strlen(want) && !memcmp(sa.s, want, sa.len) ;
}

static int dec_fails (char const *in, size_t len)
{
  sa.len = 0 ;
  errno = 0 ;
  if (dsn_utf8addr_valid(in, len) || errno != EINVAL) return 0 ;
  return !dsn_utf8addr_decode(&sa, in, len) && errno == EINVAL && !sa.len ;
}

int main (void)
{
  /* QCHAR passes, in both forms */
  CHECK(enc_is("bob@example.test", 16, 0, "bob@example.test"), "ascii_address_unchanged_unitext") ;
  CHECK(enc_is("bob@example.test", 16, 1, "bob@example.test"), "ascii_address_unchanged_xtext") ;
  CHECK(enc_is("!#$%&'*,-./09:;<>?@AZ[]^_`az{|}~", 32, 0, "!#$%&'*,-./09:;<>?@AZ[]^_`az{|}~"), "every_qchar_class_raw") ;
  /* the xtext specials and the backslash: \x{2B} \x{3D} \x{5C} \x{20} \x{7F} */
  CHECK(enc_is("a+b@x", 5, 0, "a\\x{2B}b@x"), "plus_escaped") ;
  CHECK(enc_is("a=b@x", 5, 0, "a\\x{3D}b@x"), "equals_escaped") ;
  CHECK(enc_is("a\\b@x", 5, 0, "a\\x{5C}b@x"), "backslash_escaped") ;
  CHECK(enc_is("\"a b\"@x", 7, 0, "\"a\\x{20}b\"@x"), "space_escaped") ;
  CHECK(enc_is("a\x7f@x", 4, 0, "a\\x{7F}@x"), "del_escaped") ;
  CHECK(enc_is("a\x01\x09\x10\x19@x", 7, 0, "a\\x{01}\\x{09}\\x{10}\\x{19}@x"), "representable_controls_two_digits") ;
  /* controls the HEXPOINT grammar has no spelling for */
  CHECK(enc_fails("a\nb@x", 5), "lf_refused") ;
  CHECK(enc_fails("a\x0f@x", 4), "0f_refused") ;
  CHECK(enc_fails("a\x1a@x", 4), "1a_refused") ;
  CHECK(enc_fails("a\0b", 3), "nul_refused") ;
  CHECK(enc_fails("", 0), "empty_refused") ;
  /* non-ASCII: raw in unitext, shortest upper-case HEXPOINT in xtext */
  CHECK(enc_is("j\xc3\xa9r\xc3\xb4me@x", 10, 0, "j\xc3\xa9r\xc3\xb4me@x"), "utf8_raw_in_unitext") ;
  CHECK(enc_is("j\xc3\xa9r\xc3\xb4me@x", 10, 1, "j\\x{E9}r\\x{F4}me@x"), "latin1_range_two_digits_xtext") ;
  CHECK(enc_is("\xc4\x80@x", 4, 1, "\\x{100}@x"), "three_digits_xtext") ;
  CHECK(enc_is("\xe4\xb8\xad@x", 5, 1, "\\x{4E2D}@x"), "four_digits_xtext") ;
  CHECK(enc_is("\xf0\x9f\x98\x80@x", 6, 1, "\\x{1F600}@x"), "five_digits_xtext") ;
  CHECK(enc_is("\xf4\x8f\xbf\xbf@x", 6, 1, "\\x{10FFFF}@x"), "six_digits_xtext") ;
  CHECK(enc_is("\xe4\xb8\xad+1@x", 7, 0, "\xe4\xb8\xad\\x{2B}1@x"), "utf8_and_plus_unitext") ;
  /* not UTF-8 */
  CHECK(enc_fails("\xc0\xaf@x", 4), "overlong_refused") ;
  CHECK(enc_fails("\xed\xa0\x80@x", 5), "surrogate_refused") ;
  CHECK(enc_fails("\xf4\x90\x80\x80@x", 6), "above_10ffff_refused") ;
  CHECK(enc_fails("\xc3", 1), "truncated_sequence_refused") ;
  CHECK(enc_fails("\xe9t\xe9@x", 5), "latin1_bytes_refused") ;

  /* decoding: both forms, exact grammar */
  CHECK(dec_is("j\\x{E9}r\\x{F4}me@x", "j\xc3\xa9r\xc3\xb4me@x"), "decode_xtext_form") ;
  CHECK(dec_is("j\xc3\xa9r\xc3\xb4me@x", "j\xc3\xa9r\xc3\xb4me@x"), "decode_unitext_form") ;
  CHECK(dec_is("a\\x{2B}b\\x{5c}@x", "a+b\\@x"), "decode_specials_any_case") ;
  CHECK(dec_is("\\x{10FFFF}\\x{4e2d}", "\xf4\x8f\xbf\xbf\xe4\xb8\xad"), "decode_long_forms") ;
  CHECK(dec_fails("a+b@x", 5), "decode_raw_plus_refused") ;
  CHECK(dec_fails("a b@x", 5), "decode_raw_space_refused") ;
  CHECK(dec_fails("a=b", 3), "decode_raw_equals_refused") ;
  CHECK(dec_fails("a\\b", 3), "decode_raw_backslash_refused") ;
  CHECK(dec_fails("\\x{41}", 6), "decode_escaped_qchar_refused") ;
  CHECK(dec_fails("\\x{0A}", 6), "decode_unspellable_control_refused") ;
  CHECK(dec_fails("\\x{0E9}", 7), "decode_leading_zero_refused") ;
  CHECK(dec_fails("\\x{D800}", 8), "decode_surrogate_refused") ;
  CHECK(dec_fails("\\x{110000}", 10), "decode_above_10ffff_refused") ;
  CHECK(dec_fails("\\x{0010FFFF}", 12), "decode_too_many_digits_refused") ;
  CHECK(dec_fails("\\x{}", 4), "decode_empty_hexpoint_refused") ;
  CHECK(dec_fails("\\x{E9", 5), "decode_unclosed_refused") ;
  CHECK(dec_fails("\\X{E9}", 6), "decode_upper_x_refused") ;
  CHECK(dec_fails("\xc0\xaf", 2), "decode_overlong_refused") ;
  CHECK(dec_fails("", 0), "decode_empty_refused") ;
  /* an RCPT ORCPT=utf-8;... value (RFC 6533 3): unitext, xtext, or
   * both kinds of character in one value */
  CHECK(dec_is("j\xc3\xa9r\xc3\xb4me@example.test", "j\xc3\xa9r\xc3\xb4me@example.test"), "valid_unitext_orcpt") ;
  CHECK(dec_is("j\\x{E9}r\xc3\xb4me\\x{2B}1@x", "j\xc3\xa9r\xc3\xb4me+1@x"), "valid_mixed_orcpt") ;
  CHECK(dec_fails("j\xc3\xa9r\xc3\xb4me+1@x", 12), "unitext_raw_plus_refused") ;
  CHECK(dec_fails("j\xe9r\xf4me@x", 8), "latin1_orcpt_refused") ;
  CHECK(dec_fails("a@x\xe4\xb8", 5), "truncated_at_end_refused") ;

  /* round trip over every representable BMP-and-beyond sample */
  {
    static uint32_t const samples[] = { 0x01, 0x20, 0x2b, 0x41, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0xd7ff, 0xe000, 0xffff, 0x10000, 0xfffff, 0x100000, 0x10ffff } ;
    int ok = 1 ;
    for (size_t k = 0 ; k < sizeof(samples) / sizeof(samples[0]) ; k++)
    {
      for (int xt = 0 ; xt < 2 ; xt++)
      {
        stralloc in = STRALLOC_ZERO, back = STRALLOC_ZERO ;
        uint32_t v = samples[k] ;
        char b[4] ;
        size_t n = v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4 ;
        if (n == 1) b[0] = (char)v ;
        else if (n == 2) { b[0] = (char)(0xc0 | (v >> 6)) ; b[1] = (char)(0x80 | (v & 0x3f)) ; }
        else if (n == 3) { b[0] = (char)(0xe0 | (v >> 12)) ; b[1] = (char)(0x80 | ((v >> 6) & 0x3f)) ; b[2] = (char)(0x80 | (v & 0x3f)) ; }
        else { b[0] = (char)(0xf0 | (v >> 18)) ; b[1] = (char)(0x80 | ((v >> 12) & 0x3f)) ; b[2] = (char)(0x80 | ((v >> 6) & 0x3f)) ; b[3] = (char)(0x80 | (v & 0x3f)) ; }
        if (!dsn_utf8addr_encode(&in, b, n, xt) || !dsn_utf8addr_decode(&back, in.s, in.len)
         || back.len != n || memcmp(back.s, b, n)) ok = 0 ;
        if (xt) for (size_t j = 0 ; j < in.len ; j++) if ((unsigned char)in.s[j] >= 0x80) ok = 0 ;
        stralloc_free(&in) ;
        stralloc_free(&back) ;
      }
    }
    CHECK(ok, "round_trip_samples_both_forms") ;
  }
  return check_done() ;
}
