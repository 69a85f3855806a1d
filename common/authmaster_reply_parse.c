/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/uint64.h>

#include "common/maildir.h"
#include "common/authmaster.h"

/* USER <id> <address> maildir=<rel> [quota=<n>] [params]
 * FAIL <id> [reason=<text>] [temp] [params]
 * Unknown parameters are ignored (Dovecot's rule); what we use is
 * checked, since the Maildir path decides which files the session
 * opens. */

#define FIELDS_MAX 16

static int proto (void)
{
  errno = EPROTO ;
  return 0 ;
}

static int printable (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (c < 0x20 || c == 0x7f) return 0 ;
  }
  return 1 ;
}

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

static int scan_quota (char const *s, size_t len, uint64_t *q)
{
  uint64_t v = 0 ;
  if (!len || len > 20) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned int d ;
    if (s[i] < '0' || s[i] > '9') return 0 ;
    d = s[i] - '0' ;
    if (v > (UINT64_MAX - d) / 10) return 0 ;
    v = v * 10 + d ;
  }
  *q = v ;
  return 1 ;
}

#define PARAM(i, name) (flen[i] >= sizeof(name) - 1 && !memcmp(f[i], name, sizeof(name) - 1))

int authmaster_reply_parse (char const *line, size_t len, uint32_t id, authmaster_user *u)
{
  char const *f[FIELDS_MAX] ;
  size_t flen[FIELDS_MAX] ;
  unsigned int n = 0 ;
  size_t start = 0 ;
  u->user[0] = u->maildir[0] = u->reason[0] = 0 ;
  u->quota = 0 ;
  u->temp = 0 ;
  if (memchr(line, 0, len)) return proto() ;
  for (;;)
  {
    char const *tab = memchr(line + start, '\t', len - start) ;
    size_t end = tab ? (size_t)(tab - line) : len ;
    if (n >= FIELDS_MAX) return proto() ;
    f[n] = line + start ;
    flen[n++] = end - start ;
    if (!tab) break ;
    start = end + 1 ;
  }
  if (n < 2 || !is_id(f[1], flen[1], id)) return proto() ;
  if (flen[0] == 4 && !memcmp(f[0], "USER", 4))
  {
    int have_maildir = 0, have_quota = 0 ;
    if (n < 4 || !flen[2] || flen[2] > AUTHMASTER_USER_MAX || !printable(f[2], flen[2])) return proto() ;
    memcpy(u->user, f[2], flen[2]) ;
    u->user[flen[2]] = 0 ;
    for (unsigned int i = 3 ; i < n ; i++)
    {
      if (PARAM(i, "maildir="))
      {
        size_t m = flen[i] - 8 ;
        if (have_maildir || m > AUTHMASTER_MAILDIR_MAX || !maildir_path_valid(f[i] + 8, m)) return proto() ;
        memcpy(u->maildir, f[i] + 8, m) ;
        u->maildir[m] = 0 ;
        have_maildir = 1 ;
      }
      else if (PARAM(i, "quota="))
      {
        if (have_quota || !scan_quota(f[i] + 6, flen[i] - 6, &u->quota)) return proto() ;
        have_quota = 1 ;
      }
    }
    if (!have_maildir) return proto() ;
    return AUTHMASTER_USER ;
  }
  if (flen[0] == 4 && !memcmp(f[0], "FAIL", 4))
  {
    for (unsigned int i = 2 ; i < n ; i++)
    {
      if (flen[i] == 4 && !memcmp(f[i], "temp", 4)) u->temp = 1 ;
      else if (PARAM(i, "reason="))
      {
        size_t m = flen[i] - 7 ;
        if (m > AUTHMASTER_REASON_MAX) m = AUTHMASTER_REASON_MAX ;
        if (!printable(f[i] + 7, m)) return proto() ;
        memcpy(u->reason, f[i] + 7, m) ;
        u->reason[m] = 0 ;
      }
    }
    return AUTHMASTER_FAIL ;
  }
  return proto() ;
}
