/* ISC license. */

/* CHARSET conversion of search strings with iconv (RFC 9051 §6.4.4:
 * the server converts to its own charset; an unknown one gets
 * [BADCHARSET]). Names are limited to the characters of IANA charset
 * names, so no iconv "//" suffix can slip in. */

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_parse-internal.h"
#include "imapd/imap_search_parse-internal.h"

#define NAME_MAX_ 40

static int name_ok (char const *name)
{
  size_t i = 0 ;
  for (; name[i] ; i++)
  {
    char ch = name[i] ;
    if (i >= NAME_MAX_) return 0 ;
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
       || ch == '-' || ch == '_' || ch == '.' || ch == ':'))
      return 0 ;
  }
  return i > 0 ;
}

int imap_search_charset_open (imap_search_cs *cs, char const *name)
{
  size_t len = strlen(name) ;
  if (!name_ok(name)) return 0 ;
  if (imap_word_is(name, len, "UTF-8") || imap_word_is(name, len, "US-ASCII") || imap_word_is(name, len, "UTF8"))
  {
    cs->identity = 1 ;
    return 1 ;
  }
  cs->cd = iconv_open("UTF-8", name) ;
  if (cs->cd == (iconv_t)-1) return errno == ENOMEM ? -1 : 0 ;
  cs->identity = 0 ;
  return 1 ;
}

int imap_search_charset_convert (imap_search_cs *cs, char const *in, size_t len, stralloc *sa)
{
  char *src = (char *)in ;
  char *out ;
  size_t left = len, outleft ;
  unsigned int rounds = 0 ;
  if (cs->identity) return stralloc_catb(sa, in, len) ? 1 : -1 ;
  iconv(cs->cd, 0, 0, 0, 0) ;
  while (left)
  {
    size_t room = 4 * left + 16 ;
    if (!stralloc_readyplus(sa, room)) return -1 ;
    out = sa->s + sa->len ;
    outleft = room ;
    if (iconv(cs->cd, &src, &left, &out, &outleft) == (size_t)-1)
    {
      sa->len = out - sa->s ;
      if (errno != E2BIG || ++rounds > 64) return 0 ;
    }
    else sa->len = out - sa->s ;
  }
  /* the shift sequence back to the initial state (ISO-2022-JP) */
  if (!stralloc_readyplus(sa, 16)) return -1 ;
  out = sa->s + sa->len ;
  outleft = 16 ;
  if (iconv(cs->cd, 0, 0, &out, &outleft) == (size_t)-1) return 0 ;
  sa->len = out - sa->s ;
  return 1 ;
}

void imap_search_charset_close (imap_search_cs *cs)
{
  if (cs->cd != (iconv_t)-1) iconv_close(cs->cd) ;
  cs->cd = (iconv_t)-1 ;
  cs->identity = 1 ;
}
