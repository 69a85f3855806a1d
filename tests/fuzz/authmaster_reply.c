/* ISC license. */

/* libFuzzer harness for common/authmaster's reply parser: what authd -m
 * (semi-trusted) answers a session spawner. Checks, beyond "no crash":
 * a USER answer has a non-empty printable user and a Maildir path that
 * maildir_path_valid accepts (the session opens it under PH_MAILROOT),
 * and every text is NUL-terminated within its bound. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/maildir.h"
#include "common/authmaster.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  authmaster_user u ;
  int r = authmaster_reply_parse((char const *)data, size, 1, &u) ;
  if (!r) return 0 ;
  if (strlen(u.user) > AUTHMASTER_USER_MAX || strlen(u.maildir) > AUTHMASTER_MAILDIR_MAX || strlen(u.reason) > AUTHMASTER_REASON_MAX) abort() ;
  if (r == AUTHMASTER_USER)
  {
    size_t n = strlen(u.user) ;
    if (!n || !maildir_path_valid(u.maildir, strlen(u.maildir))) abort() ;
    for (size_t i = 0 ; i < n ; i++) if ((unsigned char)u.user[i] < 0x20 || u.user[i] == 0x7f) abort() ;
  }
  else if (r != AUTHMASTER_FAIL) abort() ;
  return 0 ;
}
