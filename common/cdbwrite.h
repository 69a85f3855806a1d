/* ISC license. */

#ifndef POSTHASTE_CDBWRITE_H
#define POSTHASTE_CDBWRITE_H

/* Atomic cdb writer for the compiled maps (docs/internals.md, Compiled
 * maps): the records go to a temporary file in the same directory as the
 * target, which is then fsynced, given its owner and mode, renamed over
 * the target, and the directory fsynced. Readers (common/cdbmap.h) see
 * either the old map or the new one, never a partial file, and a crash
 * leaves at worst a stray "NAME.tmp.XXXXXX" that the next run ignores.
 * Uses skalibs' cdbmake only (never tinycdb: the symbols clash). */

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/cdbmake.h>
#include <skalibs/stralloc.h>

typedef struct cdbwrite_s cdbwrite, *cdbwrite_ref ;
struct cdbwrite_s
{
  cdbmaker maker ;
  int fd ;
  char const *path ;   /* not copied: must outlive the writer */
  stralloc tmp ;       /* the temporary file's name, NUL-terminated */
} ;
#define CDBWRITE_ZERO { .maker = CDBMAKER_ZERO, .fd = -1, .path = 0, .tmp = STRALLOC_ZERO }

/* Creates the temporary file (mode 0600, close-on-exec) next to path.
 * Returns 1, or 0 with errno. */
extern int cdbwrite_start (cdbwrite *, char const *path) ;

/* Adds one record. Returns 1, or 0 with errno (EOVERFLOW if a length
 * does not fit the cdb format). */
extern int cdbwrite_add (cdbwrite *, char const *key, size_t keylen, char const *data, size_t datalen) ;

/* Finishes the cdb, sets the owner (uid and gid, each (uid_t)-1 /
 * (gid_t)-1 to leave it) and the mode, fsyncs, renames over the target
 * and fsyncs the directory. Returns 1; or 0 with errno, after removing the
 * temporary file (the target is then untouched, unless only the final
 * directory fsync failed). */
extern int cdbwrite_finish (cdbwrite *, mode_t mode, uid_t uid, gid_t gid) ;

/* Gives up: closes and removes the temporary file. Safe to call on a
 * writer that was never started or already finished. */
extern void cdbwrite_abort (cdbwrite *) ;

/* fsyncs the directory that holds path (so a rename or link in it is
 * durable). Returns 1, or 0 with errno. */
extern int cdbwrite_dirsync (char const *path) ;

#endif
