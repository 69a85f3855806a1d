/* ISC license. */

#include <string.h>
#include <errno.h>

#include "common/ucspitls.h"
#include "common/ucspitls-internal.h"

/* tlsd's report: text0 records NAME=value, the last one NUL-terminated
 * too. */

static int field (char const *rec, char const *name, char const **value)
{
  size_t n = strlen(name) ;
  if (strncmp(rec, name, n) || rec[n] != '=') return 0 ;
  *value = rec + n + 1 ;
  return 1 ;
}

int ucspitls_parse (char const *s, size_t len, ucspitls_info *info)
{
  size_t pos = 0 ;
  int hasproto = 0, hascipher = 0 ;
  info->protocol[0] = info->cipher[0] = info->sni[0] = 0 ;
  if (!len || s[len-1]) return (errno = EPROTO, 0) ;
  while (pos < len)
  {
    char const *rec = s + pos ;
    char const *value ;
    if (field(rec, "SSL_PROTOCOL", &value))
    {
      if (!*value || !ucspitls_copy(info->protocol, UCSPITLS_PROTOCOL_MAX, value)) return (errno = EPROTO, 0) ;
      hasproto = 1 ;
    }
    else if (field(rec, "SSL_CIPHER", &value))
    {
      if (!*value || !ucspitls_copy(info->cipher, UCSPITLS_CIPHER_MAX, value)) return (errno = EPROTO, 0) ;
      hascipher = 1 ;
    }
    else if (field(rec, "SSL_TLS_SNI_SERVERNAME", &value))
    {
      if (!ucspitls_copy(info->sni, UCSPITLS_SNI_MAX, value)) return (errno = EPROTO, 0) ;
    }
    pos += strlen(rec) + 1 ;
  }
  if (!hasproto || !hascipher) return (errno = EPROTO, 0) ;
  return 1 ;
}
