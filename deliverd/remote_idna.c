/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>

#include "common/dns.h"
#include "common/idna.h"
#include "remote_idna.h"

 /* The last '@' splits an address: a quoted local part may hold '@'
    (RFC 5321 4.1.2), a domain never does. */

int remote_addr_local_ascii (char const *addr)
{
  char const *at = strrchr(addr, '@') ;
  return !idna_has_nonascii(addr, at ? (size_t)(at - addr) : strlen(addr)) ;
}

int remote_addr_alabel (char const *addr, stralloc *out, char const **why)
{
  char alabel[DNS_NAME_MAX + 1] ;
  char const *at = strrchr(addr, '@') ;
  size_t local, dl, n ;
  if (!at || !idna_has_nonascii(at + 1, strlen(at + 1))) return stralloc_cats(out, addr) ;
  local = (size_t)(at - addr) + 1 ;
  dl = strlen(at + 1) ;
  n = idna_domain_to_ascii(at + 1, dl, alabel, sizeof(alabel), why) ;
  if (!n) return -1 ;
  return stralloc_catb(out, addr, local) && stralloc_catb(out, alabel, n) ;
}
