/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>

#include "common/addr.h"
#include "common/cdbmap.h"
#include "common/config.h"
#include "common/log.h"
#include "smtp_access.h"

static cdbmap maps[2] = { CDBMAP_ZERO, CDBMAP_ZERO } ;
static stralloc paths[2] = { STRALLOC_ZERO, STRALLOC_ZERO } ;
static char const *const names[2] = { "/sendaccess.cdb", "/rcptaccess.cdb" } ;
static char const *const what[2] = { "Sender", "Recipient" } ;

/* 1 found (*value, *vlen), 0 not, -1 error */
static int find (int which, char const *k, size_t klen, char const **value, size_t *vlen)
{
  cdb_data d ;
  int r = cdbmap_find(&maps[which], k, klen, &d) ;
  if (r > 0) { *value = d.s ; *vlen = d.len ; }
  return r ;
}

static int lookup (int which, char const *key, size_t keylen, char const **value, size_t *vlen)
{
  char buf[ADDR_PATH_MAX + 3] ;
  size_t at ;
  char const *delims = config_get_default("PH_RECIPIENT_DELIMITER", "+") ;
  size_t ext ;
  int r ;
  if (!keylen) return find(which, "<>", 2, value, vlen) ;
  if (keylen > ADDR_PATH_MAX) return 0 ;
  r = find(which, key, keylen, value, vlen) ;
  if (r) return r ;
  at = keylen ;
  while (at && key[at - 1] != '@') at-- ;
  if (!at) return 0 ;
  at-- ;
  /* the extension, from the first delimiter after the first character */
  for (ext = 1 ; ext < at ; ext++) if (strchr(delims, key[ext])) break ;
  if (ext < at)
  {
    memcpy(buf, key, ext) ;
    memcpy(buf + ext, key + at, keylen - at) ;
    r = find(which, buf, ext + keylen - at, value, vlen) ;
    if (r) return r ;
  }
  for (size_t d = at + 1 ; d < keylen ; )
  {
    r = find(which, key + d, keylen - d, value, vlen) ;
    if (r) return r ;
    while (d < keylen && key[d] != '.') d++ ;
    d++ ;
  }
  memcpy(buf, key, at + 1) ;
  r = find(which, buf, at + 1, value, vlen) ;
  if (r || ext >= at) return r ;
  memcpy(buf + ext, "@", 1) ;
  return find(which, buf, ext + 1, value, vlen) ;
}

int smtp_access_check (int which, char const *key, size_t keylen, smtp_verdict *v)
{
  static char text[2][ADDR_PATH_MAX + 600] ;
  static char enh[2][16] ;
  char const *value ;
  size_t vlen, n = 0 ;
  int r ;
  if (!paths[which].len)
  {
    char const *dir = config_get_default("PH_CDB_DIR", "/var/mail-state/posthaste/cdb") ;
    if (!stralloc_cats(&paths[which], dir) || !stralloc_cats(&paths[which], names[which]) || !stralloc_0(&paths[which])
     || !cdbmap_open(&maps[which], paths[which].s))
    {
      paths[which].len = 0 ;
      goto tempfail ;
    }
  }
  r = lookup(which, key, keylen, &value, &vlen) ;
  if (r < 0) goto tempfail ;
  if (!r || (vlen == 2 && !memcmp(value, "OK", 2))) return 0 ;
  /* "NNN x.y.z [text]", written by mailctl; anything else is no entry */
  {
    size_t sp ;
    unsigned int code ;
    if (vlen < 9 || value[3] != ' ' || (value[0] != '4' && value[0] != '5')
     || value[1] < '0' || value[1] > '9' || value[2] < '0' || value[2] > '9') return 0 ;
    code = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0') ;
    for (sp = 4 ; sp < vlen && value[sp] != ' ' ; sp++) ;
    if (sp - 4 >= sizeof(enh[which])) return 0 ;
    memcpy(enh[which], value + 4, sp - 4) ;
    enh[which][sp - 4] = 0 ;
    /* Postfix's words: "<addr>: Sender address rejected: Access denied" */
    text[which][n++] = '<' ;
    memcpy(text[which] + n, key, keylen) ; n += keylen ;
    n += (size_t)(stpcpy(text[which] + n, ">: ") - (text[which] + n)) ;
    n += (size_t)(stpcpy(text[which] + n, what[which]) - (text[which] + n)) ;
    n += (size_t)(stpcpy(text[which] + n, " address rejected: ") - (text[which] + n)) ;
    if (sp + 1 < vlen)
    {
      size_t t = vlen - sp - 1 ;
      if (t > 500) t = 500 ;
      memcpy(text[which] + n, value + sp + 1, t) ; n += t ;
    }
    else n += (size_t)(stpcpy(text[which] + n, "Access denied") - (text[which] + n)) ;
    text[which][n] = 0 ;
    *v = (smtp_verdict){ .code = code, .enh = enh[which], .text = text[which], .reason = which ? "rcpt_access" : "sender_access" } ;
    return 1 ;
  }
 tempfail:
  *v = (smtp_verdict){ .code = 451, .enh = "4.3.0", .text = "temporary access table lookup failure", .reason = "lookup_error" } ;
  return 1 ;
}
