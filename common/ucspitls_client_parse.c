/* ISC license. */

#include <string.h>
#include <errno.h>

#include "common/ucspitls.h"
#include "common/ucspitls-internal.h"

/* tlsc's report: text0 NAME=value records. The texts taken from the
 * peer's certificate (SSL_VERIFY_ERROR is OpenSSL's own, SSL_PEER_CN is
 * the peer's) may hold spaces; they go to logs and DSN texts, so they
 * must still be printable ASCII, as tlsc makes them. */

static int field (char const *rec, char const *name, char const **value)
{
  size_t n = strlen(name) ;
  if (strncmp(rec, name, n) || rec[n] != '=') return 0 ;
  *value = rec + n + 1 ;
  return 1 ;
}

static int text (char *out, size_t max, char const *value)
{
  size_t n = strlen(value) ;
  size_t i = 0 ;
  if (n > max) return 0 ;
  for (; i < n ; i++)
    if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] > 0x7e) return 0 ;
  memcpy(out, value, n + 1) ;
  return 1 ;
}

int ucspitls_client_parse (char const *s, size_t len, ucspitls_client *c, ucspitls_info *info)
{
  size_t pos = 0 ;
  int hasproto = 0, hascipher = 0, hasverified = 0, haserror = 0 ;
  info->protocol[0] = info->cipher[0] = 0 ;
  info->discarded = 0 ;
  c->verified = 0 ;
  c->verify_error[0] = c->peer_cn[0] = 0 ;
  if (!len || s[len-1]) return (errno = EPROTO, 0) ;
  while (pos < len)
  {
    char const *rec = s + pos ;
    char const *value ;
    if (field(rec, "SSL_PROTOCOL", &value))
    {
      if (!*value || !ucspitls_copy(info->protocol, UCSPITLS_PROTOCOL_MAX, value)) goto err ;
      hasproto = 1 ;
    }
    else if (field(rec, "SSL_CIPHER", &value))
    {
      if (!*value || !ucspitls_copy(info->cipher, UCSPITLS_CIPHER_MAX, value)) goto err ;
      hascipher = 1 ;
    }
    else if (field(rec, "SSL_VERIFIED", &value))
    {
      if (strcmp(value, "0") && strcmp(value, "1")) goto err ;
      c->verified = value[0] == '1' ;
      hasverified = 1 ;
    }
    else if (field(rec, "SSL_VERIFY_ERROR", &value))
    {
      if (!*value || !text(c->verify_error, UCSPITLS_VERIFY_ERROR_MAX, value)) goto err ;
      haserror = 1 ;
    }
    else if (field(rec, "SSL_PEER_CN", &value))
    {
      if (!text(c->peer_cn, UCSPITLS_CN_MAX, value)) goto err ;
    }
    pos += strlen(rec) + 1 ;
  }
  if (!hasproto && !hascipher && !hasverified && haserror)
  {
    /* the refusal of an unverified server (tlsc -V) */
    c->peer_cn[0] = 0 ;
    return (errno = EPERM, 0) ;
  }
  if (!hasproto || !hascipher || !hasverified) goto err ;
  /* a verified session with a verification error is a contradiction */
  if (c->verified && haserror) goto err ;
  return 1 ;

 err:
  info->protocol[0] = info->cipher[0] = 0 ;
  c->verified = 0 ;
  c->verify_error[0] = c->peer_cn[0] = 0 ;
  return (errno = EPROTO, 0) ;
}
