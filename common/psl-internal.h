/* ISC license. */

#ifndef POSTHASTE_PSL_INTERNAL_H
#define POSTHASTE_PSL_INTERNAL_H

/* The loaded list: every rule, normalized, NUL-terminated in one pool;
 * an index sorted by strcmp for bsearch. An exception rule keeps its
 * "!", a wildcard its "*." prefix. */

#include <stddef.h>

typedef struct psl_list_s psl_list ;
struct psl_list_s
{
  int loaded ;
  char *pool ;
  size_t poollen ;
  size_t *rule ;     /* offsets into pool, sorted */
  size_t n ;
} ;

extern psl_list psl_the_list ;
extern int psl_has (char const *s, size_t len) ;

#endif
