/* ISC license. */

#include <sys/mman.h>

#include "common/bayes.h"

void bayes_db_close (bayes_db *db)
{
  if (db->map) munmap(db->map, db->maplen) ;
  *db = (bayes_db)BAYES_DB_ZERO ;
}
