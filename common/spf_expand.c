/* ISC license. */

#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include <skalibs/types.h>

#include "common/spf-internal.h"

/* Macro expansion, RFC 7208 §7.2-§7.4. A value is split into parts on
 * the macro's delimiters (default "."), optionally reversed, cut to its
 * rightmost N parts, joined with "."; an upper-case letter URL-escapes
 * the result (everything outside RFC 3986 "unreserved"). Every write is
 * checked against the output's size: an expansion that does not fit is
 * an error, never a truncation that would change a name's meaning. */

#define PARTS_MAX (SPF_EXPAND_MAX + 1)

typedef struct out_s out_t ;
struct out_s
{
  char *s ;
  size_t len ;
  size_t max ;
} ;

static int put (out_t *o, char const *s, size_t n)
{
  if (n > o->max - 1 - o->len) return 0 ;
  memcpy(o->s + o->len, s, n) ;
  o->len += n ;
  return 1 ;
}

static int delimiter (char ch, char const *delims, size_t ndelims)
{
  if (!ndelims) return ch == '.' ;
  return memchr(delims, ch, ndelims) != 0 ;
}

static int unreserved (unsigned char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
    || ch == '-' || ch == '.' || ch == '_' || ch == '~' ;
}

static int put_escaped (out_t *o, char const *s, size_t n, int escape)
{
  static char const hex[] = "0123456789ABCDEF" ;
  if (!escape) return put(o, s, n) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char ch = s[i] ;
    if (unreserved(ch)) { if (!put(o, s + i, 1)) return 0 ; }
    else
    {
      char e[3] = { '%', hex[ch >> 4], hex[ch & 15] } ;
      if (!put(o, e, 3)) return 0 ;
    }
  }
  return 1 ;
}

/* The raw value of a macro letter (§7.2), in buf when it must be built. */
static int value (spf_ctx *c, char const *domain, char letter, char *buf, size_t max, char const **v, size_t *vlen)
{
  switch (letter | 0x20)
  {
    case 's' :
      if (c->locallen + 1 + c->sdomainlen >= max) return 0 ;
      memcpy(buf, c->local, c->locallen) ;
      buf[c->locallen] = '@' ;
      memcpy(buf + c->locallen + 1, c->sdomain, c->sdomainlen) ;
      *v = buf ; *vlen = c->locallen + 1 + c->sdomainlen ;
      return 1 ;
    case 'l' : *v = c->local ; *vlen = c->locallen ; return 1 ;
    case 'o' : *v = c->sdomain ; *vlen = c->sdomainlen ; return 1 ;
    case 'd' : *v = domain ; *vlen = strlen(domain) ; return 1 ;
    case 'i' :
    {
      size_t n = 0 ;
      if (c->is6)
      {
        /* the nibbles in the case the address was written in: DNS
           ignores it, an explanation shows it (pyspf does the same) */
        char const *hex = c->upper ? "0123456789ABCDEF" : "0123456789abcdef" ;
        for (unsigned int i = 0 ; i < 16 ; i++)
        {
          buf[n++] = hex[c->ip[i] >> 4] ; buf[n++] = '.' ;
          buf[n++] = hex[c->ip[i] & 15] ; buf[n++] = '.' ;
        }
        n-- ;
      }
      else
      {
        for (unsigned int i = 0 ; i < 4 ; i++)
        {
          n += uint_fmt(buf + n, c->ip[i]) ;
          buf[n++] = '.' ;
        }
        n-- ;
      }
      *v = buf ; *vlen = n ;
      return 1 ;
    }
    case 'c' :
      if (!inet_ntop(c->is6 ? AF_INET6 : AF_INET, c->ip, buf, max)) return 0 ;
      *v = buf ; *vlen = strlen(buf) ;
      return 1 ;
    case 'p' :
      if (!c->pstate) c->validate(c) ;
      *v = spf_ptr_pick(c, domain) ;
      *vlen = strlen(*v) ;
      return 1 ;
    case 'v' :
      *v = c->is6 ? "ip6" : "in-addr" ;
      *vlen = strlen(*v) ;
      return 1 ;
    case 'h' :
      *v = c->q->helo ? c->q->helo : "" ;
      *vlen = strlen(*v) ;
      return 1 ;
    case 'r' :
      *v = c->q->receiver && c->q->receiver[0] ? c->q->receiver : "unknown" ;
      *vlen = strlen(*v) ;
      return 1 ;
    case 't' :
      *vlen = uint64_fmt(buf, (uint64_t)time(0)) ;
      *v = buf ;
      return 1 ;
    default : return 0 ;
  }
}

static int transform (out_t *o, char const *v, size_t vlen, unsigned int keep, int reverse, char const *delims, size_t ndelims, int escape)
{
  static unsigned short starts[PARTS_MAX] ;
  size_t np = 0, first ;
  if (vlen > SPF_EXPAND_MAX) return 0 ;
  starts[np++] = 0 ;
  for (size_t j = 0 ; j < vlen ; j++)
    if (delimiter(v[j], delims, ndelims)) starts[np++] = (unsigned short)(j + 1) ;
  first = keep && keep < np ? np - keep : 0 ;
  for (size_t k = first ; k < np ; k++)
  {
    size_t i = reverse ? np - 1 - k : k ;
    size_t b = starts[i], e = i + 1 < np ? (size_t)starts[i + 1] - 1 : vlen ;
    if (k > first && !put(o, ".", 1)) return 0 ;
    if (!put_escaped(o, v + b, e - b, escape)) return 0 ;
  }
  return 1 ;
}

int spf_expand (spf_ctx *c, char const *domain, char const *s, size_t len, int isexp, char *out, size_t max, size_t *outlen)
{
  static char buf[SPF_EXPAND_MAX] ;
  out_t o = { .s = out, .len = 0, .max = max } ;
  size_t i = 0 ;
  if (!max) return 0 ;
  if (!spf_macro_valid(s, len, isexp, 0))
  {
    spf_fail(c, SPF_PERMERROR, "bad macro-string", 0) ;
    return 0 ;
  }
  while (i < len)
  {
    if (s[i] != '%')
    {
      size_t j = i ;
      while (j < len && s[j] != '%') j++ ;
      if (!put(&o, s + i, j - i)) goto toolong ;
      i = j ;
      continue ;
    }
    switch (s[i + 1])
    {
      case '%' : if (!put(&o, "%", 1)) goto toolong ; i += 2 ; continue ;
      case '_' : if (!put(&o, " ", 1)) goto toolong ; i += 2 ; continue ;
      case '-' : if (!put(&o, "%20", 3)) goto toolong ; i += 2 ; continue ;
      default : break ;
    }
    {
      char letter = s[i + 2] ;
      unsigned int keep = 0 ;
      int reverse = 0 ;
      char const *delims ;
      size_t ndelims = 0 ;
      char const *v ;
      size_t vlen ;
      i += 3 ;
      while (s[i] >= '0' && s[i] <= '9')
      {
        /* more parts than a value can have mean all of them */
        if (keep < 100000) keep = keep * 10 + (unsigned int)(s[i] - '0') ;
        i++ ;
      }
      if ((s[i] | 0x20) == 'r') { reverse = 1 ; i++ ; }
      delims = s + i ;
      while (s[i] != '}') { ndelims++ ; i++ ; }
      i++ ;
      if (!value(c, domain, letter, buf, sizeof(buf), &v, &vlen)) goto toolong ;
      if (!transform(&o, v, vlen, keep, reverse, delims, ndelims, letter >= 'A' && letter <= 'Z')) goto toolong ;
    }
  }
  out[o.len] = 0 ;
  *outlen = o.len ;
  return 1 ;
 toolong:
  out[o.len] = 0 ;
  spf_fail(c, SPF_PERMERROR, "macro expansion too long", 0) ;
  return 0 ;
}
