/* ISC license. */

#include <errno.h>
#include <string.h>
#include <regex.h>

#include <skalibs/stralloc.h>

#include "common/regexpmap.h"

/* regexp_table(5) and Postfix's dict_regexp.c for the facts: the
 * delimiter, the toggled flags, the substitution forms and the check that
 * every $n names a sub-expression of the pattern. */

static int is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' ;
}

static int is_alnum (char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ;
}

/* Checks the $ forms of a result; *maxref gets the highest $n used. */
static int result_valid (char const *s, size_t len, unsigned int *maxref, char const **why)
{
  *maxref = 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned int n ;
    if (!s[i]) { *why = "NUL byte in result" ; return 0 ; }
    if (s[i] != '$') continue ;
    if (++i >= len) { *why = "'$' at the end of the result" ; return 0 ; }
    if (s[i] == '$') continue ;
    if (s[i] == '{' || s[i] == '(')
    {
      char close = s[i] == '{' ? '}' : ')' ;
      if (i + 2 >= len || s[i+1] < '1' || s[i+1] > '9' || s[i+2] != close)
      { *why = "bad ${n} in result: n is one digit, 1 to 9" ; return 0 ; }
      n = s[i+1] - '0' ;
      i += 2 ;
    }
    else if (s[i] >= '1' && s[i] <= '9') n = s[i] - '0' ;
    else { *why = "'$' must be followed by a digit 1 to 9, {n}, (n) or '$'" ; return 0 ; }
    if (n > *maxref) *maxref = n ;
  }
  return 1 ;
}

/* glibc's regcomp expands every repetition by copying the tree it
 * repeats, so stacked or nested repetitions ("a++++…", "((a+)+)+", a
 * large {m,n}) cost memory exponential in the pattern: a line of the
 * admin's regexp table must not be able to exhaust the memory of every
 * smtpd that reads the map. POSIX leaves adjacent duplication symbols
 * undefined anyway; bounds are RE_DUP_MAX-like but smaller. */
#define REGEXPMAP_REPEAT_MAX 32     /* repetition operators in one pattern */
#define REGEXPMAP_BOUND_MAX 100     /* largest m or n in {m,n} */
#define REGEXPMAP_GROUP_REPEAT_MAX 8 /* repeated groups, "(...)+" */

static int pattern_tame (char const *p, char const **why)
{
  unsigned int ops = 0, group_ops = 0 ;
  int prev_op = 0 ;
  for (size_t i = 0 ; p[i] ; i++)
  {
    char c = p[i] ;
    int op = 0 ;
    if (c == '\\')
    {
      if (!p[i+1]) break ;
      i++ ;
      c = p[i] ;
      /* BRE spellings of the repetitions */
      if (c == '{' || c == '+' || c == '?') op = 1 ;
      else { prev_op = 0 ; continue ; }
    }
    else if (c == '*' || c == '+' || c == '?' || c == '{') op = 1 ;
    if (!op) { prev_op = 0 ; continue ; }
    if (prev_op) { *why = "two repetition operators in a row in the pattern" ; return 0 ; }
    if (++ops > REGEXPMAP_REPEAT_MAX) { *why = "too many repetition operators in the pattern" ; return 0 ; }
    /* a repeated group copies everything inside it, repetitions included */
    if (i && (p[i-1] == ')' || (c != p[i-1] && i >= 2 && p[i-2] == ')')) && ++group_ops > REGEXPMAP_GROUP_REPEAT_MAX)
    { *why = "too many repeated groups in the pattern" ; return 0 ; }
    if (c == '{' && (!i || p[i-1] != '\\'))
    {
      unsigned int v = 0 ;
      size_t open = i ;
      for (i++ ; p[i] && p[i] != '}' ; i++)
      {
        if (p[i] >= '0' && p[i] <= '9')
        {
          v = v * 10 + (unsigned int)(p[i] - '0') ;
          if (v > REGEXPMAP_BOUND_MAX) { *why = "a repetition bound over 100 in the pattern" ; return 0 ; }
        }
        else v = 0 ;
      }
      if (!p[i]) i = open ;   /* no bound after all: go on after the brace */
    }
    prev_op = 1 ;
  }
  return 1 ;
}

int regexpmap_parse_rule (char const *s, size_t len, regexprule *rule, stralloc *storage, char const **why)
{
  char pat[REGEXPMAP_LINE_MAX + 1] ;
  size_t i = 0, pstart, pend, rstart ;
  int cflags = REG_EXTENDED | REG_ICASE ;
  unsigned int maxref ;
  char delim ;
  int negate = 0 ;
  while (len && is_space(s[len - 1])) len-- ;
  while (i < len && is_space(s[i])) i++ ;
  if (len - i > REGEXPMAP_LINE_MAX) { *why = "rule too long" ; return 0 ; }
  if (i < len && s[i] == '!') { negate = 1 ; i++ ; }
  if (len - i >= 2 && !memcmp(s + i, "if", 2) && (len - i == 2 || is_space(s[i+2]) || !is_alnum(s[i+2])))
  { *why = "if/endif blocks are not supported" ; return 0 ; }
  if (len - i >= 5 && !memcmp(s + i, "endif", 5)) { *why = "if/endif blocks are not supported" ; return 0 ; }
  if (i >= len || is_alnum(s[i]) || is_space(s[i]) || s[i] == '\\')
  { *why = "a rule starts with a delimited pattern (/pattern/)" ; return 0 ; }
  delim = s[i++] ;
  pstart = i ;
  for (; i < len ; i++)
  {
    if (s[i] == '\\') { if (i + 1 < len) i++ ; continue ; }
    if (s[i] == delim) break ;
  }
  if (i >= len) { *why = "the pattern has no closing delimiter" ; return 0 ; }
  pend = i++ ;
  for (; i < len && !is_space(s[i]) ; i++)
  {
    switch (s[i])
    {
      case 'i' : cflags ^= REG_ICASE ; break ;
      case 'x' : cflags ^= REG_EXTENDED ; break ;
      case 'm' : cflags ^= REG_NEWLINE ; break ;
      default : *why = "unknown flag after the pattern (i, m, x)" ; return 0 ;
    }
  }
  while (i < len && is_space(s[i])) i++ ;
  rstart = i ;
  if (rstart == len) { *why = "no result after the pattern" ; return 0 ; }
  if (!result_valid(s + rstart, len - rstart, &maxref, why)) return 0 ;
  if (negate && maxref) { *why = "$n substitution in a negated (!) rule" ; return 0 ; }
  if (memchr(s + pstart, 0, pend - pstart)) { *why = "NUL byte in pattern" ; return 0 ; }
  memcpy(pat, s + pstart, pend - pstart) ;
  pat[pend - pstart] = 0 ;
  if (!pattern_tame(pat, why)) return 0 ;
  if (regcomp(&rule->re, pat, cflags)) { *why = "the pattern is not a valid regular expression" ; return 0 ; }
  if (maxref > rule->re.re_nsub)
  {
    regfree(&rule->re) ;
    *why = "$n in the result names a sub-expression the pattern does not have" ;
    return 0 ;
  }
  rule->negate = negate ;
  rule->result = storage->len ;
  if (!stralloc_catb(storage, s + rstart, len - rstart) || !stralloc_0(storage))
  {
    int e = errno ;
    regfree(&rule->re) ;
    errno = e ;
    return -1 ;
  }
  return 1 ;
}
