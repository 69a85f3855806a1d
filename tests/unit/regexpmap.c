/* ISC license. */

/* common/regexpmap: Postfix regexp_table(5) rules as docker-mailserver's
 * postfix-regexp.cf holds them, and the map file re-read by inode. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/stralloc.h>

#include "common/regexpmap.h"
#include "tests/unit/check.h"

static int parses (char const *rule)
{
  stralloc st = STRALLOC_ZERO ;
  regexprule r ;
  char const *why ;
  int ok = regexpmap_parse_rule(rule, strlen(rule), &r, &st, &why) ;
  if (ok == 1) regfree(&r.re) ;
  stralloc_free(&st) ;
  return ok ;
}

static char const *dir ;

static void write_map (char const *name, char const *text)
{
  char tmp[512], path[512] ;
  FILE *f ;
  snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) ;
  snprintf(path, sizeof(path), "%s/%s", dir, name) ;
  f = fopen(tmp, "w") ;
  fputs(text, f) ;
  fclose(f) ;
  rename(tmp, path) ;
}

/* the result for key, or "" for no match, "!" for an error */
static char const *lookup (regexpmap *m, char const *key)
{
  static stralloc out = STRALLOC_ZERO ;
  int r ;
  out.len = 0 ;
  r = regexpmap_match(m, key, strlen(key), &out) ;
  return r < 0 ? "!" : r ? out.s : "" ;
}

int main (void)
{
  char tmpl[] = "/tmp/regexpmap.XXXXXX" ;
  char path[512] ;
  regexpmap m = REGEXPMAP_ZERO ;
  dir = mkdtemp(tmpl) ;
  if (!dir) return 111 ;
  snprintf(path, sizeof(path), "%s/regexp.map", dir) ;

  CHECK(parses("/^a@b\\.test$/ x@y.test") == 1, "parse: the usual form") ;
  /* patterns whose compilation would cost exponential memory in glibc */
  CHECK(parses("!/@ex\\++++++++++++++++++++++++++++++++.test$/i x@y.test") == 0, "parse: stacked repetitions refused") ;
  CHECK(parses("/(((((((((a+)+)+)+)+)+)+)+)+)+/ x@y.test") == 0, "parse: deeply repeated groups refused") ;
  CHECK(parses("/a{1,1000}/ x@y.test") == 0, "parse: a repetition bound over 100 refused") ;
  CHECK(parses("/^(a|b)+c{2,3}d*@x\\.test$/ x@y.test") == 1, "parse: ordinary repetitions accepted") ;
  CHECK(parses("  !/^a/  x@y.test  ") == 1, "parse: negated, blanks around") ;
  CHECK(parses("#^a#i x@y.test") == 1, "parse: another delimiter, a flag") ;
  CHECK(parses("/a\\/b/ x@y.test") == 1, "parse: an escaped delimiter stays in the pattern") ;
  CHECK(parses("/^(a)(b)$/ $1$2${2}$(1)$$@y.test") == 1, "parse: every substitution form") ;
  CHECK(parses("/^a$/") == 0, "parse: no result") ;
  CHECK(parses("/^a$ x@y.test") == 0, "parse: no closing delimiter") ;
  CHECK(parses("/^(a$/ x@y.test") == 0, "parse: a bad expression") ;
  CHECK(parses("/^a$/q x@y.test") == 0, "parse: an unknown flag") ;
  CHECK(parses("/^(a)$/ $2@y.test") == 0, "parse: $2 with one group") ;
  CHECK(parses("!/^(a)$/ $1@y.test") == 0, "parse: $1 in a negated rule") ;
  CHECK(parses("/^a$/ $x@y.test") == 0, "parse: $ then a letter") ;
  CHECK(parses("/^a$/ x@y.test$") == 0, "parse: $ at the end") ;
  CHECK(parses("if /^a/") == 0, "parse: if is refused, not misread") ;
  CHECK(parses("a@b x@y.test") == 0, "parse: an alphanumeric delimiter") ;

  CHECK(regexpmap_open(&m, path) == 1 && !m.present, "open: a missing file is an empty map") ;
  CHECK(!strcmp(lookup(&m, "a@b.test"), ""), "match: empty map, no match") ;
  write_map("regexp.map",
    "/^sales-[a-z]+@ex\\.test$/ desk@ex.test\n"
    "# a comment\n"
    "/^(.*)\\.(old)@ex\\.test$/ ${1}@new.test, $2-archive@ex.test\n"
    "/^CASE@ex\\.test$/i case@ex.test\n"
    "!/@ex\\.test$/ other@ex.test\n"
    "/^sales-north@ex\\.test$/ never@ex.test\n"
    "/^money@ex\\.test$/ $$@ex.test\n") ;
  CHECK(!strcmp(lookup(&m, "sales-north@ex.test"), "desk@ex.test"), "match: the first matching rule wins") ;
  CHECK(!strcmp(lookup(&m, "SALES-north@ex.test"), "desk@ex.test"), "match: case-insensitive by default") ;
  CHECK(!strcmp(lookup(&m, "case@ex.test"), ""), "match: the i flag makes it case-sensitive") ;
  CHECK(!strcmp(lookup(&m, "j.d.old@ex.test"), "j.d@new.test, old-archive@ex.test"), "match: $n substituted") ;
  CHECK(!strcmp(lookup(&m, "x@elsewhere.test"), "other@ex.test"), "match: a negated rule") ;
  CHECK(!strcmp(lookup(&m, "nobody@ex.test"), ""), "match: nothing matches") ;
  CHECK(!strcmp(lookup(&m, "money@ex.test"), "$@ex.test"), "match: $$ is one $") ;
  write_map("regexp.map", "/^n@ex\\.test$/ new@ex.test\n") ;
  CHECK(!strcmp(lookup(&m, "n@ex.test"), "new@ex.test") && !strcmp(lookup(&m, "sales-a@ex.test"), ""), "reload: a renamed-in file replaces the rules") ;
  write_map("regexp.map", "/^(n@ex\\.test$/ broken@ex.test\n") ;
  CHECK(!strcmp(lookup(&m, "n@ex.test"), "!"), "reload: a file that does not parse is a lookup error") ;
  write_map("regexp.map", "/^n@ex\\.test$/ again@ex.test\n") ;
  CHECK(!strcmp(lookup(&m, "n@ex.test"), "again@ex.test"), "reload: then a good file serves again") ;
  {
    char big[REGEXPMAP_RESULT_MAX + 64] ;
    char line[REGEXPMAP_RESULT_MAX + 200] ;
    memset(big, 'a', 300) ;
    big[300] = 0 ;
    snprintf(line, sizeof(line), "/^(.*)$/ $1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1@x\n") ;
    write_map("regexp.map", line) ;
    CHECK(!strcmp(lookup(&m, big), "!"), "match: an over-long result is an error, not an overflow") ;
  }
  {
    char p2[512] ;
    snprintf(p2, sizeof(p2), "%s/regexp.map", dir) ;
    unlink(p2) ;
    CHECK(!strcmp(lookup(&m, "n@ex.test"), ""), "reload: a removed file is an empty map") ;
  }
  regexpmap_close(&m) ;
  rmdir(dir) ;
  return check_done() ;
}
