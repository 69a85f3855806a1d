/* ISC license. */

#include <string.h>
#include <strings.h>

#include <skalibs/stralloc.h>

#include "common/mime.h"
#include "spam.h"

/* SPF, DKIM and DMARC results, from the Authentication-Results field
 * (RFC 8601) that policyd-filter put above the message. Only a field
 * that carries our own authserv-id (our host name) AND lies above the
 * first Received field counts: the queue's form has our smtpd's
 * Received field on top, so anything above it was added by our own
 * filter chain, and a field claiming our name below it came with the
 * message (a forgery, RFC 8601 §5). The topmost such field is used. */

#define AR_MAX 8192

/* the value without comments, quoted strings kept as they are */
static int strip (stralloc *sa, char const *v, size_t vlen)
{
  unsigned int depth = 0 ;
  int quote = 0 ;
  if (vlen > AR_MAX) vlen = AR_MAX ;
  sa->len = 0 ;
  for (size_t i = 0 ; i < vlen ; i++)
  {
    char c = v[i] ;
    if (quote)
    {
      if (c == '\\' && i + 1 < vlen) { if (!stralloc_catb(sa, v + i, 2)) return 0 ; i++ ; continue ; }
      if (c == '"') quote = 0 ;
    }
    else if (depth)
    {
      if (c == '\\') { i++ ; continue ; }
      if (c == '(') depth++ ;
      else if (c == ')') depth-- ;
      continue ;
    }
    else if (c == '(') { depth = 1 ; continue ; }
    else if (c == '"') quote = 1 ;
    if (c == '\r' || c == '\n' || c == '\t') c = ' ' ;
    if (!stralloc_catb(sa, &c, 1)) return 0 ;
  }
  return 1 ;
}

static size_t trim_left (char const *s, size_t i, size_t n)
{
  while (i < n && s[i] == ' ') i++ ;
  return i ;
}

/* the result of each resinfo "method[/version]=result ..." */
static void results (spam *s, char const *v, size_t n)
{
  int spf = 0, dkim_pass = 0, dkim_fail = 0, dmarc = 0 ;
  size_t i = 0 ;
  int quote = 0 ;
  /* skip the authserv-id part */
  while (i < n && v[i] != ';') i++ ;
  while (i < n)
  {
    size_t start = trim_left(v, i + 1, n), end = start, eq ;
    char const *method ;
    size_t mlen ;
    for (quote = 0 ; end < n && (quote || v[end] != ';') ; end++) if (v[end] == '"') quote = !quote ;
    i = end ;
    eq = start ;
    while (eq < end && v[eq] != '=' && v[eq] != ' ') eq++ ;
    if (eq >= end || v[eq] != '=') continue ;
    method = v + start ;
    mlen = eq - start ;
    {
      size_t rs = trim_left(v, eq + 1, end), re = rs ;
      char const *res = v + rs ;
      size_t rlen ;
      while (re < end && v[re] != ' ') re++ ;
      rlen = re - rs ;
#define IS(word) (rlen == sizeof(word) - 1 && !strncasecmp(res, word, rlen))
#define METHOD(word) ((mlen == sizeof(word) - 1 || (mlen > sizeof(word) - 1 && method[sizeof(word) - 1] == '/')) && !strncasecmp(method, word, sizeof(word) - 1))
      if (METHOD("spf") && !spf) spf = IS("pass") ? 1 : IS("fail") ? 2 : IS("softfail") ? 3 : 4 ;
      else if (METHOD("dkim")) { if (IS("pass")) dkim_pass = 1 ; else if (IS("fail")) dkim_fail = 1 ; }
      else if (METHOD("dmarc") && !dmarc) dmarc = IS("pass") ? 1 : IS("fail") ? 2 : 3 ;
#undef IS
#undef METHOD
    }
  }
  if (spf == 1) spam_hit_add(s, "SPF_PASS") ;
  else if (spf == 2) spam_hit_add(s, "SPF_FAIL") ;
  else if (spf == 3) spam_hit_add(s, "SPF_SOFTFAIL") ;
  if (dkim_pass) spam_hit_add(s, "DKIM_VALID") ;
  else if (dkim_fail) spam_hit_add(s, "DKIM_INVALID") ;
  if (dmarc == 1) spam_hit_add(s, "DMARC_PASS") ;
  else if (dmarc == 2) spam_hit_add(s, "DMARC_FAIL") ;
}

void spam_check_authres (spam_settings const *set, spam *s)
{
  static stralloc sa = STRALLOC_ZERO ;
  size_t pos = 0, nlen, vlen, hn = strlen(set->hostname) ;
  char const *name, *v ;
  while (mime_header_next(s->msg.s, s->hlen, &pos, &name, &nlen, &v, &vlen))
  {
    size_t i ;
    if (nlen == 8 && !strncasecmp(name, "Received", 8)) return ;
    if (nlen != 22 || strncasecmp(name, "Authentication-Results", 22)) continue ;
    if (!strip(&sa, v, vlen)) return ;
    i = trim_left(sa.s, 0, sa.len) ;
    if (sa.len - i < hn || strncasecmp(sa.s + i, set->hostname, hn)) continue ;
    if (i + hn < sa.len && sa.s[i + hn] != ' ' && sa.s[i + hn] != ';') continue ;
    results(s, sa.s, sa.len) ;
    return ;
  }
}
