/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/rfc5322date.h"
#include "sendmail.h"

/* The headers sendmail writes itself. Names from outside (the login
 * name, the host name) are reduced to what a host name may hold, so
 * nothing can end a comment or the header early. */

static int cat_clean (stralloc *sa, char const *s)
{
  for (; *s ; s++)
  {
    char c = *s ;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ;
    if (!stralloc_catb(sa, ok ? &c : "?", 1)) return 0 ;
  }
  return 1 ;
}

/* RFC 5322 3.3, the formatter smtpd and submitd use too. */
int sm_date (stralloc *sa, time_t t)
{
  char d[RFC5322DATE_FMT] ;
  return stralloc_catb(sa, d, rfc5322date_fmt(d, t)) ;
}

/* RFC 5322 3.6.7 trace field; "from local user" is made of words, which
 * received-token allows; the uid is the client's claim, the queue keeps
 * the kernel's (docs/internals.md, Injection). */
int sm_received (stralloc *sa, sm_origin const *o)
{
  char fmt[UINT64_FMT] ;
  return stralloc_cats(sa, "Received: from local user ")
   && cat_clean(sa, o->user)
   && stralloc_cats(sa, " (uid ")
   && stralloc_catb(sa, fmt, uint64_fmt(fmt, (uint64_t)o->uid))
   && stralloc_cats(sa, ")\n\tby ")
   && cat_clean(sa, o->host)
   && stralloc_cats(sa, " (posthaste) with local id ")
   && cat_clean(sa, o->id)
   && stralloc_cats(sa, ";\n\t")
   && sm_date(sa, o->when)
   && stralloc_catb(sa, "\n", 1) ;
}

/* RFC 5322 3.6.4: "<" id-left "@" id-right ">", both dot-atom-text:
 * the UTC time, the random token, our host name. */
int sm_messageid (stralloc *sa, sm_origin const *o)
{
  struct tm tm ;
  char fmt[UINT_FMT] ;
  if (!gmtime_r(&o->when, &tm)) return (errno = EINVAL, 0) ;
  if (!stralloc_cats(sa, "Message-ID: <")
   || !stralloc_catb(sa, fmt, uint_fmt(fmt, (unsigned int)tm.tm_year + 1900))) return 0 ;
  {
    unsigned int parts[5] = { tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec } ;
    for (unsigned int i = 0 ; i < 5 ; i++)
    {
      char two[2] = { '0' + parts[i] / 10 % 10, '0' + parts[i] % 10 } ;
      if (!stralloc_catb(sa, two, 2)) return 0 ;
    }
  }
  return stralloc_catb(sa, ".", 1)
   && cat_clean(sa, o->id)
   && stralloc_catb(sa, "@", 1)
   && cat_clean(sa, o->host)
   && stralloc_cats(sa, ">\n") ;
}

static int is_atext_or_space (unsigned char c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ') return 1 ;
  return c && !!strchr("!#$%&'*+-/=?^_`{|}~", c) ;
}

/* RFC 5322 3.4 display-name: kept as atoms when it can be, else a
 * quoted-string (UTF-8 allowed, RFC 6532 3.2). */
int sm_from (stralloc *sa, char const *fullname, char const *address)
{
  if (!stralloc_cats(sa, "From: ")) return 0 ;
  if (fullname && fullname[0])
  {
    size_t n = strlen(fullname) ;
    int plain = fullname[0] != ' ' && fullname[n - 1] != ' ' ;
    for (size_t i = 0 ; i < n ; i++)
    {
      unsigned char c = fullname[i] ;
      if (c < 0x20 || c == 0x7f) return (errno = EINVAL, 0) ;
      if (!is_atext_or_space(c)) plain = 0 ;
    }
    if (plain)
    {
      if (!stralloc_catb(sa, fullname, n)) return 0 ;
    }
    else
    {
      if (!stralloc_catb(sa, "\"", 1)) return 0 ;
      for (size_t i = 0 ; i < n ; i++)
      {
        if ((fullname[i] == '"' || fullname[i] == '\\') && !stralloc_catb(sa, "\\", 1)) return 0 ;
        if (!stralloc_catb(sa, fullname + i, 1)) return 0 ;
      }
      if (!stralloc_catb(sa, "\"", 1)) return 0 ;
    }
    return stralloc_cats(sa, " <") && stralloc_cats(sa, address) && stralloc_cats(sa, ">\n") ;
  }
  return stralloc_cats(sa, address) && stralloc_catb(sa, "\n", 1) ;
}
