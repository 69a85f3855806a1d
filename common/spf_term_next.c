/* ISC license. */

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "common/spf-internal.h"

/* One term of a record (RFC 7208 §4.6.1, §5, §6, grammar in §12):
 *   directive = [ qualifier ] mechanism
 *   modifier  = redirect / explanation / unknown-modifier
 *   name      = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )   then "="
 * a and mx take an optional domain-spec then a dual-cidr-length; the
 * domain-spec ends at the first "/" outside a macro-expand (a "/" is a
 * legal macro-literal, but no host name holds one). */

static int isalpha_ (char ch) { ch |= 0x20 ; return ch >= 'a' && ch <= 'z' ; }
static int isdigit_ (char ch) { return ch >= '0' && ch <= '9' ; }

/* "/" ( "0" / %x31-39 0*Nmore DIGIT ), value <= max */
static size_t cidr (char const *s, size_t len, unsigned int more, unsigned int max, unsigned int *out)
{
  size_t i = 1 ;
  unsigned int v = 0 ;
  if (len < 2 || s[0] != '/' || !isdigit_(s[1])) return 0 ;
  if (s[1] == '0') { i = 2 ; v = 0 ; }
  else
  {
    while (i < len && isdigit_(s[i]) && i <= 1 + more)
    {
      v = v * 10 + (unsigned int)(s[i] - '0') ;
      i++ ;
    }
  }
  if (i < len && isdigit_(s[i])) return 0 ;
  if (v > max) return 0 ;
  *out = v ;
  return i ;
}

/* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ] */
static int dualcidr (char const *s, size_t len, spf_term *t)
{
  size_t i = 0 ;
  if (len && s[0] == '/' && (len < 2 || s[1] != '/'))
  {
    size_t n = cidr(s, len, 1, 32, &t->cidr4) ;
    if (!n) return 0 ;
    i = n ;
  }
  if (i < len)
  {
    size_t n ;
    if (s[i] != '/') return 0 ;
    n = cidr(s + i + 1, len - i - 1, 2, 128, &t->cidr6) ;
    if (!n) return 0 ;
    i += 1 + n ;
  }
  return i == len ;
}

/* Where the dual-cidr-length of an a or mx term begins: "/" is a legal
 * macro-literal ("a:foo:bar/baz.example.com" names a host), so only a
 * trailing "/digits", "//digits" or "/digits//digits" is a CIDR length. */
static size_t specend (char const *s, size_t len)
{
  size_t e = len, d = len ;
  while (d && isdigit_(s[d - 1])) d-- ;
  if (d < e && d >= 2 && s[d - 1] == '/' && s[d - 2] == '/')
  {
    e = d - 2 ;
    d = e ;
    while (d && isdigit_(s[d - 1])) d-- ;
  }
  if (d < e && d >= 1 && s[d - 1] == '/') e = d - 1 ;
  return e ;
}

/* domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand
 * toplabel    = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static int domainspec_ok (char const *s, size_t len)
{
  int endexpand ;
  size_t end, start ;
  int alpha = 0 ;
  if (!len || !spf_macro_valid(s, len, 0, &endexpand)) return 0 ;
  if (endexpand) return 1 ;
  end = len ;
  if (s[end - 1] == '.') end-- ;
  start = end ;
  while (start && s[start - 1] != '.') start-- ;
  if (!start || start == end) return 0 ;   /* no "." before the top label, or it is empty */
  if (s[start] == '-' || s[end - 1] == '-') return 0 ;
  for (size_t i = start ; i < end ; i++)
  {
    char ch = s[i] ;
    if (isalpha_(ch)) alpha = 1 ;
    else if (!isdigit_(ch) && ch != '-') return 0 ;
  }
  /* all digits is no top label; a hyphenated one is the second form */
  if (!alpha && !memchr(s + start, '-', end - start)) return 0 ;
  return 1 ;
}

static int kind_of (char const *s, size_t n)
{
  static struct { char const *name ; int kind ; } const table[] =
  {
    { "all", SPF_K_ALL }, { "include", SPF_K_INCLUDE }, { "a", SPF_K_A },
    { "mx", SPF_K_MX }, { "ptr", SPF_K_PTR }, { "ip4", SPF_K_IP4 },
    { "ip6", SPF_K_IP6 }, { "exists", SPF_K_EXISTS },
  } ;
  for (unsigned int i = 0 ; i < sizeof(table) / sizeof(table[0]) ; i++)
    if (strlen(table[i].name) == n && !strncasecmp(table[i].name, s, n)) return table[i].kind ;
  return 0 ;
}

static int network (char const *s, size_t len, int is6, unsigned char *net)
{
  char buf[64] ;
  if (!len || len >= sizeof(buf)) return 0 ;
  memcpy(buf, s, len) ;
  buf[len] = 0 ;
  return inet_pton(is6 ? AF_INET6 : AF_INET, buf, net) == 1 ;
}

static int modifier (char const *s, size_t len, spf_term *t, char const **why)
{
  size_t n = 0 ;
  while (s[n] != '=') n++ ;
  t->spec = s + n + 1 ;
  t->speclen = len - n - 1 ;
  if (n == 8 && !strncasecmp(s, "redirect", 8)) t->kind = SPF_K_REDIRECT ;
  else if (n == 3 && !strncasecmp(s, "exp", 3)) t->kind = SPF_K_EXP ;
  else
  {
    t->kind = SPF_K_UNKNOWN ;
    if (!spf_macro_valid(t->spec, t->speclen, 0, 0)) return (*why = "bad macro-string in a modifier", -1) ;
    return 1 ;
  }
  if (!domainspec_ok(t->spec, t->speclen)) return (*why = "bad domain-spec", -1) ;
  return 1 ;
}

static int directive (char const *s, size_t len, spf_term *t, char const **why)
{
  size_t i = 0, n ;
  t->result = SPF_PASS ;
  switch (s[0])
  {
    case '+' : i = 1 ; break ;
    case '-' : t->result = SPF_FAIL ; i = 1 ; break ;
    case '~' : t->result = SPF_SOFTFAIL ; i = 1 ; break ;
    case '?' : t->result = SPF_NEUTRAL ; i = 1 ; break ;
    default : break ;
  }
  n = i ;
  while (n < len && s[n] != ':' && s[n] != '/') n++ ;
  t->kind = kind_of(s + i, n - i) ;
  if (!t->kind) return (*why = "unknown mechanism", -1) ;
  s += n ; len -= n ;
  switch (t->kind)
  {
    case SPF_K_ALL :
      if (len) return (*why = "junk after all", -1) ;
      return 1 ;
    case SPF_K_INCLUDE :
    case SPF_K_EXISTS :
    case SPF_K_PTR :
      if (!len)
      {
        if (t->kind == SPF_K_PTR) return 1 ;
        return (*why = "domain-spec required", -1) ;
      }
      if (s[0] != ':') return (*why = "bad mechanism syntax", -1) ;
      t->spec = s + 1 ;
      t->speclen = len - 1 ;
      if (!domainspec_ok(t->spec, t->speclen)) return (*why = "bad domain-spec", -1) ;
      return 1 ;
    case SPF_K_A :
    case SPF_K_MX :
      if (len && s[0] == ':')
      {
        size_t e = specend(s + 1, len - 1) ;
        t->spec = s + 1 ;
        t->speclen = e ;
        if (!domainspec_ok(t->spec, t->speclen)) return (*why = "bad domain-spec", -1) ;
        s += 1 + e ; len -= 1 + e ;
      }
      if (!dualcidr(s, len, t)) return (*why = "bad CIDR length", -1) ;
      return 1 ;
    case SPF_K_IP4 :
    case SPF_K_IP6 :
    {
      int is6 = t->kind == SPF_K_IP6 ;
      size_t e ;
      if (!len || s[0] != ':') return (*why = "bad ip network", -1) ;
      s++ ; len-- ;
      e = 0 ;
      while (e < len && s[e] != '/') e++ ;
      if (!network(s, e, is6, t->net)) return (*why = "bad ip network", -1) ;
      if (e < len && cidr(s + e, len - e, is6 ? 2 : 1, is6 ? 128 : 32, is6 ? &t->cidr6 : &t->cidr4) != len - e)
        return (*why = "bad CIDR length", -1) ;
      return 1 ;
    }
    default : break ;
  }
  return (*why = "unknown mechanism", -1) ;
}

int spf_term_next (char const *rec, size_t len, size_t *pos, spf_term *t, char const **why)
{
  size_t i = *pos, start ;
  size_t n ;
  memset(t, 0, sizeof(*t)) ;
  while (i < len && rec[i] == ' ') i++ ;
  if (i == len) { *pos = i ; return 0 ; }
  if (i == *pos) return (*why = "terms not separated by a space", -1) ;
  start = i ;
  while (i < len && rec[i] != ' ') i++ ;
  *pos = i ;
  t->text = rec + start ;
  t->textlen = i - start ;
  t->cidr4 = 32 ;
  t->cidr6 = 128 ;
  for (size_t j = start ; j < i ; j++)
    if ((unsigned char)rec[j] < 0x21 || (unsigned char)rec[j] > 0x7e)
      return (*why = "a character that is not printable ASCII", -1) ;
  /* modifier: name "=" ... */
  n = 0 ;
  if (isalpha_(t->text[0]))
  {
    n = 1 ;
    while (n < t->textlen && (isalpha_(t->text[n]) || isdigit_(t->text[n]) || t->text[n] == '-' || t->text[n] == '_' || t->text[n] == '.')) n++ ;
    if (n < t->textlen && t->text[n] == '=') return modifier(t->text, t->textlen, t, why) ;
  }
  return directive(t->text, t->textlen, t, why) ;
}
