/* ISC license. */

/* access.cdb and bans.cdb values, and whole cdb files, are bytes from disk
 * that tcpd reads for every connection: no input may make the parsers
 * read outside the record, or the lookups crash on a corrupt file. */

#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

#include <skalibs/cdb.h>
#include <skalibs/ip46.h>

#include "common/accessrules.h"

static void check_rule (uint8_t const *data, size_t size)
{
  accessrule r = ACCESSRULE_ZERO ;
  char const *s = (char const *)data ;
  if (accessrules_parse(s, size, &r) != ACCESSRULES_ALLOW) return ;
  if (r.env < s + 3 || r.env + r.envlen > s + size) abort() ;
  if (r.exec < s + 5 || r.exec + r.execlen != s + size) abort() ;
  if (r.envlen && r.env[r.envlen - 1]) abort() ;
  if (memchr(r.exec, 0, r.execlen)) abort() ;
}

static void check_ban (uint8_t const *data, size_t size)
{
  uint64_t until ;
  if (bans_parse((char const *)data, size, &until) && !size) abort() ;
}

/* The input as a whole cdb file, looked up for a few addresses. */
static void check_cdb (uint8_t const *data, size_t size)
{
  static char const *const addrs[] = { "192.0.2.1", "0.0.0.0", "::1", "2001:db8::1" } ;
  cdb c = CDB_ZERO ;
  int fd ;
  if (size < 2048 || size > 1 << 20) return ;
  fd = memfd_create("fuzzcdb", MFD_CLOEXEC) ;
  if (fd < 0) return ;
  if (write(fd, data, size) == (ssize_t)size && cdb_init_fromfd(&c, fd))
  {
    for (size_t i = 0 ; i < sizeof(addrs) / sizeof(*addrs) ; i++)
    {
      ip46 ip ;
      accessrule r ;
      ban b ;
      if (!ip46_scan(addrs[i], &ip)) abort() ;
      accessrules_check(&c, &ip, &r) ;
      bans_check(&c, &ip, 1000, &b) ;
    }
    cdb_free(&c) ;
  }
  close(fd) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  check_rule(data, size) ;
  check_ban(data, size) ;
  check_cdb(data, size) ;
  return 0 ;
}
