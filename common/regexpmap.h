/* ISC license. */

#ifndef POSTHASTE_REGEXPMAP_H
#define POSTHASTE_REGEXPMAP_H

/* A Postfix regexp table (regexp_table(5)), as docker-mailserver's
 * postfix-regexp.cf holds one for virtual aliases. mailctl checks the
 * admin's file and writes a validated copy, $PH_CDB_DIR/regexp.map, one
 * rule per line; common/rcpt reads that copy at lookup time, re-reading
 * it when its inode changes (mailctl replaces it by rename), like cdbmap.
 *
 * Rules, as Postfix reads them:
 *   /pattern/flags result      the first rule whose POSIX extended
 *                              regular expression matches the whole
 *                              lookup key gives the result, with $1..$9
 *                              (also ${n}, $(n)) replaced by the
 *                              parenthesized sub-matches, $$ by '$'
 *   !/pattern/flags result     matches when the pattern does not; no $n
 * The delimiter is any character but an alphanumeric, white space or
 * '\\' ('/' by custom); inside the pattern a backslash escapes it. Flags
 * toggle: i (case-insensitive by default), x (extended syntax by default),
 * m (multi-line, off by default). '#' lines and blank lines are comments;
 * a line starting with white space continues the previous one (mailctl
 * joins them). Postfix's if/endif blocks are not supported. */

#include <stddef.h>
#include <sys/types.h>
#include <regex.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#define REGEXPMAP_LINE_MAX 4096      /* one rule */
#define REGEXPMAP_RULES_MAX 10000
#define REGEXPMAP_FILE_MAX (1024 * 1024)
#define REGEXPMAP_RESULT_MAX 4096    /* a result after substitution */

typedef struct regexprule_s regexprule, *regexprule_ref ;
struct regexprule_s
{
  regex_t re ;
  unsigned int negate : 1 ;
  size_t result ;       /* offset of the NUL-terminated result in the map's storage */
} ;

typedef struct regexpmap_s regexpmap, *regexpmap_ref ;
struct regexpmap_s
{
  char const *path ;    /* not copied: must outlive the map */
  dev_t dev ;
  ino_t ino ;
  off_t size ;
  int present ;
  stralloc storage ;
  genalloc rules ;      /* regexprule */
} ;
#define REGEXPMAP_ZERO { .path = 0, .dev = 0, .ino = 0, .size = 0, .present = 0, .storage = STRALLOC_ZERO, .rules = GENALLOC_ZERO }

/* Parses one logical rule s[0..len) (no LF; leading and trailing white
 * space allowed). Compiles its pattern into rule->re and appends its
 * result, NUL-terminated, to *storage (rule->result its offset).
 * Returns 1; 0 if the rule is unacceptable (*why says why; nothing to
 * free); -1 on a system error (errno). */
extern int regexpmap_parse_rule (char const *s, size_t len, regexprule *rule, stralloc *storage, char const **why) ;

/* Opens the map at path: a missing file is an empty map. Returns 1, or 0
 * with errno (EINVAL: a rule that does not parse); the map stays usable
 * (empty) and the next lookup retries. */
extern int regexpmap_open (regexpmap *, char const *path) ;
/* Re-reads the file if it was replaced. Returns 1, or 0 with errno; on an
 * error the old rules are kept. */
extern int regexpmap_refresh (regexpmap *) ;
extern void regexpmap_close (regexpmap *) ;

/* Refreshes, then finds the first rule that matches key[0..keylen) and
 * appends its substituted result, NUL-terminated, to *out. Returns 1
 * matched, 0 no rule matched, -1 error (errno; E2BIG: the result is
 * longer than REGEXPMAP_RESULT_MAX). */
extern int regexpmap_match (regexpmap *, char const *key, size_t keylen, stralloc *out) ;

#endif
