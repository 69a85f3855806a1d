/* ISC license. */

#ifndef POSTHASTE_TESTS_CHECK_H
#define POSTHASTE_TESTS_CHECK_H

/* Tiny unit-test helpers: every case prints one line, PASS or FAIL, which
 * tests/run counts. Test programs may use stdio: they are not daemons. */

#include <stdio.h>

static unsigned int check_passed_ = 0 ;
static unsigned int check_failed_ = 0 ;

#define CHECK(cond, name) do { \
  if (cond) { check_passed_++ ; printf("PASS %s\n", (name)) ; } \
  else { check_failed_++ ; printf("FAIL %s: %s (%s:%d)\n", (name), #cond, __FILE__, __LINE__) ; } \
  fflush(stdout) ; \
} while (0)

static inline int check_done (void)
{
  printf("%u passed, %u failed\n", check_passed_, check_failed_) ;
  return check_failed_ ? 1 : 0 ;
}

#endif
