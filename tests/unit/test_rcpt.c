/* ISC license. */

/* Unit tests for common/rcpt: the five rules of docs/internals.md on
 * real cdb files written with skalibs' cdbmake in a temporary dir. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/cdbmake.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/rcpt.h"
#include "tests/unit/check.h"

static char dir[256] ;

typedef struct kv_s { char const *k ; char const *v ; size_t vlen ; } kv ;

/* Values are given with their exact length, so "\0" separators and
 * missing final NULs can be written. */
#define KV(k, v) { k, v, sizeof(v) - 1 }

static int write_cdb (char const *name, kv const *list, size_t n)
{
  char path[512], tmp[512] ;
  cdbmaker c = CDBMAKER_ZERO ;
  int fd ;
  snprintf(path, sizeof(path), "%s/%s", dir, name) ;
  snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name) ;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644) ;
  if (fd < 0 || !cdbmake_start(&c, fd)) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
    if (!cdbmake_add(&c, list[i].k, strlen(list[i].k), list[i].v, list[i].vlen)) return 0 ;
  if (!cdbmake_finish(&c)) return 0 ;
  close(fd) ;
  return !rename(tmp, path) ;
}

static kv const domains[] =
{
  KV("example.test", ""), KV("other.test", ""), KV("third.test", "")
} ;

static kv const users[] =
{
  KV("alice@example.test", "maildir=example.test/alice\0"),
  KV("bob@example.test", "quota=1000\0maildir=example.test/bob\0"),
  KV("carol@other.test", "maildir=other.test/carol\0"),
  KV("evil1@example.test", "maildir=../../etc\0"),
  KV("evil2@example.test", "maildir=/var/mail/x\0"),
  KV("evil3@example.test", "maildir=example.test//x\0"),
  KV("evil4@example.test", "maildir=example.test/../x\0"),
  KV("nomaildir@example.test", "quota=5\0"),
  KV("nonul@example.test", "maildir=example.test/nonul"),
  KV("first+last@example.test", "maildir=example.test/first+last\0"),
  KV("dash-name@example.test", "maildir=example.test/dash-name\0"),
  KV("alice+own@example.test", "maildir=example.test/alice-own\0"),
} ;

static char many[1100 * 24] ;
static size_t manylen ;

static kv aliases[64] ;
static size_t naliases ;

static void add_alias (char const *k, char const *v, size_t vlen)
{
  aliases[naliases].k = k ;
  aliases[naliases].v = v ;
  aliases[naliases].vlen = vlen ;
  naliases++ ;
}
#define ALIAS(k, v) add_alias(k, v, sizeof(v) - 1)

static void build_aliases (void)
{
  char const *chain[] = { "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11" } ;
  static char keys[12][64], vals[12][64] ;
  ALIAS("info@example.test", "alice@example.test\0bob@example.test\0") ;
  ALIAS("alice+special@example.test", "carol@other.test\0") ;
  ALIAS("bob@example.test", "bob@example.test\0ext@remote.test\0") ;
  ALIAS("loop1@example.test", "loop2@example.test\0") ;
  ALIAS("loop2@example.test", "loop1@example.test\0") ;
  ALIAS("@other.test", "alice@example.test\0") ;
  ALIAS("@third.test", "x@third.test\0") ;
  ALIAS("dup@example.test", "alice@example.test\0info@example.test\0") ;
  ALIAS("fwd@example.test", "someone@remote.test\0someone@remote.test\0") ;
  ALIAS("ghost@example.test", "nobody@example.test\0") ;
  ALIAS("half@example.test", "nobody@example.test\0alice@example.test\0") ;
  ALIAS("badtarget@example.test", "noat\0") ;
  ALIAS("nonul@example.test", "alice@example.test") ;
  ALIAS("sales@example.test", "alice@example.test\0ext@remote.test\0") ;
  ALIAS("team@example.test", "bob+team@example.test\0") ;
  ALIAS("empty@example.test", "") ;
   /* c0 -> c1 -> ... -> c11 -> alice: 12 levels; c2 is 10 from alice */
  for (unsigned int i = 0 ; i < 12 ; i++)
  {
    snprintf(keys[i], sizeof(keys[i]), "%s@example.test", chain[i]) ;
    if (i < 11) snprintf(vals[i], sizeof(vals[i]), "%s@example.test", chain[i + 1]) ;
    else snprintf(vals[i], sizeof(vals[i]), "alice@example.test") ;
    add_alias(keys[i], vals[i], strlen(vals[i]) + 1) ;
  }
  manylen = 0 ;
  for (unsigned int i = 0 ; i <= RCPT_DESTS_MAX ; i++)
    manylen += snprintf(many + manylen, sizeof(many) - manylen, "r%u@remote.test", i) + 1 ;
  add_alias("many@example.test", many, manylen) ;
}

static rcptmaps maps = RCPTMAPS_ZERO ;
static genalloc dests = GENALLOC_ZERO ;
static stralloc storage = STRALLOC_ZERO ;
static stralloc unknown = STRALLOC_ZERO ;

static int expand (char const *key)
{
  genalloc_setlen(rcptdest, &dests, 0) ;
  storage.len = 0 ;
  unknown.len = 0 ;
  return rcpt_expand_report(&maps, key, strlen(key), &dests, &storage, &unknown) ;
}

/* Is there a destination with this kind, address, maildir and folder? */
static int has (int kind, char const *addr, char const *maildir, char const *folder)
{
  rcptdest const *d = genalloc_s(rcptdest, &dests) ;
  for (size_t i = 0 ; i < genalloc_len(rcptdest, &dests) ; i++)
    if (d[i].kind == kind && !strcmp(storage.s + d[i].addr, addr)
     && (kind == RCPT_REMOTE || (!strcmp(storage.s + d[i].maildir, maildir) && !strcmp(storage.s + d[i].folder, folder))))
      return 1 ;
  return 0 ;
}

static int classify (char const *key)
{
  return rcpt_classify(&maps, key, strlen(key)) ;
}

int main (void)
{
  char tmpl[] = "/tmp/test_rcpt.XXXXXX" ;
  int n ;
  if (!mkdtemp(tmpl)) { perror("mkdtemp") ; return 111 ; }
  snprintf(dir, sizeof(dir), "%s", tmpl) ;
  unsetenv("PH_RECIPIENT_DELIMITER") ;
  unsetenv("PH_ENVFILE") ;
  build_aliases() ;

   /* before any map exists: the daemons can start, but every lookup is
      a temporary error, never "remote" (relay denied) or "unknown" */
  CHECK(rcptmaps_open(&maps, dir), "open: missing cdb files do not stop a daemon") ;
  errno = 0 ;
  CHECK(classify("alice@example.test") == -1 && errno == ENOENT, "missing domains.cdb: local address -> -1 ENOENT") ;
  errno = 0 ;
  CHECK(classify("someone@remote.test") == -1 && errno == ENOENT, "missing domains.cdb: any address -> -1 ENOENT") ;
  errno = 0 ;
  CHECK(expand("alice@example.test") == -1 && errno == ENOENT && !genalloc_len(rcptdest, &dests), "missing domains.cdb: expand -> -1 ENOENT, nothing forwarded") ;

  if (!write_cdb("domains.cdb", domains, sizeof(domains) / sizeof(*domains)))
  {
    perror("cdbmake") ;
    return 111 ;
  }
  errno = 0 ;
  CHECK(classify("alice@example.test") == -1 && errno == ENOENT, "missing users.cdb: local address -> -1 ENOENT, not unknown") ;
  errno = 0 ;
  CHECK(expand("alice@example.test") == -1 && errno == ENOENT, "missing users.cdb: expand -> -1 ENOENT") ;
  CHECK(classify("someone@remote.test") == RCPT_REMOTE, "missing users.cdb: a foreign domain is still remote") ;

  if (!write_cdb("users.cdb", users, sizeof(users) / sizeof(*users)))
  {
    perror("cdbmake") ;
    return 111 ;
  }
  n = expand("alice@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice@example.test", "example.test/alice", ""), "missing aliases.cdb: no aliases, accounts resolve") ;
  CHECK(classify("nobody@example.test") == RCPT_UNKNOWN, "missing aliases.cdb: unknown user is unknown") ;

  if (!write_cdb("aliases.cdb", aliases, naliases))
  {
    perror("cdbmake") ;
    return 111 ;
  }

   /* rule 1 */
  CHECK(classify("someone@remote.test") == RCPT_REMOTE, "rule 1: foreign domain is remote") ;
  n = expand("someone@remote.test") ;
  CHECK(n == 1 && has(RCPT_REMOTE, "someone@remote.test", 0, 0), "rule 1: expands to one remote destination") ;
  CHECK(classify("alice@example.test") == RCPT_LOCAL, "maps replaced by rename are picked up") ;

   /* rule 3 */
  n = expand("alice@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice@example.test", "example.test/alice", ""), "rule 3: account -> its Maildir, INBOX") ;
  n = expand("alice+work@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice+work@example.test", "example.test/alice", "work"), "rule 3: +tag stripped, tag is the folder, address kept") ;
  n = expand("alice+@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice+@example.test", "example.test/alice", ""), "rule 3: empty tag -> INBOX") ;
  n = expand("+alice@example.test") ;
  CHECK(n == 0, "rule 3: a leading delimiter is no tag") ;
  n = expand("\"alice+x\"@example.test") ;
  CHECK(n == 0, "rule 3: a quoted local part is not split") ;
  n = expand("carol@other.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "carol@other.test", "other.test/carol", ""), "rule 3: account beats catch-all") ;
  n = expand("bob+x@example.test") ;
  CHECK(n == 2, "rule 3: fields before maildir= are skipped") ;
  n = expand("first+last@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "first+last@example.test", "example.test/first+last", ""), "rule 3: an account with the delimiter in its name is found (full address first)") ;
  CHECK(classify("first+last@example.test") == RCPT_LOCAL, "rule 3: classify accepts an account with the delimiter in its name") ;
  n = expand("alice+own@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice+own@example.test", "example.test/alice-own", ""), "rule 3: the full address beats the tag-stripped one") ;
  n = expand("alice+other@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice+other@example.test", "example.test/alice", "other"), "rule 3: else the tag-stripped address, tag kept") ;

   /* rule 2 */
  n = expand("info@example.test") ;
  CHECK(n == 3 && has(RCPT_LOCAL, "alice@example.test", "example.test/alice", "") && has(RCPT_LOCAL, "bob@example.test", "example.test/bob", "") && has(RCPT_REMOTE, "ext@remote.test", 0, 0), "rule 2: alias -> each target, resolved again (bob is an alias too)") ;
  n = expand("alice+special@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "carol@other.test", "other.test/carol", ""), "rule 2: exact alias with +tag beats the account") ;
  n = expand("bob@example.test") ;
  CHECK(n == 2 && has(RCPT_LOCAL, "bob@example.test", "example.test/bob", "") && has(RCPT_REMOTE, "ext@remote.test", 0, 0), "rule 2: self-reference keeps a copy, remote target forwarded") ;
  n = expand("sales+news@example.test") ;
  CHECK(n == 2 && has(RCPT_LOCAL, "alice+news@example.test", "example.test/alice", "news") && has(RCPT_REMOTE, "ext+news@remote.test", 0, 0), "rule 2: unmatched +tag propagated to targets") ;
  n = expand("team+x@example.test") ;
  CHECK(n == 2 && has(RCPT_LOCAL, "bob+team@example.test", "example.test/bob", "team") && has(RCPT_REMOTE, "ext+team@remote.test", 0, 0), "rule 2: tagged targets keep their own tag (then bob's alias propagates it)") ;
  n = expand("dup@example.test") ;
  CHECK(n == 3 && has(RCPT_LOCAL, "alice@example.test", "example.test/alice", ""), "rule 2: duplicate destinations removed (alice, bob, ext once each)") ;
  n = expand("fwd@example.test") ;
  CHECK(n == 1 && has(RCPT_REMOTE, "someone@remote.test", 0, 0), "rule 2: duplicate remote targets removed") ;
  n = expand("c2@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice@example.test", "example.test/alice", ""), "depth: 10 levels of aliases resolve") ;
  errno = 0 ;
  n = expand("c0@example.test") ;
  CHECK(n == -1 && errno == ELOOP && !genalloc_len(rcptdest, &dests) && !storage.len, "depth: 12 levels -> ELOOP, nothing appended") ;
  errno = 0 ;
  n = expand("loop1@example.test") ;
  CHECK(n == -1 && errno == ELOOP, "loop: a -> b -> a with no account -> ELOOP") ;
  CHECK(classify("loop1@example.test") == -1 && errno == ELOOP, "loop: classify reports the error (4xx)") ;
  errno = 0 ;
  n = expand("many@example.test") ;
  CHECK(n == -1 && errno == E2BIG, "limit: more than RCPT_DESTS_MAX destinations -> E2BIG") ;

   /* rule 4 */
  n = expand("anyone@other.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice@example.test", "example.test/alice", ""), "rule 4: catch-all -> its targets") ;
  n = expand("anyone+tag@other.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice@example.test", "example.test/alice", ""), "rule 4: catch-all targets used as they are") ;
  errno = 0 ;
  n = expand("y@third.test") ;
  CHECK(n == -1 && errno == ELOOP, "rule 4: catch-all pointing into itself -> ELOOP") ;

   /* rule 5 */
  n = expand("nobody@example.test") ;
  CHECK(n == 0 && !unknown.len, "rule 5: unknown user -> 0") ;
  CHECK(classify("nobody@example.test") == RCPT_UNKNOWN, "rule 5: classify says unknown") ;
  n = expand("ghost@example.test") ;
  CHECK(n == 0 && unknown.len == 20 && !strcmp(unknown.s, "nobody@example.test"), "rule 5: alias to unknown -> 0, unknown target reported") ;
  CHECK(classify("ghost@example.test") == RCPT_UNKNOWN, "rule 5: alias to nothing is refused at RCPT") ;
  n = expand("half@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice@example.test", "example.test/alice", "") && !strcmp(unknown.s, "nobody@example.test"), "rule 5: unknown targets dropped, others kept") ;
  n = expand("empty@example.test") ;
  CHECK(n == 0, "rule 5: alias with no targets -> unknown") ;
  CHECK(classify("info@example.test") == RCPT_LOCAL && classify("fwd@example.test") == RCPT_LOCAL, "classify: aliases (local or forwarding) are local") ;

   /* corrupt maps */
  errno = 0 ;
  CHECK(expand("evil1@example.test") == -1 && errno == EINVAL, "escape: maildir=../../etc refused") ;
  errno = 0 ;
  CHECK(expand("evil2@example.test") == -1 && errno == EINVAL, "escape: absolute maildir refused") ;
  errno = 0 ;
  CHECK(expand("evil3@example.test") == -1 && errno == EINVAL, "escape: empty path component refused") ;
  errno = 0 ;
  CHECK(expand("evil4@example.test") == -1 && errno == EINVAL, "escape: .. inside the path refused") ;
  errno = 0 ;
  CHECK(expand("nomaildir@example.test") == -1 && errno == EINVAL, "corrupt: account without maildir= refused") ;
  errno = 0 ;
  CHECK(expand("nonul@example.test") == -1 && errno == EINVAL, "corrupt: alias value without final NUL refused") ;
  errno = 0 ;
  CHECK(expand("badtarget@example.test") == -1 && errno == EINVAL, "corrupt: alias target without @ refused") ;

   /* recipient delimiter setting */
  setenv("PH_RECIPIENT_DELIMITER", "+-", 1) ;
  n = expand("alice-foo@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "alice-foo@example.test", "example.test/alice", "foo"), "delimiter: PH_RECIPIENT_DELIMITER=+- splits at '-'") ;
  n = expand("dash-name@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "dash-name@example.test", "example.test/dash-name", ""), "delimiter: +- and an account named dash-name: full address first") ;
  n = expand("first+last@example.test") ;
  CHECK(n == 1 && has(RCPT_LOCAL, "first+last@example.test", "example.test/first+last", ""), "delimiter: +- and an account named first+last") ;
  n = expand("dash-name+x@example.test") ;
  CHECK(n == 0, "delimiter: +- splits at the first delimiter (dash), as Postfix") ;
  unsetenv("PH_RECIPIENT_DELIMITER") ;
  CHECK(expand("alice-foo@example.test") == 0, "delimiter: default is '+' only") ;

   /* appending: records go after the caller's */
  {
    genalloc_setlen(rcptdest, &dests, 0) ;
    storage.len = 0 ;
    n = rcpt_expand(&maps, "alice@example.test", 18, &dests, &storage) ;
    n += rcpt_expand(&maps, "alice@example.test", 18, &dests, &storage) ;
    CHECK(n == 2 && genalloc_len(rcptdest, &dests) == 2, "append: dedupe is per call, records appended") ;
  }

   /* a lookup error is -1, not unknown */
  {
    char path[512] ;
    snprintf(path, sizeof(path), "%s/users.cdb", dir) ;
    unlink(path) ;
    mkdir(path, 0700) ;
    n = expand("alice@example.test") ;
    CHECK(n == -1, "error: unreadable users.cdb -> -1 (temporary)") ;
    CHECK(classify("alice@example.test") == -1, "error: classify -> -1") ;
    rmdir(path) ;
    errno = 0 ;
    CHECK(classify("alice@example.test") == -1 && errno == ENOENT, "error: users.cdb removed -> -1 ENOENT, not unknown") ;
    snprintf(path, sizeof(path), "%s/domains.cdb", dir) ;
    unlink(path) ;
    errno = 0 ;
    CHECK(classify("someone@remote.test") == -1 && errno == ENOENT, "error: domains.cdb removed -> -1 ENOENT, not remote") ;
    snprintf(path, sizeof(path), "%s/aliases.cdb", dir) ;
    unlink(path) ;
    if (!write_cdb("domains.cdb", domains, sizeof(domains) / sizeof(*domains))
     || !write_cdb("users.cdb", users, sizeof(users) / sizeof(*users))) { perror("cdbmake") ; return 111 ; }
    CHECK(classify("alice@example.test") == RCPT_LOCAL && classify("info@example.test") == RCPT_UNKNOWN, "aliases.cdb removed: no aliases, accounts still local") ;
  }

  rcptmaps_close(&maps) ;
  {
    char cmd[512] ;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl) ;
    if (system(cmd)) {}
  }
  genalloc_free(rcptdest, &dests) ;
  stralloc_free(&storage) ;
  stralloc_free(&unknown) ;
  return check_done() ;
}
