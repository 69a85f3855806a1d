/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/addr.h"
#include "mailctl.h"
#include "dms.h"

/* postfix-aliases.cf: docker-mailserver appends it to /etc/aliases, the
 * local aliases (aliases(5)) of the names Postfix delivers locally: root,
 * postmaster, a cron job's recipient. posthaste's sendmail qualifies a
 * bare name with the mail host name (sendmail/README.md), so a local
 * alias "name" becomes aliases.cdb entries for name@<host name> and
 * name@localhost (compile.c; the two domains then join domains.cdb).
 *   name: target, target      (continuation lines start with white space)
 * A target with '@' is an address; a bare name is name@<host name>
 * (another local alias or account there). Commands ("|..."), files
 * ("/...") and ":include:" have no meaning here: a warning, left out.
 * Records appended: name NUL, then each target NUL, then an empty one. */

static int is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' ;
}

void mc_dms_alias_line (char const *path, unsigned int lineno, char const *s, size_t len, stralloc *out)
{
  char key[ADDR_PATH_MAX + 3] ;
  char const *why ;
  char const *colon = memchr(s, ':', len) ;
  size_t nlen, pos, start = out->len, ntargets = 0 ;
  if (!colon) mc_dms_die_line(path, lineno, "expected name: target[, target...]", "") ;
  nlen = colon - s ;
  while (nlen && is_space(s[nlen - 1])) nlen-- ;
  if (!nlen || nlen > ADDR_LOCAL_MAX || memchr(s, '@', nlen)) mc_dms_die_line(path, lineno, "a local alias name is a local part without '@'", "") ;
  {
    char probe[ADDR_LOCAL_MAX + 11] ;
    memcpy(probe, s, nlen) ;
    memcpy(probe + nlen, "@localhost", 10) ;
    if (!mc_addrkey(probe, nlen + 10, MC_ALIAS, key, &why)) mc_dms_die_line(path, lineno, why, " (the alias name)") ;
  }
  if (!stralloc_catb(out, key, strlen(key) - 10) || !stralloc_0(out)) goto nomem ;
  pos = nlen + 1 ;
  while (pos < len)
  {
    size_t a, b ;
    while (pos < len && (is_space(s[pos]) || s[pos] == ',')) pos++ ;
    if (pos >= len) break ;
    a = pos ;
    while (pos < len && s[pos] != ',') pos++ ;
    b = pos ;
    while (b > a && is_space(s[b - 1])) b-- ;
    if (s[a] == '|' || s[a] == '/' || s[a] == '"' || (b - a > 9 && !memcmp(s + a, ":include:", 9)))
    {
      mc_dms_warn_line(path, lineno, "commands, files and :include: are not supported: target left out for ", out->s + start) ;
      continue ;
    }
    if (memchr(s + a, '@', b - a))
    {
      if (!mc_addrkey(s + a, b - a, MC_TARGET, key, &why)) mc_dms_die_line(path, lineno, why, " (a target)") ;
      if (!stralloc_cats(out, key) || !stralloc_0(out)) goto nomem ;
    }
    else
    {
      /* a bare name: kept bare, qualified with the host name when
       * compiled (compile.c), checked here as name@localhost */
      char probe[ADDR_PATH_MAX + 11] ;
      if (b - a > ADDR_LOCAL_MAX) mc_dms_die_line(path, lineno, "target name too long", "") ;
      memcpy(probe, s + a, b - a) ;
      memcpy(probe + (b - a), "@localhost", 10) ;
      if (!mc_addrkey(probe, b - a + 10, MC_TARGET, key, &why)) mc_dms_die_line(path, lineno, why, " (a target)") ;
      if (!stralloc_catb(out, key, strlen(key) - 10) || !stralloc_0(out)) goto nomem ;
    }
    ntargets++ ;
  }
  if (!ntargets)
  {
    mc_dms_warn_line(path, lineno, "no usable target: local alias left out: ", out->s + start) ;
    out->len = start ;
    return ;
  }
  if (!stralloc_0(out)) goto nomem ;
  return ;
 nomem:
  strerr_diefu1sys(111, "allocate memory") ;
}
