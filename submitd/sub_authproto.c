/* ISC license. */

#include <stddef.h>
#include <string.h>

#include "sub_authproto.h"

static int b64val (char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return c - 'a' + 26 ;
  if (c >= '0' && c <= '9') return c - '0' + 52 ;
  if (c == '+') return 62 ;
  if (c == '/') return 63 ;
  return -1 ;
}

int sub_base64_valid (char const *s, size_t len)
{
  size_t pad = 0 ;
  if (len % 4) return 0 ;
  if (len && s[len - 1] == '=') pad = len >= 2 && s[len - 2] == '=' ? 2 : 1 ;
  for (size_t i = 0 ; i < len - pad ; i++) if (b64val(s[i]) < 0) return 0 ;
  return 1 ;
}

int sub_base64_decode (char const *s, size_t len, char *out, size_t max, size_t *outlen)
{
  size_t w = 0 ;
  if (!sub_base64_valid(s, len)) return 0 ;
  for (size_t i = 0 ; i < len ; i += 4)
  {
    unsigned int v = 0 ;
    unsigned int n = 0 ;
    for (unsigned int k = 0 ; k < 4 ; k++)
    {
      int d = b64val(s[i + k]) ;
      if (d < 0) break ;   /* padding: validated to be at the end */
      v |= (unsigned int)d << (18 - 6 * k) ;
      n++ ;
    }
    /* 4 digits give 3 bytes, 3 give 2, 2 give 1 */
    for (unsigned int k = 0 ; k + 1 < n ; k++)
    {
      if (w >= max) return 0 ;
      out[w++] = (char)((v >> (16 - 8 * k)) & 0xff) ;
    }
  }
  *outlen = w ;
  return 1 ;
}

static char upper (char c)
{
  return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c ;
}

/* RFC 4422 3.1: sasl-mech = 1*20mech-char, mech-char = UPPER-ALPHA /
 * DIGIT / HYPHEN / UNDERSCORE; clients write lower case too. */
static int mech_char (char c)
{
  c = upper(c) ;
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ;
}

unsigned int sub_authcmd_parse (char const *arg, size_t len, sub_authcmd *a)
{
  size_t i = 0 ;
  size_t n = 0 ;
  a->mech[0] = 0 ;
  a->mechid = 0 ;
  a->hasresp = 0 ;
  a->resp = "" ;
  a->resplen = 0 ;
  while (i < len && arg[i] != ' ')
  {
    if (n >= SUB_MECH_MAX || !mech_char(arg[i])) return SUB_AUTHCMD_SYNTAX ;
    a->mech[n++] = upper(arg[i++]) ;
  }
  if (!n) return SUB_AUTHCMD_SYNTAX ;
  a->mech[n] = 0 ;
  if (!strcmp(a->mech, "PLAIN")) a->mechid = SUB_MECH_PLAIN ;
  else if (!strcmp(a->mech, "LOGIN")) a->mechid = SUB_MECH_LOGIN ;
  while (i < len && arg[i] == ' ') i++ ;
  if (i == len) return SUB_AUTHCMD_OK ;
  {
    size_t start = i ;
    while (i < len && arg[i] != ' ') i++ ;
    if (i != len) return SUB_AUTHCMD_SYNTAX ;   /* the session trimmed trailing spaces */
    a->hasresp = 1 ;
    /* RFC 4954 4: "=" is an initial response of zero length */
    if (i - start == 1 && arg[start] == '=') return SUB_AUTHCMD_OK ;
    if (!sub_base64_valid(arg + start, i - start)) return SUB_AUTHCMD_BASE64 ;
    a->resp = arg + start ;
    a->resplen = i - start ;
  }
  return SUB_AUTHCMD_OK ;
}

size_t sub_auth_user (unsigned int mechid, char const *b64, size_t len, char *user)
{
  /* PLAIN's parts are at most 255 octets each (RFC 4616 2), LOGIN's
   * user name likewise: anything longer is cut for the log. */
  char buf[1024] ;
  size_t n = 0 ;
  char const *u = buf ;
  size_t ulen = 0 ;
  user[0] = 0 ;
  if (len > (sizeof(buf) / 3) * 4 || !sub_base64_decode(b64, len, buf, sizeof(buf), &n)) return 0 ;
  if (mechid == SUB_MECH_PLAIN)
  {
    char const *nul1 = memchr(buf, 0, n) ;
    char const *nul2 = nul1 ? memchr(nul1 + 1, 0, n - (size_t)(nul1 + 1 - buf)) : 0 ;
    if (nul2)
    {
      u = nul1 + 1 ;
      ulen = (size_t)(nul2 - u) ;
    }
  }
  else if (mechid == SUB_MECH_LOGIN)
  {
    char const *nul = memchr(buf, 0, n) ;
    ulen = nul ? (size_t)(nul - buf) : n ;
  }
  if (ulen > SUB_AUTHUSER_MAX) ulen = SUB_AUTHUSER_MAX ;
  memcpy(user, u, ulen) ;
  user[ulen] = 0 ;
  explicit_bzero(buf, sizeof(buf)) ;
  return ulen ;
}
