/* ISC license. */

#ifndef POSTHASTE_UCSPITLS_INTERNAL_H
#define POSTHASTE_UCSPITLS_INTERNAL_H

#include <stddef.h>

/* Reads SSLCTLFD, SSLREADFD and SSLWRITEFD: 1 if all three are set,
 * distinct, above 2 and open; 0 otherwise. */
extern int ucspitls_fds (int *ctl, int *rd, int *wr) ;

/* Copies value into out (max bytes plus the NUL) if it is printable
 * ASCII and fits. 1 or 0. */
extern int ucspitls_copy (char *out, size_t max, char const *value) ;

#endif
