/* ISC license. */

#include <errno.h>
#include <string.h>
#include <stdint.h>

#include "common/authclient-internal.h"

/* One answer to a request (Dovecot auth protocol, "Authentication
 * requests"):
 *   CONT <id> <base64 challenge>
 *   OK <id> user=<name> [ticket=<hex>] [params]
 *   FAIL <id> [user=..] [reason=<text>] [temp] [params]
 * The id must be the request in progress. Unknown parameters are
 * ignored, as the protocol asks; everything else is checked, because a
 * challenge goes back to the network client as it is and the user name
 * becomes who is logged in. */

static int proto (void)
{
  errno = EPROTO ;
  return 0 ;
}

/* Parsed by hand: uint32_scan would read past len. */
static int is_id (char const *s, size_t len, uint32_t id)
{
  uint64_t v = 0 ;
  if (!len || len > 10 || (len > 1 && s[0] == '0')) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    if (s[i] < '0' || s[i] > '9') return 0 ;
    v = v * 10 + (s[i] - '0') ;
  }
  return v == id ;
}

/* RFC 4648 section 4 alphabet, '=' only as final padding. */
static int is_base64 (char const *s, size_t len)
{
  size_t pad = 0 ;
  if (len % 4) return 0 ;
  if (len && s[len - 1] == '=') pad = (len >= 2 && s[len - 2] == '=') ? 2 : 1 ;
  for (size_t i = 0 ; i < len - pad ; i++)
  {
    char c = s[i] ;
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/')) return 0 ;
  }
  return 1 ;
}

static int is_ticket (char const *s, size_t len)
{
  if (len != AUTHCLIENT_TICKET_HEX) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0 ;
  return 1 ;
}

static int has_control (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (c < 0x20 || c == 0x7f) return 1 ;
  }
  return 0 ;
}

/* Cuts a too long reason at a character boundary, not inside a UTF-8
 * sequence, so what is relayed stays valid text. s holds max + 1 bytes
 * when len > max. */
static size_t utf8_cut (char const *s, size_t len, size_t max)
{
  if (len <= max) return len ;
  len = max ;
  while (len && ((unsigned char)s[len] & 0xc0) == 0x80) len-- ;
  return len ;
}

#define PARAM(i, name) (flen[i] >= sizeof(name) - 1 && !memcmp(f[i], name, sizeof(name) - 1))

int authclient_reply_parse (char const *line, size_t len, uint32_t id, authclient_reply *r)
{
  char const *f[AUTHCLIENT_FIELDS_MAX] ;
  size_t flen[AUTHCLIENT_FIELDS_MAX] ;
  unsigned int n ;
  r->type = 0 ;
  r->temp = 0 ;
  r->len = 0 ;
  r->text[0] = 0 ;
  r->ticket[0] = 0 ;
  if (memchr(line, 0, len)) return proto() ;
  n = authclient_split(line, len, f, flen) ;
  if (n < 2 || !is_id(f[1], flen[1], id)) return proto() ;

  if (flen[0] == 4 && !memcmp(f[0], "CONT", 4))
  {
    if (n != 3 || flen[2] > AUTHCLIENT_TEXT_MAX || !is_base64(f[2], flen[2])) return proto() ;
    memcpy(r->text, f[2], flen[2]) ;
    r->len = flen[2] ;
    r->text[r->len] = 0 ;
    return (r->type = AUTHCLIENT_CONT) ;
  }

  if (flen[0] == 2 && !memcmp(f[0], "OK", 2))
  {
    int user = 0 ;
    for (unsigned int i = 2 ; i < n ; i++)
    {
      size_t ulen ;
      if (PARAM(i, "ticket=") && is_ticket(f[i] + 7, flen[i] - 7))
      {
        /* 64 lower-case hex digits (docs/internals.md, "Tickets"); two
         * are ambiguous; anything else named ticket= is not ours and is
         * ignored like any unknown parameter (a caller that asked for a
         * ticket then sees none) */
        if (r->ticket[0]) return proto() ;
        memcpy(r->ticket, f[i] + 7, AUTHCLIENT_TICKET_HEX) ;
        r->ticket[AUTHCLIENT_TICKET_HEX] = 0 ;
        continue ;
      }
      if (!PARAM(i, "user=")) continue ;
      if (user || !authclient_unescape(f[i] + 5, flen[i] - 5, r->text, AUTHCLIENT_TEXT_MAX, &ulen)) return proto() ;
      if (!ulen || ulen > AUTHCLIENT_TEXT_MAX || has_control(r->text, ulen)) return proto() ;
      r->len = ulen ;
      r->text[ulen] = 0 ;
      user = 1 ;
    }
    if (!user) return proto() ;
    return (r->type = AUTHCLIENT_OK) ;
  }

  if (flen[0] == 4 && !memcmp(f[0], "FAIL", 4))
  {
    int reason = 0 ;
    for (unsigned int i = 2 ; i < n ; i++)
    {
      if (flen[i] == 4 && !memcmp(f[i], "temp", 4)) r->temp = 1 ;
      else if (PARAM(i, "reason="))
      {
        size_t rlen ;
        if (reason || !authclient_unescape(f[i] + 7, flen[i] - 7, r->text, AUTHCLIENT_TEXT_MAX + 1, &rlen)) return proto() ;
        rlen = utf8_cut(r->text, rlen, AUTHCLIENT_TEXT_MAX) ;
        if (has_control(r->text, rlen)) return proto() ;
        r->len = rlen ;
        r->text[rlen] = 0 ;
        reason = 1 ;
      }
    }
    return (r->type = AUTHCLIENT_FAIL) ;
  }
  return proto() ;
}
