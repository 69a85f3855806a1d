/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/pwhash.h"
#include "dms.h"

/* dovecot-masters.cf, docker-mailserver's master users (`setup
 * dovecot-master add NAME`): "name|{SCHEME}hash", as postfix-accounts.cf.
 * A master logs in as "user@domain*name" with its own password (Dovecot's
 * master_user_separator '*'; authd/README.md). The name is lower-cased;
 * '*', '|' and white space cannot be in it. */

#define MASTER_NAME_MAX 255

void mc_dms_master_line (char const *path, unsigned int lineno, char const *s, size_t len, stralloc *out)
{
  char name[MASTER_NAME_MAX + 1] ;
  char const *bar = memchr(s, '|', len) ;
  size_t nlen, hstart, hend ;
  size_t pos ;
  if (!bar) mc_dms_die_line(path, lineno, "expected name|{SCHEME}hash", "") ;
  nlen = bar - s ;
  while (nlen && (s[nlen - 1] == ' ' || s[nlen - 1] == '\t')) nlen-- ;
  if (!nlen || nlen > MASTER_NAME_MAX) mc_dms_die_line(path, lineno, "empty or too long master user name", "") ;
  for (size_t i = 0 ; i < nlen ; i++)
  {
    char c = s[i] ;
    if (c == '*' || c == ' ' || c == '\t' || (unsigned char)c < 0x21 || c == 0x7f)
      mc_dms_die_line(path, lineno, "master user names may not hold '*', white space or control characters", "") ;
    name[i] = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c ;
  }
  name[nlen] = 0 ;
  hstart = bar - s + 1 ;
  {
    /* a third field (Dovecot's extra fields) is allowed and ignored */
    char const *bar2 = memchr(s + hstart, '|', len - hstart) ;
    hend = bar2 ? (size_t)(bar2 - s) : len ;
  }
  if (hend == hstart) mc_dms_die_line(path, lineno, "empty password hash for master user ", name) ;
  if (pwhash_scheme(s + hstart, hend - hstart, &pos) < 0)
    mc_dms_warn_line(path, lineno, "unknown password scheme: its logins will fail for master user ", name) ;
  {
    size_t p = 0 ;
    while (p < out->len)
    {
      if (!strcmp(out->s + p, name)) mc_dms_die_line(path, lineno, "duplicate master user ", name) ;
      p += strlen(out->s + p) + 1 ;
      p += strlen(out->s + p) + 1 ;
    }
  }
  if (!stralloc_catb(out, name, nlen + 1)
   || !stralloc_catb(out, s + hstart, hend - hstart) || !stralloc_0(out))
    strerr_diefu1sys(111, "allocate memory") ;
}
