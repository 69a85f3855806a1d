/* ISC license. */

#ifndef POSTHASTE_CDBMAP_H
#define POSTHASTE_CDBMAP_H

/* A cdb file that may be replaced (rename) at any time by mailctl.
 * cdbmap_find() re-maps the file when its inode changed, so a daemon picks
 * up a new map without restarting. A missing file is an empty map.
 * Uses skalibs' cdb API only (never tinycdb's libcdb: the symbols clash). */

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/cdb.h>

typedef struct cdbmap_s cdbmap, *cdbmap_ref ;
struct cdbmap_s
{
  cdb c ;
  char const *path ;   /* not copied: must outlive the map */
  dev_t dev ;
  ino_t ino ;
  int present ;        /* the file existed at the last (re)map */
} ;
#define CDBMAP_ZERO { .c = CDB_ZERO, .path = 0, .dev = 0, .ino = 0, .present = 0 }

/* Returns 1, or 0 with errno on a real error (not ENOENT). */
extern int cdbmap_open (cdbmap *, char const *path) ;
/* Re-maps if the file was replaced. Returns 1, or 0 with errno. */
extern int cdbmap_refresh (cdbmap *) ;
/* Refreshes, then looks key up. Returns 1 found (*data valid until the
 * next refresh), 0 not found, -1 error (errno). */
extern int cdbmap_find (cdbmap *, char const *key, size_t keylen, cdb_data *data) ;
extern void cdbmap_close (cdbmap *) ;

#endif
