/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/maildir.h"
#include "common/mbox-internal.h"

 /* RFC 6154 special use. By name: the folders docker-mailserver's
    Dovecot configuration marks (Drafts, Junk, Trash, Sent, "Sent
    Messages"; common/maildir_folder_special_use.c keeps deliverd's "+tag"
    away from the same list) plus the names other clients create (Sent
    Items, Spam, Deleted Messages) and Archive. A folder made with
    CREATE-SPECIAL-USE (RFC 6154 §3) is recorded in the root file
    posthaste-special-use, one "<attribute> <folder>" line each
    ("\Sent Outbox"), which wins over the names; written through the
    dotlock posthaste-special-use.lock and a rename. */

#define USE_LOCK MBOX_SPECIAL_USE ".lock"

typedef struct use_s use ;
struct use_s
{
  char const *name ;
  unsigned int bit ;
} ;

static use const defaults[] =
{
  { "Drafts", MBOX_USE_DRAFTS },
  { "Sent", MBOX_USE_SENT },
  { "Sent Messages", MBOX_USE_SENT },
  { "Sent Items", MBOX_USE_SENT },
  { "Junk", MBOX_USE_JUNK },
  { "Spam", MBOX_USE_JUNK },
  { "Trash", MBOX_USE_TRASH },
  { "Deleted Messages", MBOX_USE_TRASH },
  { "Archive", MBOX_USE_ARCHIVE },
  { 0, 0 }
} ;

static use const attrs[] =
{
  { "\\All", MBOX_USE_ALL },
  { "\\Archive", MBOX_USE_ARCHIVE },
  { "\\Drafts", MBOX_USE_DRAFTS },
  { "\\Flagged", MBOX_USE_FLAGGED },
  { "\\Junk", MBOX_USE_JUNK },
  { "\\Sent", MBOX_USE_SENT },
  { "\\Trash", MBOX_USE_TRASH },
  { 0, 0 }
} ;

unsigned int mbox_use_default (char const *folder)
{
  size_t len = strlen(folder) ;
  for (unsigned int i = 0 ; defaults[i].name ; i++)
    if (strlen(defaults[i].name) == len && !case_diffb(folder, len, defaults[i].name)) return defaults[i].bit ;
  return 0 ;
}

 /* The configured use of folder in the file's text, or -1 if not listed. */
static int configured (char const *s, size_t len, char const *folder)
{
  size_t i = 0, flen = strlen(folder) ;
  while (i < len)
  {
    char const *nl = memchr(s + i, '\n', len - i) ;
    size_t end = nl ? (size_t)(nl - s) : len ;
    char const *sp = memchr(s + i, ' ', end - i) ;
    if (sp && (size_t)(end - (sp + 1 - s)) == flen && !memcmp(sp + 1, folder, flen))
    {
      size_t alen = sp - (s + i) ;
      for (unsigned int k = 0 ; attrs[k].name ; k++)
        if (strlen(attrs[k].name) == alen && !case_diffb(s + i, alen, attrs[k].name)) return (int)attrs[k].bit ;
      return 0 ;
    }
    i = end + 1 ;
  }
  return -1 ;
}

unsigned int mbox_folder_use (char const *root, char const *folder)
{
  stralloc sa = STRALLOC_ZERO ;
  int r = -1 ;
  int rootfd = mbox_open_root(root) ;
  if (rootfd >= 0)
  {
    if (mbox_slurp(rootfd, MBOX_SPECIAL_USE, &sa) > 0) r = configured(sa.s, sa.len, folder) ;
    fd_close(rootfd) ;
  }
  stralloc_free(&sa) ;
  return r >= 0 ? (unsigned int)r : mbox_use_default(folder) ;
}

 /* Same, with the file already read (listing) */
unsigned int mbox_folder_use_in (char const *s, size_t len, char const *folder)
{
  int r = s ? configured(s, len, folder) : -1 ;
  return r >= 0 ? (unsigned int)r : mbox_use_default(folder) ;
}

 /* Sets (use != 0) or removes folder's line; renames it (to != 0). */
int mbox_special_use_set (int rootfd, char const *folder, unsigned int use, char const *to)
{
  stralloc sa = STRALLOC_ZERO, out = STRALLOC_ZERO ;
  size_t flen = strlen(folder), i = 0 ;
  int ok = 0, changed = 0 ;
  int lockfd = mbox_dotlock(rootfd, USE_LOCK) ;
  if (lockfd < 0) return 0 ;
  if (mbox_slurp(rootfd, MBOX_SPECIAL_USE, &sa) == 0) goto end ;
  while (i < sa.len)
  {
    char const *nl = memchr(sa.s + i, '\n', sa.len - i) ;
    size_t end = nl ? (size_t)(nl - sa.s) : sa.len ;
    char const *sp = memchr(sa.s + i, ' ', end - i) ;
    size_t line = i ;
    i = end + 1 ;
    if (sp && (size_t)(end - (sp + 1 - sa.s)) == flen && !memcmp(sp + 1, folder, flen))
    {
      changed = 1 ;
      if (to && (!stralloc_catb(&out, sa.s + line, sp + 1 - (sa.s + line)) || !stralloc_cats(&out, to) || !stralloc_catb(&out, "\n", 1))) goto end ;
      continue ;
    }
    if (end > line && (!stralloc_catb(&out, sa.s + line, end - line) || !stralloc_catb(&out, "\n", 1))) goto end ;
  }
  if (use && !to)
  {
    for (unsigned int k = 0 ; attrs[k].name ; k++)
      if (use & attrs[k].bit)
      {
        if (!stralloc_cats(&out, attrs[k].name) || !stralloc_catb(&out, " ", 1) || !stralloc_cats(&out, folder) || !stralloc_catb(&out, "\n", 1)) goto end ;
        changed = 1 ;
        break ;
      }
  }
  if (!changed) { ok = 1 ; goto end ; }
  ok = mbox_dotlock_commit(rootfd, lockfd, USE_LOCK, MBOX_SPECIAL_USE, out.s ? out.s : "", out.len) ;
  lockfd = -1 ;
 end:
  if (lockfd >= 0)
  {
    int e = errno ;
    unlinkat(rootfd, USE_LOCK, 0) ;
    fd_close(lockfd) ;
    errno = e ;
  }
  stralloc_free(&sa) ;
  stralloc_free(&out) ;
  return ok ;
}
