/* ISC license. */

#include <regex.h>
#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/stralloc.h>

#include "common/banevent.h"
#include "banwatch.h"

/* The log-line face's rules (banwatch -l): one rule per line,
 *
 *   <event> <service> <pattern>
 *
 * The pattern is literal text in which "*" stands for any run of
 * characters and "<HOST>" for the client's address (exactly once); it
 * may match anywhere in the line. It is turned into a POSIX extended
 * regular expression (every other character escaped), so no rule can
 * smuggle regex syntax in. The captured address must then parse as an
 * address. */

typedef struct rule_s rule ;
struct rule_s
{
  regex_t re ;
  char event[33] ;
  char service[33] ;
} ;

static rule rules[BW_RULES_MAX] ;
static unsigned int nrules = 0 ;

#define HOST_RE "([0-9A-Fa-f:.]{2,45})"

static int word (char const **s, char *out, size_t max)
{
  size_t n = 0 ;
  while (**s == ' ' || **s == '\t') (*s)++ ;
  while (**s && **s != ' ' && **s != '\t')
  {
    char c = **s ;
    if (n >= max || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0 ;
    out[n++] = c ;
    (*s)++ ;
  }
  out[n] = 0 ;
  return n > 0 ;
}

int bw_rules_add (char const *s, char const **why)
{
  stralloc re = STRALLOC_ZERO ;
  rule *r = rules + nrules ;
  unsigned int hosts = 0 ;
  int ok = 0 ;
  if (nrules >= BW_RULES_MAX) { *why = "too many rules" ; return 0 ; }
  if (!word(&s, r->event, 32)) { *why = "bad event name" ; return 0 ; }
  if (!word(&s, r->service, 32)) { *why = "bad service name" ; return 0 ; }
  while (*s == ' ' || *s == '\t') s++ ;
  if (!*s) { *why = "no pattern" ; return 0 ; }
  for (; *s ; s++)
  {
    int r1 ;
    if (!strncmp(s, "<HOST>", 6))
    {
      r1 = stralloc_cats(&re, HOST_RE) ;
      s += 5 ;
      hosts++ ;
    }
    else if (*s == '*') r1 = stralloc_cats(&re, ".*") ;
    else if (strchr("\\^$.[]|()?+{}", *s)) r1 = stralloc_catb(&re, "\\", 1) && stralloc_catb(&re, s, 1) ;
    else if ((unsigned char)*s < 32) { *why = "control character in pattern" ; goto end ; }
    else r1 = stralloc_catb(&re, s, 1) ;
    if (!r1) { *why = "out of memory" ; goto end ; }
  }
  if (hosts != 1) { *why = "the pattern needs exactly one <HOST>" ; goto end ; }
  if (!stralloc_0(&re)) { *why = "out of memory" ; goto end ; }
  if (regcomp(&r->re, re.s, REG_EXTENDED)) { *why = "pattern does not compile" ; goto end ; }
  nrules++ ;
  ok = 1 ;
 end:
  stralloc_free(&re) ;
  return ok ;
}

size_t bw_rules_match (char const *line, char *out)
{
  for (unsigned int i = 0 ; i < nrules ; i++)
  {
    regmatch_t m[2] ;
    char ip[64] ;
    size_t len ;
    bw_addr a ;
    if (regexec(&rules[i].re, line, 2, m, 0)) continue ;
    if (m[1].rm_so < 0) continue ;
    len = (size_t)(m[1].rm_eo - m[1].rm_so) ;
    if (len >= sizeof(ip)) continue ;
    memcpy(ip, line + m[1].rm_so, len) ;
    ip[len] = 0 ;
    if (!bw_addr_scan(ip, 0, &a)) continue ;
    return banevent_fmt(out, rules[i].event, ip, rules[i].service, 0) ;
  }
  return 0 ;
}
