/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/addr.h"
#include "dms.h"

/* postfix-send-access.cf and postfix-receive-access.cf: Postfix access(5)
 * tables, which docker-mailserver's `setup email restrict add send|receive
 * ADDRESS` fills with "ADDRESS REJECT" lines; Postfix checks them with
 * check_sender_access (MAIL FROM) and check_recipient_access (RCPT TO).
 *
 * Keys: user@domain, domain (also its subdomains), user@, and <> (the
 * null sender, smtpd_null_access_lookup_key), lower-cased. Actions
 * become a normalized value the daemons read without parsing Postfix:
 *   OK (or all digits)        "OK": accepted, no further access lookup
 *   REJECT [text]             "554 5.7.1 [text]"
 *   DEFER [text]              "450 4.7.1 [text]"
 *   4NN/5NN [x.y.z] [text]    "NNN x.y.z [text]" (x.y.z defaults to 4.7.1/5.7.1)
 *   DUNNO                     no entry (the next lookup form decides)
 * Any other action (DISCARD, HOLD, FILTER, REDIRECT, restriction names...)
 * is not supported: a warning, and the line is left out. */

static int is_space (char c)
{
  return c == ' ' || c == '\t' ;
}

static int word_is (char const *s, size_t len, char const *w)
{
  size_t n = strlen(w) ;
  if (len != n) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = s[i] >= 'a' && s[i] <= 'z' ? s[i] - ('a' - 'A') : s[i] ;
    if (c != w[i]) return 0 ;
  }
  return 1 ;
}

static int enhanced_valid (char const *s, size_t len, char cls)
{
  /* RFC 3463: class "." subject "." detail, 1-3 digits each */
  size_t i = 0 ;
  if (len < 5 || s[0] != cls || s[1] != '.') return 0 ;
  i = 2 ;
  for (unsigned int part = 0 ; part < 2 ; part++)
  {
    size_t start = i ;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++ ;
    if (i == start || i - start > 3) return 0 ;
    if (!part) { if (i >= len || s[i] != '.') return 0 ; i++ ; }
  }
  return i == len ;
}

static int key_valid (char const *k, size_t len)
{
  mailaddr a ;
  if (len == 2 && !memcmp(k, "<>", 2)) return 1 ;
  if (len > 1 && k[len - 1] == '@')
  {
    /* "user@": any local part without '@' or '"' */
    if (len - 1 > ADDR_LOCAL_MAX || memchr(k, '@', len - 1) || memchr(k, '"', len - 1)) return 0 ;
    return 1 ;
  }
  if (memchr(k, '@', len)) return addr_parse_mailbox(k, len, &a, ADDR_UTF8_OK) && a.at < a.len && !a.literal ;
  return len <= ADDR_DOMAIN_MAX && addr_domain_valid(k, len, 1) ;
}

void mc_dms_access_line (char const *path, unsigned int lineno, char const *s, size_t len, stralloc *out)
{
  char key[ADDR_PATH_MAX + 3] ;
  size_t klen = 0, i = 0, astart, aend, rest ;
  char code[4] = "554" ;
  char const *dsn = "5.7.1" ;
  size_t dsnlen = 5 ;
  while (i < len && !is_space(s[i])) i++ ;
  klen = i ;
  if (klen > ADDR_PATH_MAX) mc_dms_die_line(path, lineno, "key too long", "") ;
  for (size_t j = 0 ; j < klen ; j++) key[j] = s[j] >= 'A' && s[j] <= 'Z' ? s[j] + ('a' - 'A') : s[j] ;
  key[klen] = 0 ;
  if (!key_valid(key, klen)) mc_dms_die_line(path, lineno, "not an access key (user@domain, domain, user@ or <>): ", key) ;
  while (i < len && is_space(s[i])) i++ ;
  if (i == len) mc_dms_die_line(path, lineno, "no action for ", key) ;
  astart = i ;
  while (i < len && !is_space(s[i])) i++ ;
  aend = i ;
  while (i < len && is_space(s[i])) i++ ;
  rest = i ;
  {
    char const *a = s + astart ;
    size_t alen = aend - astart ;
    size_t digits = 0 ;
    while (digits < alen && a[digits] >= '0' && a[digits] <= '9') digits++ ;
    int reply = alen == 3 && digits == 3 && (a[0] == '4' || a[0] == '5') ;
    if (word_is(a, alen, "OK") || (digits == alen && !reply))
    {
      if (!stralloc_catb(out, key, klen + 1) || !stralloc_catb(out, "OK", 3)) goto nomem ;
      return ;
    }
    if (word_is(a, alen, "DUNNO")) return ;
    if (word_is(a, alen, "REJECT")) ;
    else if (word_is(a, alen, "DEFER")) { memcpy(code, "450", 3) ; dsn = "4.7.1" ; }
    else if (reply)
    {
      memcpy(code, a, 3) ;
      dsn = a[0] == '4' ? "4.7.1" : "5.7.1" ;
      if (rest < len)
      {
        size_t e = rest ;
        while (e < len && !is_space(s[e])) e++ ;
        if (enhanced_valid(s + rest, e - rest, a[0]))
        {
          dsn = s + rest ;
          dsnlen = e - rest ;
          rest = e ;
          while (rest < len && is_space(s[rest])) rest++ ;
        }
      }
    }
    else
    {
      mc_dms_warn_line(path, lineno, "action not supported (OK, REJECT, DEFER, DUNNO, 4NN, 5NN): line ignored for ", key) ;
      return ;
    }
  }
  if (!stralloc_catb(out, key, klen + 1)
   || !stralloc_catb(out, code, 3) || !stralloc_catb(out, " ", 1)
   || !stralloc_catb(out, dsn, dsnlen)
   || (rest < len && (!stralloc_catb(out, " ", 1) || !stralloc_catb(out, s + rest, len - rest)))
   || !stralloc_0(out)) goto nomem ;
  return ;
 nomem:
  strerr_diefu1sys(111, "allocate memory") ;
}
