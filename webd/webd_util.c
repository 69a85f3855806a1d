/* ISC license. */

/* Small helpers shared by webd's handlers. */

#include <string.h>

#include <skalibs/cdb.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "webd.h"

char const *webd_reason (unsigned int status)
{
  switch (status)
  {
    case 200 : return "OK" ;
    case 400 : return "Bad Request" ;
    case 404 : return "Not Found" ;
    case 405 : return "Method Not Allowed" ;
    case 408 : return "Request Timeout" ;
    case 411 : return "Length Required" ;
    case 413 : return "Content Too Large" ;
    case 414 : return "URI Too Long" ;
    case 431 : return "Request Header Fields Too Large" ;
    case 500 : return "Internal Server Error" ;
    case 501 : return "Not Implemented" ;
    case 503 : return "Service Unavailable" ;
    case 505 : return "HTTP Version Not Supported" ;
    default : return "Error" ;
  }
}

void webd_cats (stralloc *sa, char const *s)
{
  if (!stralloc_cats(sa, s)) strerr_diefu1sys(111, "allocate memory") ;
}

void webd_catb (stralloc *sa, char const *s, size_t n)
{
  if (!stralloc_catb(sa, s, n)) strerr_diefu1sys(111, "allocate memory") ;
}

void webd_catu (stralloc *sa, uint64_t u)
{
  char fmt[UINT64_FMT] ;
  webd_catb(sa, fmt, uint64_fmt(fmt, u)) ;
}

void webd_cat_xml (stralloc *sa, char const *s)
{
  for ( ; *s ; s++)
    switch (*s)
    {
      case '<' : webd_cats(sa, "&lt;") ; break ;
      case '>' : webd_cats(sa, "&gt;") ; break ;
      case '&' : webd_cats(sa, "&amp;") ; break ;
      case '"' : webd_cats(sa, "&quot;") ; break ;
      case '\'' : webd_cats(sa, "&apos;") ; break ;
      default : webd_catb(sa, s, 1) ;
    }
}

void webd_error (webd_response *resp, unsigned int status)
{
  resp->status = status ;
  resp->ctype = 0 ;
  resp->body.len = 0 ;
  webd_catu(&resp->body, status) ;
  webd_cats(&resp->body, " ") ;
  webd_cats(&resp->body, webd_reason(status)) ;
  webd_cats(&resp->body, "\n") ;
}

int webd_domain_local (char const *d)
{
  stralloc path = STRALLOC_ZERO ;
  char const *dir = config_get("PH_CDB_DIR") ;
  cdb c = CDB_ZERO ;
  cdb_data data ;
  int r ;
  size_t n = strlen(d) ;
  if (!dir || !n || n > 253) return !dir ? -1 : 0 ;
  webd_cats(&path, dir) ;
  webd_cats(&path, "/domains.cdb") ;
  webd_catb(&path, "", 1) ;
  if (!cdb_init(&c, path.s)) { stralloc_free(&path) ; return -1 ; }
  r = cdb_find(&c, &data, d, n) ;
  cdb_free(&c) ;
  stralloc_free(&path) ;
  return r < 0 ? -1 : r ;
}

unsigned int webd_port (char const *var, unsigned int def)
{
  uint64_t u ;
  if (!config_get_uint(var, def, &u) || !u || u > 65535) strerr_dief3x(100, "bad value for ", var, " (a port)") ;
  return (unsigned int)u ;
}
