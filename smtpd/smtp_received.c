/* ISC license. */

#include <string.h>
#include <time.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/rfc5322date.h"
#include "smtp_received.h"

/* Host names and addresses come from the environment and from DNS:
 * keep only what a domain or an address may hold, so nothing can break
 * out of the comment. */
static int cats_clean (stralloc *sa, char const *s)
{
  for (; *s ; s++)
  {
    char c = *s ;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == ':' ;
    if (!stralloc_catb(sa, ok ? &c : "?", 1)) return 0 ;
  }
  return 1 ;
}

int smtp_received_build (stralloc *sa, smtp_received const *r)
{
  char date[RFC5322DATE_FMT] ;
  size_t datelen = rfc5322date_fmt(date, r->when) ;
  size_t base = sa->len ;
  if (!stralloc_cats(sa, "Received: from ")
   || !stralloc_cats(sa, r->helo)
   || !stralloc_cats(sa, " (")
   || !cats_clean(sa, r->rdns ? r->rdns : "unknown")
   || (r->ip && (!stralloc_cats(sa, strchr(r->ip, ':') ? " [IPv6:" : " [")
                 || !cats_clean(sa, r->ip)
                 || !stralloc_catb(sa, "]", 1)))
   || !stralloc_cats(sa, ")\n\t")) goto err ;
  if (r->tlsproto)
  {
    if (!stralloc_cats(sa, "(using ")
     || !cats_clean(sa, r->tlsproto)
     || !stralloc_cats(sa, " with cipher ")
     || !cats_clean(sa, r->tlscipher ? r->tlscipher : "unknown")) goto err ;
    if (r->tlsbits)
    {
      char fmt[UINT_FMT] ;
      if (!stralloc_cats(sa, " (")
       || !stralloc_catb(sa, fmt, uint_fmt(fmt, r->tlsbits))
       || !stralloc_catb(sa, "/", 1)
       || !stralloc_catb(sa, fmt, uint_fmt(fmt, r->tlsalgbits ? r->tlsalgbits : r->tlsbits))
       || !stralloc_cats(sa, " bits)")) goto err ;
    }
    if (!stralloc_cats(sa, ")\n\t")) goto err ;
  }
  if (!stralloc_cats(sa, "by ")
   || !cats_clean(sa, r->host)
   || !stralloc_cats(sa, " (posthaste) with ")
   || !stralloc_cats(sa, r->proto)
   || !stralloc_cats(sa, " id ")
   || !cats_clean(sa, r->id)) goto err ;
  if (r->rcpt)
  {
    if (!stralloc_cats(sa, "\n\tfor <")
     || !stralloc_cats(sa, r->rcpt)
     || !stralloc_cats(sa, ">; ")) goto err ;
  }
  else if (!stralloc_cats(sa, ";\n\t")) goto err ;
  if (!stralloc_catb(sa, date, datelen) || !stralloc_catb(sa, "\n", 1)) goto err ;
  return 1 ;
 err:
  sa->len = base ;
  return 0 ;
}
