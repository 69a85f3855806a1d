/* ISC license. */

#include <errno.h>
#include <string.h>

#include "common/handover.h"

/* fields: "key=value\0" each, key [A-Za-z0-9_]+, value without CR or LF,
 * "service=" first, then "\0" alone; the rest is the client's pending
 * bytes. A body that runs out before the end mark is malformed. */

static int key_ok (char const *s, size_t len)
{
  if (!len) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return 0 ;
  }
  return 1 ;
}

int handover_parse (char const *s, size_t len, size_t *fieldslen)
{
  size_t pos = 0 ;
  unsigned int n = 0 ;
  if (len > HANDOVER_BODY_MAX) return (errno = EMSGSIZE, 0) ;
  for (;;)
  {
    char const *nul = memchr(s + pos, 0, len - pos) ;
    char const *eq ;
    size_t flen ;
    if (!nul) return (errno = EPROTO, 0) ;
    flen = nul - (s + pos) ;
    if (!flen) break ;
    if (++n > HANDOVER_FIELDS_MAX) return (errno = EPROTO, 0) ;
    eq = memchr(s + pos, '=', flen) ;
    if (!eq || !key_ok(s + pos, eq - (s + pos))) return (errno = EPROTO, 0) ;
    if (memchr(eq, '\r', nul - eq) || memchr(eq, '\n', nul - eq)) return (errno = EPROTO, 0) ;
    if (n == 1 && (flen < 8 || memcmp(s, "service=", 8))) return (errno = EPROTO, 0) ;
    pos += flen + 1 ;
  }
  if (!n) return (errno = EPROTO, 0) ;
  if (len - pos - 1 > HANDOVER_PENDING_MAX) return (errno = EMSGSIZE, 0) ;
  *fieldslen = pos ;
  return 1 ;
}
