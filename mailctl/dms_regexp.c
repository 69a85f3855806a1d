/* ISC license. */

#include <string.h>
#include <regex.h>

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/addr.h"
#include "common/regexpmap.h"
#include "mailctl.h"
#include "dms.h"

/* postfix-regexp.cf: docker-mailserver adds it to virtual_alias_maps
 * after postfix-virtual.cf. Each logical line is checked with the very
 * parser common/rcpt will use (common/regexpmap.h), and a result
 * without substitutions must be a list of acceptable alias targets, so
 * a typo is found here and not at the first matching message. The
 * validated copy holds one rule per line. */

static int is_sep (char c)
{
  return c == ',' || c == ' ' || c == '\t' ;
}

void mc_dms_regexp_line (char const *path, unsigned int lineno, char const *s, size_t len, stralloc *out)
{
  stralloc results = STRALLOC_ZERO ;
  regexprule rule ;
  char const *why ;
  switch (regexpmap_parse_rule(s, len, &rule, &results, &why))
  {
    case 1 : break ;
    case 0 : mc_dms_die_line(path, lineno, why, "") ;
    default : strerr_diefu1sys(111, "compile a regular expression") ;
  }
  regfree(&rule.re) ;
  if (!strchr(results.s + rule.result, '$'))
  {
    char const *r = results.s + rule.result ;
    size_t i = 0 ;
    while (r[i])
    {
      char key[ADDR_PATH_MAX + 3] ;
      size_t start ;
      while (r[i] && is_sep(r[i])) i++ ;
      if (!r[i]) break ;
      start = i ;
      while (r[i] && !is_sep(r[i])) i++ ;
      if (!mc_addrkey(r + start, i - start, MC_TARGET, key, &why))
        mc_dms_die_line(path, lineno, why, " (in the result)") ;
    }
  }
  stralloc_free(&results) ;
  if (!stralloc_catb(out, s, len) || !stralloc_catb(out, "\n", 1))
    strerr_diefu1sys(111, "allocate memory") ;
}
