/* ISC license. */

/* common/authmaster's reply parser: what a session spawner accepts from
 * authd -m (authd/README.md, "auth-master.sock"). The round trip against
 * the real authd -m is in tests/integration/test_imap_login.py. */

#include <errno.h>
#include <string.h>

#include "common/authmaster.h"
#include "tests/unit/check.h"

static authmaster_user u ;

static int parse (char const *s, uint32_t id)
{
  return authmaster_reply_parse(s, strlen(s), id, &u) ;
}

int main (void)
{
  CHECK(parse("USER\t1\tdemo@example.test\tmaildir=example.test/demo", 1) == AUTHMASTER_USER
        && !strcmp(u.user, "demo@example.test") && !strcmp(u.maildir, "example.test/demo") && !u.quota, "user_plain") ;
  CHECK(parse("USER\t1\ta@b\tmaildir=b/a\tquota=1048576\tfuture=1", 1) == AUTHMASTER_USER && u.quota == 1048576, "user_quota_unknown_ignored") ;
  CHECK(!parse("USER\t2\ta@b\tmaildir=b/a", 1) && errno == EPROTO, "wrong_id") ;
  CHECK(!parse("USER\t1\ta@b", 1) && errno == EPROTO, "user_without_maildir") ;
  CHECK(!parse("USER\t1\ta@b\tmaildir=../etc", 1), "maildir_escape_refused") ;
  CHECK(!parse("USER\t1\ta@b\tmaildir=/etc", 1), "maildir_absolute_refused") ;
  CHECK(!parse("USER\t1\ta@b\tmaildir=b/a\tmaildir=c/d", 1), "maildir_twice_refused") ;
  CHECK(!parse("USER\t1\ta@b\tmaildir=b/a\tquota=12x", 1), "quota_malformed_refused") ;
  CHECK(!parse("USER\t1\ta@b\tmaildir=b/a\tquota=99999999999999999999", 1), "quota_overflow_refused") ;
  CHECK(!parse("USER\t1\t\tmaildir=b/a", 1), "empty_user_refused") ;
  CHECK(parse("FAIL\t1\treason=ticket expired", 1) == AUTHMASTER_FAIL && !u.temp && !strcmp(u.reason, "ticket expired"), "fail") ;
  CHECK(parse("FAIL\t1\treason=user database unavailable\ttemp", 1) == AUTHMASTER_FAIL && u.temp, "fail_temp") ;
  CHECK(!parse("FAIL\t1\treason=a\x01" "b", 1), "fail_control_refused") ;
  CHECK(!parse("OK\t1\tuser=a@b", 1) && errno == EPROTO, "unknown_reply") ;
  CHECK(!authmaster_reply_parse("USER\t1\ta\0b\tmaildir=b/a", 22, 1, &u), "nul_refused") ;
  return check_done() ;
}
