/* ISC license. */

#ifndef POSTHASTE_MAILDIRSIZE_INTERNAL_H
#define POSTHASTE_MAILDIRSIZE_INTERNAL_H

#include <stdint.h>
#include <time.h>

/* Walks cur/ and new/ of the Maildir at mdfd and of its folders, keeping
 * the latest directory mtime in *latest (which it only raises) and, if
 * sizes, adding the messages to *bytes and *count. 1, or 0 (errno). */
extern int maildirsize_scan_all (int mdfd, int sizes, uint64_t *bytes, uint64_t *count, struct timespec *latest) ;

#endif
