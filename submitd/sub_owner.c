/* ISC license. */

#include <string.h>
#include <skalibs/cdb.h>

#include "common/cdbmap.h"
#include "sub_owner.h"

/* Where key's tag starts ("local+tag@domain": at the '+'), or 0 for
 * none: the first delimiter of the local part that is not its first
 * character; a quoted local part has no tag (common/rcpt's rule). */
static size_t tag_start (char const *delims, char const *key, size_t keylen)
{
  char const *at = memchr(key, '@', keylen) ;
  size_t local = at ? (size_t)(at - key) : keylen ;
  if (!local || key[0] == '"') return 0 ;
  for (size_t i = 1 ; i < local ; i++) if (strchr(delims, key[i])) return i ;
  return 0 ;
}

/* key without its tag, into buf (room for keylen + 1). */
static size_t untagged (char const *delims, char const *key, size_t keylen, char *buf)
{
  size_t t = tag_start(delims, key, keylen) ;
  char const *at = memchr(key, '@', keylen) ;
  size_t n ;
  if (!t || !at) { memcpy(buf, key, keylen) ; buf[keylen] = 0 ; return keylen ; }
  memcpy(buf, key, t) ;
  n = keylen - (size_t)(at - key) ;
  memcpy(buf + t, at, n) ;
  buf[t + n] = 0 ;
  return t + n ;
}

/* Is a (a key) the login itself, or the login with a tag? */
static int is_login (char const *delims, char const *login, char const *a, size_t alen)
{
  char buf[1024] ;
  size_t llen = strlen(login) ;
  if (alen == llen && !memcmp(a, login, llen)) return 1 ;
  if (alen >= sizeof(buf)) return 0 ;
  alen = untagged(delims, a, alen, buf) ;
  return alen == llen && !memcmp(buf, login, llen) ;
}

/* 1 if the alias key's targets include the login, 0 if not or no such
 * alias, -1 on error. Values: targets, each followed by NUL. */
static int alias_owned (cdbmap *aliases, char const *delims, char const *login, char const *key, size_t keylen)
{
  cdb_data d ;
  size_t i = 0 ;
  int r = cdbmap_find(aliases, key, keylen, &d) ;
  if (r <= 0) return r ;
  while (i < d.len)
  {
    char const *t = d.s + i ;
    char const *nul = memchr(t, 0, d.len - i) ;
    size_t tlen = nul ? (size_t)(nul - t) : d.len - i ;
    if (tlen && is_login(delims, login, t, tlen)) return 1 ;
    i += tlen + 1 ;
  }
  return 0 ;
}

int sub_owns (cdbmap *aliases, char const *delims, char const *login, char const *key, size_t keylen)
{
  char buf[1024] ;
  int r ;
  if (is_login(delims, login, key, keylen)) return 1 ;
  r = alias_owned(aliases, delims, login, key, keylen) ;
  if (r) return r ;
  if (keylen >= sizeof(buf) || !tag_start(delims, key, keylen)) return 0 ;
  keylen = untagged(delims, key, keylen, buf) ;
  return alias_owned(aliases, delims, login, buf, keylen) ;
}
