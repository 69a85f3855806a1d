/* ISC license. */

#ifndef POSTHASTE_GREYLIST_INTERNAL_H
#define POSTHASTE_GREYLIST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/greylist.h"

#define GREYLIST_RECORD_MAX 64    /* bytes read of one record */
#define GREYLIST_PATH_MAX 4096

/* <dir>/<kind>/<h>/<hash> for key (kind 't' or 'c'); the subdirectory
 * made when mkdirs. Returns the length, 0 if it does not fit. */
extern size_t greylist_path (char *out, char const *dir, char kind, char const *key, size_t keylen) ;
/* Up to 3 decimal numbers of a record file; returns how many were
 * read, 0 if the file is missing, -1 on error (a malformed record is
 * missing: it is rewritten). */
extern int greylist_record_read (char const *path, uint64_t *v, unsigned int n) ;
/* Writes n numbers (path.<pid>.tmp, then rename); makes the
 * subdirectory when missing. Returns 1, 0 with errno. */
extern int greylist_record_write (char const *path, uint64_t const *v, unsigned int n) ;

#endif
