/* ISC license. */

/* common/badcommand: the refused-command limit, tested against
 * common/badcommand.h with fd 2 captured and a datagram socket bound
 * where banwatch listens ($PH_RUN_DIR/banwatch.sock). */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <skalibs/strerr.h>

#include "common/badcommand.h"
#include "tests/unit/check.h"
#include "tests/unit/fixture/unit_capture.h"

static char tmpdir[64] ;
static int banfd = -1 ;

static unsigned int count_of (char const *s, char const *needle)
{
  unsigned int n = 0 ;
  for (char const *p = strstr(s, needle) ; p ; p = strstr(p + 1, needle)) n++ ;
  return n ;
}

int main (void)
{
  char log[8192], ban[1024], path[sizeof(((struct sockaddr_un *)0)->sun_path)] ;
  unsigned int count ;
  int r[8] ;
  PROG = "badcommand-test" ;
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/badcommand-unit.XXXXXX") ;
  if (!mkdtemp(tmpdir)) { perror("mkdtemp") ; return 111 ; }
  banfd = unit_banwatch_open(tmpdir) ;
  snprintf(path, sizeof(path), "%s/banwatch.sock", tmpdir) ;

  /* max 5, counting from what *count already holds */
  count = 2 ;
  unit_capture_start() ;
  r[0] = badcommand_count(&count, 5, "pop3", "198.51.100.4", "00000000deadbeef", "APOP") ;
  r[1] = badcommand_count(&count, 5, "pop3", "198.51.100.4", "00000000deadbeef", "") ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[0] == 0 && r[1] == 0 && count == 4, "below max: 0, *count incremented from its value") ;
  CHECK(strstr(log, "badcommand-test: event=bad_command ip=198.51.100.4 session=00000000deadbeef cmd=APOP count=3\n") != 0, "bad_command logged with ip= session= cmd= count=") ;
  CHECK(strstr(log, "event=bad_command ip=198.51.100.4 session=00000000deadbeef count=4\n") != 0, "an empty cmd is left out of the log line") ;
  CHECK(!strstr(log, "too_many_bad_commands") && unit_banwatch_drain(banfd, ban, sizeof(ban)) == 0, "below max: no too_many_bad_commands, no banwatch event") ;

  unit_capture_start() ;
  r[2] = badcommand_count(&count, 5, "pop3", "198.51.100.4", "00000000deadbeef", "X\"Y Z") ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[2] == 1 && count == 5, "at max: returns 1") ;
  CHECK(count_of(log, "\n") == 2 && strstr(log, "cmd=\"X\\\"Y Z\" count=5\n") && strstr(log, "event=too_many_bad_commands ip=198.51.100.4 session=00000000deadbeef\n"),
    "at max: the refusal and too_many_bad_commands logged") ;
  CHECK(unit_banwatch_drain(banfd, ban, sizeof(ban)) == 1 && !strcmp(ban, "event=bad_command ip=198.51.100.4 service=pop3\n"), "at max: one banwatch datagram, event=bad_command ip= service=") ;

  count = 0 ;
  unit_capture_start() ;
  r[3] = badcommand_count(&count, 1, 0, "2001:db8::7", "s", 0) ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[3] == 1 && count == 1 && strstr(log, "session=s count=1\n"), "max 1: the first refusal is the last, a null cmd left out") ;
  CHECK(unit_banwatch_drain(banfd, ban, sizeof(ban)) == 1 && !strcmp(ban, "event=bad_command ip=2001:db8::7\n"), "a null service: the event without service=") ;

  count = 1 ;
  unit_capture_start() ;
  r[4] = badcommand_count(&count, 2, "imap", "", "s", "A") ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[4] == 1 && strstr(log, "event=too_many_bad_commands ip=\"\" session=s\n") && unit_banwatch_drain(banfd, ban, sizeof(ban)) == 0, "an empty rip: still 1 and logged, no banwatch event") ;

  count = 1 ;
  unit_capture_start() ;
  r[5] = badcommand_count(&count, 2, "imap", 0, "s", "A") ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[5] == 1 && strstr(log, "event=too_many_bad_commands ip=\"\" session=s\n") && unit_banwatch_drain(banfd, ban, sizeof(ban)) == 0, "a null rip: still 1 and logged, no banwatch event") ;

  /* banwatch not there: the event is lost, the count is not */
  close(banfd) ;
  unlink(path) ;
  count = 0 ;
  unit_capture_start() ;
  r[6] = badcommand_count(&count, 1, "imap", "192.0.2.9", "s", "A") ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[6] == 1 && strstr(log, "too_many_bad_commands"), "no banwatch socket: still 1 and logged") ;
  unsetenv("PH_RUN_DIR") ;
  count = 0 ;
  unit_capture_start() ;
  r[7] = badcommand_count(&count, 1, "imap", "192.0.2.9", "s", "A") ;
  unit_capture_end(log, sizeof(log)) ;
  CHECK(r[7] == 1 && strstr(log, "too_many_bad_commands"), "no PH_RUN_DIR: still 1 and logged") ;

  rmdir(tmpdir) ;
  return check_done() ;
}
