/* ISC license. */

#include <stdint.h>

#include "pop3d/pop3_session.h"

/* Dovecot's default pop3_uidl_format is "%08Xu%08Xv" (doveconf -d of
 * Debian 12's Dovecot 2.3.19): the uidlist's UID and the folder's
 * UIDVALIDITY as eight hex digits each. Dovecot's %X expands in lower
 * case (its var_expand writes hex with lower-case digits, whatever the
 * letter's case; tests/integration/test_pop3_dovecot.py compares with
 * the real thing). Both numbers come from dovecot-uidlist, which
 * posthaste and Dovecot share, so a client that remembers UIDLs sees
 * the same ones after a migration either way. */

static void hex8 (char *out, uint32_t v)
{
  static char const digits[] = "0123456789abcdef" ;
  for (unsigned int i = 0 ; i < 8 ; i++) out[i] = digits[(v >> (28 - 4 * i)) & 15] ;
}

void pop3_uidl_fmt (char *out, uint32_t uid, uint32_t uidvalidity)
{
  hex8(out, uid) ;
  hex8(out + 8, uidvalidity) ;
}
