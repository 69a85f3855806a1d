/* ISC license. */

#include <errno.h>
#include <string.h>
#include <stdint.h>

#include "common/authclient-internal.h"

/* The server's handshake (Dovecot auth protocol, "Server handshake"):
 *   VERSION <major> <minor>     first; major must be 1
 *   MECH <name> [flags...]      one per mechanism
 *   SPID <pid>, CUID <id>, COOKIE <hex>
 *   DONE
 * Newer servers may add commands: an unknown command made of capital
 * letters is skipped, anything else is a protocol error. */

/* Decimal, no sign, no leading zero, within 32 bits. Parsed here, not
 * with uint32_scan, which would read past len. */
static int is_decimal_u32 (char const *s, size_t len, uint32_t *u)
{
  uint64_t v = 0 ;
  if (!len || len > 10 || (len > 1 && s[0] == '0')) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    if (s[i] < '0' || s[i] > '9') return 0 ;
    v = v * 10 + (s[i] - '0') ;
  }
  if (v > UINT32_MAX) return 0 ;
  *u = (uint32_t)v ;
  return 1 ;
}

static int is_command (char const *s, size_t len)
{
  if (!len || len > 32) return 0 ;
  for (size_t i = 0 ; i < len ; i++) if (s[i] < 'A' || s[i] > 'Z') return 0 ;
  return 1 ;
}

/* RFC 4422 section 3.1: 1 to 20 of upper-case letters, digits, '-'
 * and '_'. */
static int is_mech_name (char const *s, size_t len)
{
  if (!len || len > 20) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return 0 ;
  }
  return 1 ;
}

static int add_mech (authclient *ac, char const *name, size_t len, char const *const *flags, size_t const *flen, unsigned int nflags)
{
  /* "private" mechanisms are not to be offered to clients (Dovecot's
   * MECH_SEC_PRIVATE); unknown flags are fine. */
  for (unsigned int i = 0 ; i < nflags ; i++)
    if (flen[i] == 7 && !memcmp(flags[i], "private", 7)) return 1 ;
  {
    char tmp[21] ;
    memcpy(tmp, name, len) ;
    tmp[len] = 0 ;
    if (authclient_has_mech(ac, tmp)) return 1 ;
  }
  if (ac->mechlen + !!ac->mechlen + len >= AUTHCLIENT_MECHS_MAX) return 0 ;
  if (ac->mechlen) ac->mechs[ac->mechlen++] = ' ' ;
  memcpy(ac->mechs + ac->mechlen, name, len) ;
  ac->mechlen += len ;
  ac->mechs[ac->mechlen] = 0 ;
  return 1 ;
}

int authclient_handshake_line (authclient *ac, char const *line, size_t len)
{
  char const *f[AUTHCLIENT_FIELDS_MAX] ;
  size_t flen[AUTHCLIENT_FIELDS_MAX] ;
  unsigned int n ;
  if (memchr(line, 0, len) || ++ac->hs_lines > AUTHCLIENT_HANDSHAKE_MAX) return (errno = EPROTO, -1) ;
  n = authclient_split(line, len, f, flen) ;
  if (!n) return (errno = EPROTO, -1) ;
#define IS(cmd) (flen[0] == sizeof(cmd) - 1 && !memcmp(f[0], cmd, sizeof(cmd) - 1))
  if (!ac->hs_version)
  {
    uint32_t major, minor ;
    if (!IS("VERSION") || n != 3 || !is_decimal_u32(f[1], flen[1], &major) || major != 1 || !is_decimal_u32(f[2], flen[2], &minor))
      return (errno = EPROTO, -1) ;
    ac->hs_version = 1 ;
    return 0 ;
  }
  if (IS("MECH"))
  {
    if (n < 2 || !is_mech_name(f[1], flen[1]) || !add_mech(ac, f[1], flen[1], f + 2, flen + 2, n - 2)) return (errno = EPROTO, -1) ;
    return 0 ;
  }
  if (IS("SPID") || IS("CUID"))
  {
    uint32_t u ;
    if (n != 2 || !is_decimal_u32(f[1], flen[1], &u)) return (errno = EPROTO, -1) ;
    if (f[0][0] == 'S') ac->spid = u ; else ac->cuid = u ;
    return 0 ;
  }
  if (IS("COOKIE"))
  {
    if (n != 2 || !flen[1] || flen[1] >= sizeof(ac->cookie)) return (errno = EPROTO, -1) ;
    for (size_t i = 0 ; i < flen[1] ; i++)
    {
      char c = f[1][i] ;
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return (errno = EPROTO, -1) ;
    }
    memcpy(ac->cookie, f[1], flen[1]) ;
    ac->cookie[flen[1]] = 0 ;
    return 0 ;
  }
  if (IS("DONE"))
  {
    /* Nothing to offer is as useless as no server at all. */
    if (n != 1 || !ac->mechlen) return (errno = EPROTO, -1) ;
    return 1 ;
  }
  if (IS("VERSION") || !is_command(f[0], flen[0])) return (errno = EPROTO, -1) ;
#undef IS
  return 0 ;
}
