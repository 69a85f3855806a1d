/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>

#include "common/bayes.h"
#include "common/config.h"
#include "spam.h"

/* Where a user's Bayes database lives: <dir>/users/<file>.db, file
 * from bayes_user_file() of the address without its +tag (the tag
 * starts at the first PH_RECIPIENT_DELIMITER character of the local
 * part that is not its first, as in docs/internals.md): mail to
 * demo+lists@ and demo@ trains and uses demo@'s database. imapd names
 * the user by its login, the address of the account. */

int spam_user_db_path (stralloc *sa, char const *dir, char const *user)
{
  char addr[512] ;
  char file[1024] ;
  char const *delims = config_get_default("PH_RECIPIENT_DELIMITER", "+") ;
  char const *at = strrchr(user, '@') ;
  size_t n = strlen(user), local = at ? (size_t)(at - user) : n, tag = local ;
  if (!n || n >= sizeof(addr)) return 0 ;
  for (size_t i = 1 ; i < local ; i++) if (strchr(delims, user[i])) { tag = i ; break ; }
  memcpy(addr, user, tag) ;
  memcpy(addr + tag, user + local, n - local) ;
  addr[tag + n - local] = 0 ;
  if (!bayes_user_file(file, sizeof(file), addr)) return 0 ;
  sa->len = 0 ;
  return stralloc_cats(sa, dir) && stralloc_cats(sa, "/users/") && stralloc_cats(sa, file) && stralloc_cats(sa, ".db") && stralloc_0(sa) ;
}

int spam_global_db_path (stralloc *sa, char const *dir)
{
  sa->len = 0 ;
  return stralloc_cats(sa, dir) && stralloc_cats(sa, "/global.db") && stralloc_0(sa) ;
}
