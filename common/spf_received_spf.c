/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>

#include "common/spf.h"

/* The Received-SPF field value (RFC 7208 §9.1):
 *   result [ FWS comment ] [ FWS key-value-list ]
 * with the keys of §9.1: client-ip, envelope-from, helo, problem,
 * receiver, identity, mechanism. Every value written here came from
 * the client or from DNS: it is quoted (RFC 5322 quoted-string) unless
 * it is a dot-atom, bytes outside printable ASCII become "?", and each
 * is cut to VALUE_MAX so the field stays a reasonable line. */

#define VALUE_MAX 128

static int atext (unsigned char ch)
{
  if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) return 1 ;
  return ch && strchr("!#$%&'*+-/=?^_`{|}~", ch) != 0 ;
}

static int dotatom (char const *s, size_t n)
{
  if (!n || s[0] == '.' || s[n - 1] == '.') return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (s[i] == '.') { if (s[i + 1] == '.') return 0 ; }
    else if (!atext(s[i])) return 0 ;
  }
  return 1 ;
}

/* Text for inside a comment or a quoted-string: "\" before the
 * characters that would end it. */
static int cat_text (stralloc *sa, char const *s, char const *special)
{
  size_t n = strlen(s) ;
  if (n > VALUE_MAX) n = VALUE_MAX ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char ch = s[i] ;
    if (ch < 0x20 || ch > 0x7e) ch = '?' ;
    if (strchr(special, ch) && !stralloc_catb(sa, "\\", 1)) return 0 ;
    if (!stralloc_catb(sa, (char *)&ch, 1)) return 0 ;
  }
  return 1 ;
}

static int kv (stralloc *sa, char const *key, char const *value)
{
  size_t n = strlen(value) ;
  if (!stralloc_catb(sa, " ", 1) || !stralloc_cats(sa, key) || !stralloc_catb(sa, "=", 1)) return 0 ;
  if (n <= VALUE_MAX && dotatom(value, n))
  {
    if (!stralloc_catb(sa, value, n)) return 0 ;
  }
  else if (!stralloc_catb(sa, "\"", 1) || !cat_text(sa, value, "\"\\") || !stralloc_catb(sa, "\"", 1)) return 0 ;
  return stralloc_catb(sa, ";", 1) ;
}

int spf_received_spf (stralloc *sa, spf_query const *q, spf_answer const *a)
{
  char who[VALUE_MAX + 16] ;
  char const *ip = q->ip ? q->ip : "" ;
  char const *helo = q->helo ? q->helo : "" ;
  char const *receiver = q->receiver && q->receiver[0] ? q->receiver : "unknown" ;
  char const *sender = q->sender && q->sender[0] ? q->sender : 0 ;
  size_t sabase = sa->len ;
  if (a->identity == SPF_ID_HELO || !sender)
  {
    size_t n = strlen(helo) ;
    if (n > VALUE_MAX) n = VALUE_MAX ;
    memcpy(who, "postmaster@", 11) ;
    memcpy(who + 11, helo, n) ;
    who[11 + n] = 0 ;
  }
  else
  {
    size_t n = strlen(sender) ;
    if (n > VALUE_MAX) n = VALUE_MAX ;
    memcpy(who, sender, n) ;
    who[n] = 0 ;
  }
  if (!stralloc_cats(sa, spf_result_name(a->result)) || !stralloc_cats(sa, " (")
   || !cat_text(sa, receiver, "()\\") || !stralloc_cats(sa, ": ")) goto err ;
  switch (a->result)
  {
    case SPF_PASS :
      if (!stralloc_cats(sa, "domain of ") || !cat_text(sa, who, "()\\") || !stralloc_cats(sa, " designates ")
       || !cat_text(sa, ip, "()\\") || !stralloc_cats(sa, " as permitted sender")) goto err ;
      break ;
    case SPF_FAIL :
    case SPF_SOFTFAIL :
      if (!stralloc_cats(sa, a->result == SPF_FAIL ? "domain of " : "domain of transitioning ") || !cat_text(sa, who, "()\\")
       || !stralloc_cats(sa, " does not designate ") || !cat_text(sa, ip, "()\\") || !stralloc_cats(sa, " as permitted sender")) goto err ;
      break ;
    case SPF_NEUTRAL :
      if (!cat_text(sa, ip, "()\\") || !stralloc_cats(sa, " is neither permitted nor denied by domain of ") || !cat_text(sa, who, "()\\")) goto err ;
      break ;
    case SPF_NONE :
      if (!stralloc_cats(sa, "domain of ") || !cat_text(sa, who, "()\\") || !stralloc_cats(sa, " does not designate permitted sender hosts")) goto err ;
      break ;
    default :
      if (!stralloc_cats(sa, "error in processing during lookup of ") || !cat_text(sa, who, "()\\")) goto err ;
      break ;
  }
  if (!stralloc_cats(sa, ")")) goto err ;
  if (!kv(sa, "client-ip", ip) || !kv(sa, "envelope-from", sender ? sender : "") || !kv(sa, "helo", helo)
   || !kv(sa, "receiver", receiver) || !kv(sa, "identity", a->identity == SPF_ID_HELO ? "helo" : "mailfrom")) goto err ;
  if (a->mechanism[0] && !kv(sa, "mechanism", a->mechanism)) goto err ;
  if ((a->result == SPF_TEMPERROR || a->result == SPF_PERMERROR) && a->problem[0] && !kv(sa, "problem", a->problem)) goto err ;
  sa->len-- ;   /* the last ";" */
  return 1 ;
 err:
  sa->len = sabase ;
  return 0 ;
}
