/* ISC license. */

/* common/idna: a whole domain to A-labels. The label samples are RFC
 * 3492 7.1 (A) to (R), as UTF-8, each put in a domain; the expected
 * A-label is the RFC's punycode, lower-cased (the samples' mixed-case
 * annotations do not apply: ASCII letters of a U-label are lower-cased
 * before encoding, RFC 5895 2.1). (H) is over 63 octets once encoded:
 * not a DNS label. (S) has no non-ASCII character: not a U-label. */

#include <stdio.h>
#include <string.h>

#include "common/idna.h"
#include "tests/unit/check.h"

struct sample { char const *name ; char const *utf8 ; char const *puny ; } ;

static struct sample const samples[] =
{
  { "A", "\xd9\x84\xd9\x8a\xd9\x87\xd9\x85\xd8\xa7\xd8\xa8\xd8\xaa\xd9\x83"
    "\xd9\x84\xd9\x85\xd9\x88\xd8\xb4\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a"
    "\xd8\x9f",
    "egbpdaj6bu4bxfgehfvwxn" },
  { "B", "\xe4\xbb\x96\xe4\xbb\xac\xe4\xb8\xba\xe4\xbb\x80\xe4\xb9\x88\xe4"
    "\xb8\x8d\xe8\xaf\xb4\xe4\xb8\xad\xe6\x96\x87",
    "ihqwcrb4cv8a8dqg056pqjye" },
  { "C", "\xe4\xbb\x96\xe5\x80\x91\xe7\x88\xb2\xe4\xbb\x80\xe9\xba\xbd\xe4"
    "\xb8\x8d\xe8\xaa\xaa\xe4\xb8\xad\xe6\x96\x87",
    "ihqwctvzc91f659drss3x8bo0yb" },
  { "D", "\x50\x72\x6f\xc4\x8d\x70\x72\x6f\x73\x74\xc4\x9b\x6e\x65\x6d\x6c"
    "\x75\x76\xc3\xad\xc4\x8d\x65\x73\x6b\x79",
    "Proprostnemluvesky-uyb24dma41a" },
  { "E", "\xd7\x9c\xd7\x9e\xd7\x94\xd7\x94\xd7\x9d\xd7\xa4\xd7\xa9\xd7\x95"
    "\xd7\x98\xd7\x9c\xd7\x90\xd7\x9e\xd7\x93\xd7\x91\xd7\xa8\xd7\x99"
    "\xd7\x9d\xd7\xa2\xd7\x91\xd7\xa8\xd7\x99\xd7\xaa",
    "4dbcagdahymbxekheh6e0a7fei0b" },
  { "F", "\xe0\xa4\xaf\xe0\xa4\xb9\xe0\xa4\xb2\xe0\xa5\x8b\xe0\xa4\x97\xe0"
    "\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5"
    "\x80\xe0\xa4\x95\xe0\xa5\x8d\xe0\xa4\xaf\xe0\xa5\x8b\xe0\xa4\x82"
    "\xe0\xa4\xa8\xe0\xa4\xb9\xe0\xa5\x80\xe0\xa4\x82\xe0\xa4\xac\xe0"
    "\xa5\x8b\xe0\xa4\xb2\xe0\xa4\xb8\xe0\xa4\x95\xe0\xa4\xa4\xe0\xa5"
    "\x87\xe0\xa4\xb9\xe0\xa5\x88\xe0\xa4\x82",
    "i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd" },
  { "G", "\xe3\x81\xaa\xe3\x81\x9c\xe3\x81\xbf\xe3\x82\x93\xe3\x81\xaa\xe6"
    "\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x82\x92\xe8\xa9\xb1\xe3\x81"
    "\x97\xe3\x81\xa6\xe3\x81\x8f\xe3\x82\x8c\xe3\x81\xaa\xe3\x81\x84"
    "\xe3\x81\xae\xe3\x81\x8b",
    "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa" },
  { "H", "\xec\x84\xb8\xea\xb3\x84\xec\x9d\x98\xeb\xaa\xa8\xeb\x93\xa0\xec"
    "\x82\xac\xeb\x9e\x8c\xeb\x93\xa4\xec\x9d\xb4\xed\x95\x9c\xea\xb5"
    "\xad\xec\x96\xb4\xeb\xa5\xbc\xec\x9d\xb4\xed\x95\xb4\xed\x95\x9c"
    "\xeb\x8b\xa4\xeb\xa9\xb4\xec\x96\xbc\xeb\xa7\x88\xeb\x82\x98\xec"
    "\xa2\x8b\xec\x9d\x84\xea\xb9\x8c",
    "989aomsvi5e83db1d2a355cv1e0vak1dwrv93d5xbh15a0dt30a5jpsd879ccm6fea98c" },
  { "I", "\xd0\xbf\xd0\xbe\xd1\x87\xd0\xb5\xd0\xbc\xd1\x83\xd0\xb6\xd0\xb5"
    "\xd0\xbe\xd0\xbd\xd0\xb8\xd0\xbd\xd0\xb5\xd0\xb3\xd0\xbe\xd0\xb2"
    "\xd0\xbe\xd1\x80\xd1\x8f\xd1\x82\xd0\xbf\xd0\xbe\xd1\x80\xd1\x83"
    "\xd1\x81\xd1\x81\xd0\xba\xd0\xb8",
    "b1abfaaepdrnnbgefbaDotcwatmq2g4l" },
  { "J", "\x50\x6f\x72\x71\x75\xc3\xa9\x6e\x6f\x70\x75\x65\x64\x65\x6e\x73"
    "\x69\x6d\x70\x6c\x65\x6d\x65\x6e\x74\x65\x68\x61\x62\x6c\x61\x72"
    "\x65\x6e\x45\x73\x70\x61\xc3\xb1\x6f\x6c",
    "PorqunopuedensimplementehablarenEspaol-fmd56a" },
  { "K", "\x54\xe1\xba\xa1\x69\x73\x61\x6f\x68\xe1\xbb\x8d\x6b\x68\xc3\xb4"
    "\x6e\x67\x74\x68\xe1\xbb\x83\x63\x68\xe1\xbb\x89\x6e\xc3\xb3\x69"
    "\x74\x69\xe1\xba\xbf\x6e\x67\x56\x69\xe1\xbb\x87\x74",
    "TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g" },
  { "L", "\x33\xe5\xb9\xb4\x42\xe7\xb5\x84\xe9\x87\x91\xe5\x85\xab\xe5\x85"
    "\x88\xe7\x94\x9f",
    "3B-ww4c5e180e575a65lsy2b" },
  { "M", "\xe5\xae\x89\xe5\xae\xa4\xe5\xa5\x88\xe7\xbe\x8e\xe6\x81\xb5\x2d"
    "\x77\x69\x74\x68\x2d\x53\x55\x50\x45\x52\x2d\x4d\x4f\x4e\x4b\x45"
    "\x59\x53",
    "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n" },
  { "N", "\x48\x65\x6c\x6c\x6f\x2d\x41\x6e\x6f\x74\x68\x65\x72\x2d\x57\x61"
    "\x79\x2d\xe3\x81\x9d\xe3\x82\x8c\xe3\x81\x9e\xe3\x82\x8c\xe3\x81"
    "\xae\xe5\xa0\xb4\xe6\x89\x80",
    "Hello-Another-Way--fc4qua05auwb3674vfr0b" },
  { "O", "\xe3\x81\xb2\xe3\x81\xa8\xe3\x81\xa4\xe5\xb1\x8b\xe6\xa0\xb9\xe3"
    "\x81\xae\xe4\xb8\x8b\x32",
    "2-u9tlzr9756bt3uc0v" },
  { "P", "\x4d\x61\x6a\x69\xe3\x81\xa7\x4b\x6f\x69\xe3\x81\x99\xe3\x82\x8b"
    "\x35\xe7\xa7\x92\xe5\x89\x8d",
    "MajiKoi5-783gue6qz075azm5e" },
  { "Q", "\xe3\x83\x91\xe3\x83\x95\xe3\x82\xa3\xe3\x83\xbc\x64\x65\xe3\x83"
    "\xab\xe3\x83\xb3\xe3\x83\x90",
    "de-jg4avhby1noc0d" },
  { "R", "\xe3\x81\x9d\xe3\x81\xae\xe3\x82\xb9\xe3\x83\x94\xe3\x83\xbc\xe3"
    "\x83\x89\xe3\x81\xa7",
    "d9juau41awczczp" },
} ;

static void lower (char *s)
{
  for (; *s ; s++) if (*s >= 'A' && *s <= 'Z') *s += 'a' - 'A' ;
}

static void converts (char const *in, char const *want, char const *name)
{
  char out[IDNA_NAME_MAX + 1] ;
  char const *why = "(none)" ;
  size_t n = idna_domain_to_ascii(in, strlen(in), out, sizeof(out), &why) ;
  CHECK(n == strlen(want) && !strcmp(out, want), name) ;
  if (!n) printf("  refused: %s\n", why) ;
  else if (strcmp(out, want)) printf("  got %s\n  want %s\n", out, want) ;
}

static void refuses (char const *in, size_t len, char const *reason, char const *name)
{
  char out[IDNA_NAME_MAX + 1] ;
  char const *why = 0 ;
  size_t n = idna_domain_to_ascii(in, len, out, sizeof(out), &why) ;
  CHECK(!n && why && strstr(why, reason), name) ;
  if (n) printf("  got %s\n", out) ;
  else if (why && !strstr(why, reason)) printf("  reason: %s\n", why) ;
}

int main (void)
{
  for (size_t i = 0 ; i < sizeof(samples) / sizeof(samples[0]) ; i++)
  {
    struct sample const *s = &samples[i] ;
    char in[512] ;
    char want[512] ;
    char name[128] ;
    snprintf(in, sizeof(in), "mail.%s.example", s->utf8) ;
    snprintf(name, sizeof(name), "RFC 3492 7.1 (%s) in a domain", s->name) ;
    if (strlen(s->puny) + 4 > IDNA_LABEL_MAX)
    {
      refuses(in, strlen(in), "too long", name) ;
      continue ;
    }
    snprintf(want, sizeof(want), "mail.xn--%s.example", s->puny) ;
    lower(want + 5) ;
    converts(in, want, name) ;
  }

  converts("b\xc3\xbc" "cher.example", "xn--bcher-kva.example", "bücher.example") ;
  converts("B\xc3\xbc" "CHER.Example", "xn--bcher-kva.Example", "ASCII letters of a U-label lower-cased, ASCII labels kept") ;
  converts("example.test", "example.test", "an ASCII name is unchanged") ;
  converts("xn--bcher-kva.example", "xn--bcher-kva.example", "an A-label is unchanged") ;
  converts("\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn", "xn--85x722f.xn--55qx5d.cn", "two U-labels") ;

  refuses("b\xc3.example", 10, "invalid UTF-8", "a cut sequence") ;
  refuses("b\xc0\xbc.example", 11, "invalid UTF-8", "an overlong sequence") ;
  refuses("\xed\xa0\x80.example", 11, "invalid UTF-8", "a surrogate") ;
  refuses("\xf4\x90\x80\x80.example", 12, "invalid UTF-8", "over U+10FFFF") ;
  refuses("\xff.example", 9, "invalid UTF-8", "a byte that is never UTF-8") ;
  refuses("a\xc2\x85.example", 11, "control", "a C1 control") ;
  refuses("ex\0ample.test", 13, "control", "a NUL byte in an ASCII label") ;
  refuses("a b\xc3\xbc.example", 13, "cannot be in a host name", "a space in a U-label") ;
  refuses("-b\xc3\xbc.example", 12, "hyphen", "a U-label starting with a hyphen") ;
  refuses("ab--\xc3\xbc.example", 14, "third and fourth", "a U-label with -- in positions 3 and 4") ;
  refuses("b\xc3\xbc..example", 11, "empty label", "an empty label") ;
  refuses("b\xc3\xbc.example.", 12, "empty label", "a trailing dot") ;
  refuses("", 0, "empty", "an empty name") ;
  {
    char big[400] ;
    size_t n = 0 ;
    for (unsigned int i = 0 ; i < 5 ; i++)
    {
      memcpy(big + n, "b\xc3\xbc" "cherbuecherbuecherbuecherbuecherbuecherbuecher", 47) ;   /* 46 characters: a 57-octet A-label */
      n += 47 ;
      big[n++] = '.' ;
    }
    memcpy(big + n, "example", 7) ;
    n += 7 ;
    refuses(big, n, "name is too long", "a name over 253 octets in A-label form") ;
  }
  {
    char out[16] ;
    char const *why = 0 ;
    CHECK(!idna_domain_to_ascii("b\xc3\xbc" "cher.example", 13, out, sizeof(out), &why) && why, "a too small output buffer") ;
  }
  CHECK(idna_has_nonascii("a\xc3\xbc", 3) && !idna_has_nonascii("abc", 3), "idna_has_nonascii") ;
  return check_done() ;
}
