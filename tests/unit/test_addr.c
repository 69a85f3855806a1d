/* ISC license. */

#include <errno.h>
#include <string.h>

#include "common/addr.h"
#include "tests/unit/check.h"

/* Each case: the input, the flags, and either the canonical form and the
 * number of bytes consumed, or the errno of the refusal. */

#define U ADDR_UTF8_OK
#define E ADDR_EMPTY_OK
#define P ADDR_POSTMASTER_OK
#define L ADDR_LIMITS_LAX

static int path_ok (char const *in, unsigned int flags, char const *want, size_t wantat)
{
  mailaddr a ;
  size_t n ;
  memset(&a, 0xaa, sizeof(a)) ;
  n = addr_parse_path(in, strlen(in), &a, flags) ;
  if (!n || n != strlen(in) || strcmp(a.s, want) || a.len != strlen(want) || a.at != wantat)
  {
    printf("# %s: n=%zu errno=%d s=%.*s at=%zu\n", in, n, n ? 0 : errno, n ? (int)a.len : 0, a.s, n ? a.at : 0) ;
    return 0 ;
  }
  return 1 ;
}

static int path_bad (char const *in, size_t len, unsigned int flags, int wanterrno)
{
  mailaddr a ;
  size_t n ;
  errno = 0 ;
  n = addr_parse_path(in, len, &a, flags) ;
  if (n || errno != wanterrno)
  {
    printf("# %s: n=%zu errno=%d (want %d)\n", in, n, errno, wanterrno) ;
    return 0 ;
  }
  return 1 ;
}

#define BAD(in, flags, e, name) CHECK(path_bad(in, strlen(in), flags, e), name)

static int mbox_ok (char const *in, unsigned int flags, char const *want)
{
  mailaddr a ;
  if (!addr_parse_mailbox(in, strlen(in), &a, flags) || strcmp(a.s, want)) { printf("# %s: errno=%d\n", in, errno) ; return 0 ; }
  return 1 ;
}

static int mbox_bad (char const *in, unsigned int flags, int wanterrno)
{
  mailaddr a ;
  errno = 0 ;
  return !addr_parse_mailbox(in, strlen(in), &a, flags) && errno == wanterrno ;
}

static char const *repeat (char *buf, char c, size_t n, char const *suffix)
{
  memset(buf, c, n) ;
  strcpy(buf + n, suffix) ;
  return buf ;
}

int main (void)
{
  /* Plain paths. */
  CHECK(path_ok("<user@example.test>", 0, "user@example.test", 4), "addr simple path") ;
  CHECK(path_ok("<User.Name+tag@Example.TEST>", 0, "User.Name+tag@Example.TEST", 13), "addr case kept, dots and plus") ;
  CHECK(path_ok("<!#$%&'*+-/=?^_`{|}~@x>", 0, "!#$%&'*+-/=?^_`{|}~@x", 19), "addr every atext special") ;
  CHECK(path_ok("<a@b>", 0, "a@b", 1), "addr shortest") ;
  CHECK(path_ok("<1@2.3>", 0, "1@2.3", 1), "addr digits") ;
  CHECK(path_ok("<a@xn--bcher-kva.example>", 0, "a@xn--bcher-kva.example", 1), "addr A-label domain") ;
  CHECK(path_ok("<a@a-b-c.d--e.f>", 0, "a@a-b-c.d--e.f", 1), "addr inner hyphens") ;
  {
    mailaddr a ;
    CHECK(addr_parse_path("<a@b> SIZE=100", 14, &a, 0) == 5 && !strcmp(a.s, "a@b"), "addr trailing parameters left to the caller") ;
    CHECK(addr_parse_path("<a@b>>", 6, &a, 0) == 5, "addr consumed stops at the first '>'") ;
    CHECK(addr_parse_path("<a@b>", 5, &a, 0) == 5 && !a.utf8 && !a.literal, "addr flags clear for ASCII domain") ;
  }

  /* Null path and Postmaster. */
  CHECK(path_ok("<>", E, "", 0), "addr null path allowed") ;
  BAD("<>", 0, EINVAL, "addr null path refused without ADDR_EMPTY_OK") ;
  {
    mailaddr a ;
    CHECK(addr_parse_path("<> BODY=8BITMIME", 16, &a, E) == 2 && a.len == 0 && a.at == 0, "addr null path with parameters") ;
  }
  CHECK(path_ok("<Postmaster>", P, "Postmaster", 10), "addr bare Postmaster") ;
  CHECK(path_ok("<POSTMASTER>", P, "Postmaster", 10), "addr bare POSTMASTER case-insensitive") ;
  CHECK(path_ok("<postmaster>", P, "Postmaster", 10), "addr bare postmaster") ;
  BAD("<Postmaster>", 0, EINVAL, "addr bare Postmaster refused without flag") ;
  BAD("<Postmasterx>", P, EINVAL, "addr Postmasterx is no postmaster") ;
  BAD("<Postmaste>", P, EINVAL, "addr Postmaste is no postmaster") ;
  CHECK(path_ok("<postmaster@example.test>", 0, "postmaster@example.test", 10), "addr postmaster with domain is a mailbox") ;

  /* Source routes. */
  CHECK(path_ok("<@a,@b:u@d>", 0, "u@d", 1), "addr source route dropped") ;
  CHECK(path_ok("<@relay.example:user@example.test>", 0, "user@example.test", 4), "addr one-hop source route") ;
  BAD("<@a,@b u@d>", 0, EINVAL, "addr source route without colon") ;
  BAD("<@a,b:u@d>", 0, EINVAL, "addr source route hop without @") ;
  BAD("<@:u@d>", 0, EINVAL, "addr source route empty domain") ;
  BAD("<@a.:u@d>", 0, EINVAL, "addr source route bad domain") ;
  BAD("<@a,@b:>", 0, EINVAL, "addr source route without mailbox") ;
  BAD("<@a:@b:u@d>", 0, EINVAL, "addr source route two colons") ;

  /* Quoted local parts. */
  CHECK(path_ok("<\"john doe\"@example.test>", 0, "\"john doe\"@example.test", 10), "addr quoted with space") ;
  CHECK(path_ok("<\"a@b\"@example.test>", 0, "\"a@b\"@example.test", 5), "addr quoted with @") ;
  CHECK(path_ok("<\"a>b\"@x>", 0, "\"a>b\"@x", 5), "addr quoted with >") ;
  CHECK(path_ok("<\"plain\"@x>", 0, "plain@x", 5), "addr needless quotes removed") ;
  CHECK(path_ok("<\"a.b\"@x>", 0, "a.b@x", 3), "addr quoted dot-string unquoted") ;
  CHECK(path_ok("<\"\\p\\l\\a\\i\\n\"@x>", 0, "plain@x", 5), "addr needless escapes removed") ;
  CHECK(path_ok("<\"a\\\"b\"@x>", 0, "\"a\\\"b\"@x", 6), "addr escaped quote kept escaped") ;
  CHECK(path_ok("<\"a\\\\b\"@x>", 0, "\"a\\\\b\"@x", 6), "addr escaped backslash kept escaped") ;
  CHECK(path_ok("<\"a\\ b\"@x>", 0, "\"a b\"@x", 5), "addr escaped space needs no escape") ;
  CHECK(path_ok("<\"\"@x>", 0, "\"\"@x", 2), "addr empty quoted local part") ;
  CHECK(path_ok("<\".a\"@x>", 0, "\".a\"@x", 4), "addr quoted leading dot stays quoted") ;
  CHECK(path_ok("<\"a..b\"@x>", 0, "\"a..b\"@x", 6), "addr quoted double dot stays quoted") ;
  CHECK(path_ok("<\"a.\"@x>", 0, "\"a.\"@x", 4), "addr quoted trailing dot stays quoted") ;
  CHECK(path_ok("<\"(comment)\"@x>", 0, "\"(comment)\"@x", 11), "addr quoted specials stay quoted") ;
  CHECK(path_ok("<\"~\"@x>", 0, "~@x", 1), "addr quoted atext unquoted") ;
  BAD("<\"unterminated@x>", 0, EINVAL, "addr unterminated quote") ;
  BAD("<\"a\"b@x>", 0, EINVAL, "addr text after closing quote") ;
  BAD("<a\"b\"@x>", 0, EINVAL, "addr quote inside atom") ;
  BAD("<\"a\tb\"@x>", 0, EINVAL, "addr tab in quoted string") ;
  BAD("<\"a\\\tb\"@x>", 0, EINVAL, "addr escaped tab") ;
  BAD("<\"a\x7f\"@x>", 0, EINVAL, "addr DEL in quoted string") ;
  BAD("<\"a\\", 0, EINVAL, "addr backslash at end of input") ;
  CHECK(path_bad("<\"a\0b\"@x>", 9, 0, EINVAL), "addr NUL in quoted string") ;
  CHECK(path_bad("<a\0b@x>", 7, 0, EINVAL), "addr NUL in local part") ;

  /* Dot-string errors. */
  BAD("<.a@x>", 0, EINVAL, "addr leading dot") ;
  BAD("<a.@x>", 0, EINVAL, "addr trailing dot") ;
  BAD("<a..b@x>", 0, EINVAL, "addr double dot") ;
  BAD("<@x>", 0, EINVAL, "addr empty local part") ;
  BAD("<a b@x>", 0, EINVAL, "addr space in local part") ;
  BAD("<a(b)@x>", 0, EINVAL, "addr parenthesis in local part") ;
  BAD("<a,b@x>", 0, EINVAL, "addr comma in local part") ;
  BAD("<a@b@c>", 0, EINVAL, "addr two @") ;
  BAD("<user>", 0, EINVAL, "addr no domain") ;
  BAD("<user@>", 0, EINVAL, "addr empty domain") ;

  /* Brackets. */
  BAD("user@x", 0, EINVAL, "addr no angle brackets") ;
  BAD("<user@x", 0, EINVAL, "addr missing >") ;
  BAD("< user@x>", 0, EINVAL, "addr space after <") ;
  BAD("<user@x >", 0, EINVAL, "addr space before >") ;
  BAD("", 0, EINVAL, "addr empty input") ;
  BAD("<", 0, EINVAL, "addr lone <") ;
  BAD("<>", P, EINVAL, "addr null path needs ADDR_EMPTY_OK even with P") ;

  /* Domains. */
  BAD("<a@-x>", 0, EINVAL, "addr label starts with hyphen") ;
  BAD("<a@x->", 0, EINVAL, "addr label ends with hyphen") ;
  BAD("<a@x.-y.z>", 0, EINVAL, "addr inner label starts with hyphen") ;
  BAD("<a@.x>", 0, EINVAL, "addr domain starts with dot") ;
  BAD("<a@x.>", 0, EINVAL, "addr domain ends with dot") ;
  BAD("<a@x..y>", 0, EINVAL, "addr domain double dot") ;
  BAD("<a@x_y>", 0, EINVAL, "addr underscore in domain") ;
  BAD("<a@x y>", 0, EINVAL, "addr space in domain") ;
  {
    char buf[600], in[700], want[700] ;
    repeat(buf, 'l', 63, "") ;
    snprintf(in, sizeof(in), "<a@%s.x>", buf) ;
    snprintf(want, sizeof(want), "a@%s.x", buf) ;
    CHECK(path_ok(in, 0, want, 1), "addr 63-octet label") ;
    repeat(buf, 'l', 64, "") ;
    snprintf(in, sizeof(in), "<a@%s.x>", buf) ;
    BAD(in, 0, ENAMETOOLONG, "addr 64-octet label") ;
    BAD(in, L, ENAMETOOLONG, "addr 64-octet label even when lax") ;
  }

  /* Address literals. */
  CHECK(path_ok("<a@[127.0.0.1]>", 0, "a@[127.0.0.1]", 1), "addr IPv4 literal") ;
  CHECK(path_ok("<a@[0.0.0.0]>", 0, "a@[0.0.0.0]", 1), "addr IPv4 zeros") ;
  CHECK(path_ok("<a@[255.255.255.255]>", 0, "a@[255.255.255.255]", 1), "addr IPv4 max") ;
  CHECK(path_ok("<a@[IPv6:::1]>", 0, "a@[IPv6:::1]", 1), "addr IPv6 ::1") ;
  CHECK(path_ok("<a@[IPv6:::]>", 0, "a@[IPv6:::]", 1), "addr IPv6 ::") ;
  CHECK(path_ok("<a@[IPv6:1:2:3:4:5:6:7:8]>", 0, "a@[IPv6:1:2:3:4:5:6:7:8]", 1), "addr IPv6 full") ;
  CHECK(path_ok("<a@[ipv6:fe80::1]>", 0, "a@[ipv6:fe80::1]", 1), "addr IPv6 tag case-insensitive") ;
  CHECK(path_ok("<a@[IPv6:2001:DB8::ABCD:1]>", 0, "a@[IPv6:2001:DB8::ABCD:1]", 1), "addr IPv6 upper hex") ;
  CHECK(path_ok("<a@[IPv6:1:2:3:4:5:6::]>", 0, "a@[IPv6:1:2:3:4:5:6::]", 1), "addr IPv6 6 groups then ::") ;
  CHECK(path_ok("<a@[IPv6:::1:2:3:4:5:6]>", 0, "a@[IPv6:::1:2:3:4:5:6]", 1), "addr IPv6 :: then 6 groups") ;
  CHECK(path_ok("<a@[IPv6:1:2:3::4:5:6]>", 0, "a@[IPv6:1:2:3::4:5:6]", 1), "addr IPv6 6 groups around ::") ;
  CHECK(path_ok("<a@[IPv6:::ffff:192.0.2.1]>", 0, "a@[IPv6:::ffff:192.0.2.1]", 1), "addr IPv6v4 comp") ;
  CHECK(path_ok("<a@[IPv6:::192.0.2.1]>", 0, "a@[IPv6:::192.0.2.1]", 1), "addr IPv6v4 :: then IPv4") ;
  CHECK(path_ok("<a@[IPv6:1:2:3:4:5:6:1.2.3.4]>", 0, "a@[IPv6:1:2:3:4:5:6:1.2.3.4]", 1), "addr IPv6v4 full") ;
  CHECK(path_ok("<a@[IPv6:1:2::3:4:1.2.3.4]>", 0, "a@[IPv6:1:2::3:4:1.2.3.4]", 1), "addr IPv6v4 4 groups around ::") ;
  CHECK(path_ok("<a@[x-tag:any!thing~]>", 0, "a@[x-tag:any!thing~]", 1), "addr general literal") ;
  {
    mailaddr a ;
    CHECK(addr_parse_path("<a@[127.0.0.1]>", 15, &a, 0) == 15 && a.literal && a.at == 1, "addr literal flag set") ;
  }
  BAD("<a@[127.0.0.256]>", 0, EINVAL, "addr IPv4 octet > 255") ;
  BAD("<a@[127.0.0]>", 0, EINVAL, "addr IPv4 three parts") ;
  BAD("<a@[127.0.0.1.5]>", 0, EINVAL, "addr IPv4 five parts") ;
  BAD("<a@[1234.0.0.1]>", 0, EINVAL, "addr IPv4 four digits") ;
  BAD("<a@[127..0.1]>", 0, EINVAL, "addr IPv4 empty part") ;
  BAD("<a@[]>", 0, EINVAL, "addr empty literal") ;
  BAD("<a@[127.0.0.1>", 0, EINVAL, "addr unterminated literal") ;
  BAD("<a@[IPv6:1:2:3:4:5:6:7]>", 0, EINVAL, "addr IPv6 seven groups") ;
  BAD("<a@[IPv6:1:2:3:4:5:6:7:8:9]>", 0, EINVAL, "addr IPv6 nine groups") ;
  BAD("<a@[IPv6:1:2:3:4:5:6:7::]>", 0, EINVAL, "addr IPv6 7 groups with :: (RFC 5321)") ;
  BAD("<a@[IPv6:1::2::3]>", 0, EINVAL, "addr IPv6 two ::") ;
  BAD("<a@[IPv6::::1]>", 0, EINVAL, "addr IPv6 :::") ;
  BAD("<a@[IPv6:12345::1]>", 0, EINVAL, "addr IPv6 five hex digits") ;
  BAD("<a@[IPv6:g::1]>", 0, EINVAL, "addr IPv6 non-hex") ;
  BAD("<a@[IPv6::1]>", 0, EINVAL, "addr IPv6 single leading colon") ;
  BAD("<a@[IPv6:1:]>", 0, EINVAL, "addr IPv6 trailing single colon") ;
  BAD("<a@[IPv6:]>", 0, EINVAL, "addr IPv6 empty") ;
  BAD("<a@[IPv6:1:2:3:4:5:1.2.3.4]>", 0, EINVAL, "addr IPv6v4 five groups") ;
  BAD("<a@[IPv6:1:2:3:4:5:6:7:1.2.3.4]>", 0, EINVAL, "addr IPv6v4 seven groups") ;
  BAD("<a@[IPv6:1:2:3::4:5:1.2.3.4]>", 0, EINVAL, "addr IPv6v4 five groups with ::") ;
  BAD("<a@[IPv6:::1.2.3.256]>", 0, EINVAL, "addr IPv6v4 bad IPv4") ;
  BAD("<a@[IPv6:1.2.3.4]>", 0, EINVAL, "addr IPv6 tag with bare IPv4") ;
  BAD("<a@[IPv6:::1]x>", 0, EINVAL, "addr text after literal") ;
  BAD("<a@[tag:]>", 0, EINVAL, "addr general literal empty content") ;
  BAD("<a@[tag-:x]>", 0, EINVAL, "addr general tag ends with hyphen") ;
  BAD("<a@[:x]>", 0, EINVAL, "addr general literal empty tag") ;
  BAD("<a@[tag:a\\b]>", 0, EINVAL, "addr general literal backslash") ;
  BAD("<a@[tag:a b]>", 0, EINVAL, "addr general literal space") ;
  BAD("<a@[notaliteral]>", 0, EINVAL, "addr literal without tag") ;
  BAD("<a@x[1.2.3.4]>", 0, EINVAL, "addr bracket after domain") ;

  /* UTF-8 (RFC 6531). */
  CHECK(path_ok("<j\xc3\xb6rg@b\xc3\xbc\x63her.example>", U, "j\xc3\xb6rg@b\xc3\xbc\x63her.example", 5), "addr UTF-8 local and domain") ;
  CHECK(path_ok("<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a>", U, "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", 6), "addr UTF-8 CJK") ;
  CHECK(path_ok("<\xf0\x9f\x98\x80@x>", U, "\xf0\x9f\x98\x80@x", 4), "addr UTF-8 4-octet") ;
  CHECK(path_ok("<\xf4\x8f\xbf\xbf@x>", U, "\xf4\x8f\xbf\xbf@x", 4), "addr UTF-8 U+10FFFF") ;
  CHECK(path_ok("<\"sp \xc3\xa9\"@x>", U, "\"sp \xc3\xa9\"@x", 7), "addr UTF-8 in quoted string") ;
  CHECK(path_ok("<\"\xc3\xa9\"@x>", U, "\xc3\xa9@x", 2), "addr quoted UTF-8 dot-string unquoted") ;
  {
    mailaddr a ;
    CHECK(addr_parse_path("<\xc3\xa9@x>", 6, &a, U) == 6 && a.utf8, "addr utf8 flag set") ;
  }
  BAD("<j\xc3\xb6rg@x>", 0, EILSEQ, "addr UTF-8 local refused without SMTPUTF8") ;
  BAD("<a@b\xc3\xbc\x63her.example>", 0, EILSEQ, "addr UTF-8 domain refused without SMTPUTF8") ;
  BAD("<\"\xc3\xa9\"@x>", 0, EILSEQ, "addr UTF-8 quoted refused without SMTPUTF8") ;
  BAD("<\"\\\xc3\xa9\"@x>", U, EINVAL, "addr backslash before UTF-8") ;
  BAD("<a@[\xc3\xa9]>", 0, EILSEQ, "addr 8-bit literal without SMTPUTF8") ;
  BAD("<a@[\xc3\xa9]>", U, EINVAL, "addr UTF-8 literal with SMTPUTF8") ;
  BAD("<\xc0\xaf@x>", U, EILSEQ, "addr UTF-8 overlong 2-octet") ;
  BAD("<\xc1\xbf@x>", U, EILSEQ, "addr UTF-8 overlong C1") ;
  BAD("<\xe0\x80\xaf@x>", U, EILSEQ, "addr UTF-8 overlong 3-octet") ;
  BAD("<\xf0\x80\x80\xaf@x>", U, EILSEQ, "addr UTF-8 overlong 4-octet") ;
  BAD("<\xed\xa0\x80@x>", U, EILSEQ, "addr UTF-8 surrogate") ;
  BAD("<\xf4\x90\x80\x80@x>", U, EILSEQ, "addr UTF-8 above U+10FFFF") ;
  BAD("<\xf5\x80\x80\x80@x>", U, EILSEQ, "addr UTF-8 F5 lead") ;
  BAD("<\xff@x>", U, EILSEQ, "addr UTF-8 FF") ;
  BAD("<\x80@x>", U, EILSEQ, "addr UTF-8 lone continuation") ;
  BAD("<\xc3@x>", U, EILSEQ, "addr UTF-8 truncated before @") ;
  BAD("<\xe4\xbe@x>", U, EILSEQ, "addr UTF-8 truncated 3-octet") ;
  CHECK(path_bad("<a@\xc3", 5, U, EILSEQ), "addr UTF-8 truncated at end of input") ;
  BAD("<a@x\xc3\xa9->", U, EINVAL, "addr U-label ends with hyphen") ;

  /* Length limits (RFC 5321 4.5.3.1). */
  {
    char buf[600], in[1000], want[1000] ;
    repeat(buf, 'l', 64, "@x") ;
    snprintf(in, sizeof(in), "<%s>", buf) ;
    CHECK(path_ok(in, 0, buf, 64), "addr 64-octet local part") ;
    repeat(buf, 'l', 65, "@x") ;
    snprintf(in, sizeof(in), "<%s>", buf) ;
    BAD(in, 0, ENAMETOOLONG, "addr 65-octet local part") ;
    CHECK(path_ok(in, L, buf, 65), "addr 65-octet local part when lax") ;
    /* 62 octets of content, quoted because of the space: 64 with quotes. */
    memset(buf, 'q', 61) ; buf[30] = ' ' ; buf[61] = 0 ;
    snprintf(in, sizeof(in), "<\"%s\"@x>", buf) ;
    snprintf(want, sizeof(want), "\"%s\"@x", buf) ;
    CHECK(path_ok(in, 0, want, 63), "addr quoted local part measured with quotes") ;
    memset(buf, 'q', 63) ; buf[30] = ' ' ; buf[63] = 0 ;
    snprintf(in, sizeof(in), "<\"%s\"@x>", buf) ;
    BAD(in, 0, ENAMETOOLONG, "addr quoted local part over 64 with quotes") ;
    /* Needless escapes do not count. */
    {
      size_t i, w = 0 ;
      in[w++] = '<' ; in[w++] = '"' ;
      for (i = 0 ; i < 64 ; i++) { in[w++] = '\\' ; in[w++] = 'e' ; }
      strcpy(in + w, "\"@x>") ;
      repeat(want, 'e', 64, "@x") ;
      CHECK(path_ok(in, 0, want, 64), "addr escaped 64-octet local part canonicalised") ;
    }
    /* Domain: 255 octets ok, 256 not. */
    {
      char dom[300] ;
      size_t i ;
      for (i = 0 ; i < 255 ; i++) dom[i] = (i % 50 == 49) ? '.' : 'd' ;
      dom[255] = 0 ;
      CHECK(addr_domain_valid(dom, 255, 0), "addr 255-octet domain valid") ;
      dom[255] = 'd' ; dom[256] = 0 ;
      errno = 0 ;
      CHECK(!addr_domain_valid(dom, 256, 0) && errno == ENAMETOOLONG, "addr 256-octet domain too long") ;
      dom[199] = 0 ;
      snprintf(in, sizeof(in), "<a@%s>", dom) ;
      snprintf(want, sizeof(want), "a@%s", dom) ;
      CHECK(path_ok(in, 0, want, 1), "addr 199-octet domain in a path") ;
      /* 64 + 1 + 199 > 256: the whole path is too long even though both
       * parts are within their own limits. */
      repeat(buf, 'l', 64, "") ;
      snprintf(in, sizeof(in), "<%s@%s>", buf, dom) ;
      BAD(in, 0, ENAMETOOLONG, "addr path over 256 octets") ;
      BAD(in, L, ENAMETOOLONG, "addr path over 256 octets even when lax") ;
      dom[191] = 0 ;
      snprintf(in, sizeof(in), "<%s@%s>", buf, dom) ;
      snprintf(want, sizeof(want), "%s@%s", buf, dom) ;
      CHECK(strlen(want) == 256 && path_ok(in, 0, want, 64), "addr path of exactly 256 octets") ;
    }
    {
      /* A very long local part is refused without overflowing. */
      static char huge[5000] ;
      memset(huge, 'h', sizeof(huge)) ;
      huge[0] = '<' ;
      memcpy(huge + sizeof(huge) - 4, "@x>", 3) ;
      CHECK(path_bad(huge, sizeof(huge) - 1, L, ENAMETOOLONG), "addr 5000-octet local part") ;
      huge[1] = '"' ;
      huge[sizeof(huge) - 5] = '"' ;
      CHECK(path_bad(huge, sizeof(huge) - 1, L, ENAMETOOLONG), "addr 5000-octet quoted local part") ;
    }
  }

  /* addr_parse_mailbox */
  CHECK(mbox_ok("user@example.test", 0, "user@example.test"), "addr mailbox") ;
  CHECK(mbox_ok("\"a b\"@x", 0, "\"a b\"@x"), "addr mailbox quoted") ;
  CHECK(mbox_ok("\"ab\"@x", 0, "ab@x"), "addr mailbox canonicalised") ;
  CHECK(mbox_ok("a@[IPv6:::1]", 0, "a@[IPv6:::1]"), "addr mailbox literal") ;
  CHECK(mbox_ok("\xc3\xa9@\xc3\xa9.x", U, "\xc3\xa9@\xc3\xa9.x"), "addr mailbox UTF-8") ;
  CHECK(mbox_bad("<a@b>", 0, EINVAL), "addr mailbox refuses brackets") ;
  CHECK(mbox_bad("a@b ", 0, EINVAL), "addr mailbox refuses trailing space") ;
  CHECK(mbox_bad("a@b>", 0, EINVAL), "addr mailbox refuses trailing garbage") ;
  CHECK(mbox_bad("a", 0, EINVAL), "addr mailbox without @") ;
  CHECK(mbox_bad("", 0, EINVAL), "addr mailbox empty") ;
  CHECK(mbox_bad("Postmaster", P, EINVAL), "addr mailbox bare Postmaster") ;
  CHECK(mbox_bad("\xc3\xa9@x", 0, EILSEQ), "addr mailbox UTF-8 without flag") ;
  {
    mailaddr a ;
    CHECK(addr_parse_mailbox("a@b.c", 3, &a, 0) == 1 && !strcmp(a.s, "a@b"), "addr mailbox honours len") ;
  }

  /* addr_key */
  {
    mailaddr a ;
    char key[ADDR_PATH_MAX + 3] ;
    size_t n ;
    addr_parse_path("<Jo.Doe+Tag@Example.TEST>", 25, &a, 0) ;
    n = addr_key(&a, key) ;
    CHECK(n == 23 && !strcmp(key, "jo.doe+tag@example.test"), "addr_key lower-cases") ;
    addr_parse_path("<\xc3\x89T\xc3\xa9@B\xc3\x9c.X>", 14, &a, U) ;
    n = addr_key(&a, key) ;
    CHECK(n == a.len && !strcmp(key, "\xc3\x89t\xc3\xa9@b\xc3\x9c.x"), "addr_key keeps UTF-8 octets") ;
    addr_parse_path("<\"A B\"@X>", 9, &a, 0) ;
    n = addr_key(&a, key) ;
    CHECK(!strcmp(key, "\"a b\"@x"), "addr_key quoted") ;
    addr_parse_path("<>", 2, &a, E) ;
    CHECK(addr_key(&a, key) == 0 && !key[0], "addr_key null path") ;
    addr_parse_path("<POSTMASTER>", 12, &a, P) ;
    CHECK(addr_key(&a, key) == 10 && !strcmp(key, "postmaster"), "addr_key postmaster") ;
  }

  /* addr_domain_valid */
  CHECK(addr_domain_valid("example.test", 12, 0), "addr_domain_valid ascii") ;
  CHECK(addr_domain_valid("localhost", 9, 0), "addr_domain_valid single label") ;
  CHECK(!addr_domain_valid("example.test.", 13, 0), "addr_domain_valid trailing dot") ;
  CHECK(!addr_domain_valid("", 0, 0), "addr_domain_valid empty") ;
  CHECK(!addr_domain_valid("a b", 3, 0), "addr_domain_valid space") ;
  CHECK(!addr_domain_valid("[127.0.0.1]", 11, 0), "addr_domain_valid literal is not a domain") ;
  CHECK(addr_domain_valid("b\xc3\xbc\x63her.example", 14, 1), "addr_domain_valid U-label") ;
  CHECK(!addr_domain_valid("b\xc3\xbc\x63her.example", 14, 0), "addr_domain_valid U-label needs utf8") ;
  CHECK(!addr_domain_valid("b\xed\xa0\x80r.example", 14, 1), "addr_domain_valid bad UTF-8") ;
  CHECK(addr_domain_valid("a.-", 1, 0) && !addr_domain_valid("a.b", 2, 0), "addr_domain_valid honours len") ;
  return check_done() ;
}
