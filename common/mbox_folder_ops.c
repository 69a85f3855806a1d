/* ISC license. */

#include <errno.h>
#include <stdio.h>   /* renameat() only */
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox-internal.h"

 /* CREATE, DELETE, RENAME on the Maildir++ layout: a folder is the
    directory ".<name>" with cur/, new/, tmp/ and an empty maildirfolder
    file (Dovecot's MAILDIR_SUBFOLDER_FILENAME); its children are the
    sibling directories ".<name>.<child>". */

#define TREE_DEPTH 4
#define TREE_ENTRIES 1000000

static int dotname (stralloc *sa, char const *folder)
{
  sa->len = 0 ;
  return stralloc_catb(sa, ".", 1) && stralloc_cats(sa, folder) && stralloc_0(sa) ;
}

int mbox_folder_create (char const *root, char const *folder, unsigned int use)
{
  stralloc sa = STRALLOC_ZERO ;
  int rootfd, dfd = -1, fd, ok = 0, e ;
  if (mbox_is_inbox(folder)) return (errno = EEXIST, 0) ;
  if (!mbox_folder_name_valid(folder)) return (errno = EINVAL, 0) ;
  rootfd = mbox_open_root(root) ;
  if (rootfd < 0) return 0 ;
  if (!dotname(&sa, folder)) goto end ;
  if (mkdirat(rootfd, sa.s, 0700) == -1)
  {
    struct stat st ;
    if (errno != EEXIST) goto end ;
     /* a \Noselect level (no cur/) becomes a mailbox; a mailbox exists */
    dfd = openat(rootfd, sa.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
    if (dfd < 0) goto end ;
    if (fstatat(dfd, "cur", &st, AT_SYMLINK_NOFOLLOW) == 0) { errno = EEXIST ; goto end ; }
  }
  else dfd = openat(rootfd, sa.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
  if (dfd < 0) goto end ;
  fd = openat(dfd, "maildirfolder", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  if (fd < 0) goto end ;
  fd_close(fd) ;
  if (!mbox_make_dirs(dfd) || fd_sync(dfd) == -1 || fd_sync(rootfd) == -1) goto end ;
  if (use && !mbox_special_use_set(rootfd, folder, use, 0)) goto end ;
  ok = 1 ;
 end:
  e = errno ;
  if (dfd >= 0) fd_close(dfd) ;
  fd_close(rootfd) ;
  stralloc_free(&sa) ;
  errno = e ;
  return ok ;
}

 /* Removes everything below dirfd (bounded depth and count), not dirfd itself. */
static int empty_tree (int dirfd, unsigned int depth, size_t *count)
{
  DIR *dir ;
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd < 0) return 0 ;
  dir = fdopendir(fd) ;
  if (!dir) { fd_close(fd) ; return 0 ; }
  for (;;)
  {
    struct dirent *d ;
    errno = 0 ;
    d = readdir(dir) ;
    if (!d) break ;
    if (d->d_name[0] == '.' && (!d->d_name[1] || (d->d_name[1] == '.' && !d->d_name[2]))) continue ;
    if (++*count > TREE_ENTRIES) { errno = EFBIG ; break ; }
    if (unlinkat(dirfd, d->d_name, 0) == 0) continue ;
    if (errno != EISDIR && errno != EPERM) break ;
    if (depth >= TREE_DEPTH) { errno = ELOOP ; break ; }
    {
      int sub = openat(dirfd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
      int r ;
      if (sub < 0) break ;
      r = empty_tree(sub, depth + 1, count) ;
      fd_close(sub) ;
      if (!r || unlinkat(dirfd, d->d_name, AT_REMOVEDIR) == -1) break ;
    }
  }
  {
    int e = errno ;
    closedir(dir) ;
    errno = e ;
    return !e ;
  }
}

 /* Names of the directories ".<folder>" and ".<folder>.*" under rootfd. */
static int family (int rootfd, char const *folder, stralloc *out, size_t *n)
{
  DIR *dir ;
  size_t flen = strlen(folder) ;
  int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  *n = 0 ;
  out->len = 0 ;
  if (fd < 0) return 0 ;
  dir = fdopendir(fd) ;
  if (!dir) { fd_close(fd) ; return 0 ; }
  for (;;)
  {
    struct dirent *d ;
    errno = 0 ;
    d = readdir(dir) ;
    if (!d) break ;
    if (d->d_name[0] != '.' || strncmp(d->d_name + 1, folder, flen)) continue ;
    if (d->d_name[1 + flen] && d->d_name[1 + flen] != '.') continue ;
    if (!stralloc_cats(out, d->d_name + 1) || !stralloc_0(out)) break ;
    (*n)++ ;
  }
  {
    int e = errno ;
    closedir(dir) ;
    errno = e ;
    return !e ;
  }
}

int mbox_folder_delete (char const *root, char const *folder)
{
  stralloc sa = STRALLOC_ZERO, fam = STRALLOC_ZERO, grave = STRALLOC_ZERO ;
  size_t nfam ;
  int rootfd, tmpfd = -1, gfd = -1, ok = 0, e ;
  struct stat st ;
  if (mbox_is_inbox(folder)) return (errno = EINVAL, 0) ;
  if (!mbox_folder_name_valid(folder)) return (errno = EINVAL, 0) ;
  rootfd = mbox_open_root(root) ;
  if (rootfd < 0) return 0 ;
  if (!dotname(&sa, folder) || !family(rootfd, folder, &fam, &nfam)) goto end ;
  if (fstatat(rootfd, sa.s, &st, AT_SYMLINK_NOFOLLOW) == -1)
  {
     /* RFC 9051 §6.3.4: a \Noselect name with inferiors cannot be deleted */
    if (errno == ENOENT && nfam) errno = ENOTEMPTY ;
    goto end ;
  }
  if (!S_ISDIR(st.st_mode)) { errno = ENOENT ; goto end ; }
  {
    int dfd = openat(rootfd, sa.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
    int sel ;
    if (dfd < 0) goto end ;
    sel = fstatat(dfd, "cur", &st, AT_SYMLINK_NOFOLLOW) == 0 ;
    fd_close(dfd) ;
    if (!sel && nfam > 1) { errno = ENOTEMPTY ; goto end ; }
  }
   /* out of sight at once (one rename), then emptied: inferiors stay,
      and the name becomes a \Noselect level of the listing */
  tmpfd = openat(rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
  if (tmpfd < 0 && errno == ENOENT && mkdirat(rootfd, "tmp", 0700) == 0)
    tmpfd = openat(rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
  if (tmpfd < 0) goto end ;
  if (!stralloc_cats(&grave, "posthaste-deleted.") || !mbox_unique_base(&grave)) goto end ;
  if (renameat(rootfd, sa.s, tmpfd, grave.s) == -1) goto end ;
  if (fd_sync(rootfd) == -1) goto end ;
  mbox_special_use_set(rootfd, folder, 0, 0) ;   /* best effort: a stale line names no folder */
  gfd = openat(tmpfd, grave.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
  if (gfd >= 0)
  {
    size_t count = 0 ;
    if (empty_tree(gfd, 0, &count)) unlinkat(tmpfd, grave.s, AT_REMOVEDIR) ;
  }
  ok = 1 ;
 end:
  e = errno ;
  if (gfd >= 0) fd_close(gfd) ;
  if (tmpfd >= 0) fd_close(tmpfd) ;
  fd_close(rootfd) ;
  stralloc_free(&sa) ;
  stralloc_free(&fam) ;
  stralloc_free(&grave) ;
  errno = e ;
  return ok ;
}

 /* RENAME INBOX (RFC 9051 §6.3.5): a new folder gets every message of
    INBOX, which stays, empty. The messages keep their file names (so
    their flags); the target assigns them UIDs when it is next opened. */
static int rename_inbox (int rootfd, char const *root, char const *to)
{
  static char const *const sub[2] = { "new", "cur" } ;
  stralloc sa = STRALLOC_ZERO ;
  int dfd = -1, ok = 0, e ;
  if (!mbox_folder_create(root, to, 0)) return 0 ;
  dfd = mbox_open_folder(rootfd, to) ;
  if (dfd < 0) goto end ;
  for (unsigned int k = 0 ; k < 2 ; k++)
  {
    DIR *dir ;
    int from = openat(rootfd, sub[k], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
    int into = openat(dfd, sub[k], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
    size_t count = 0 ;
    if (from < 0 || into < 0) { if (from >= 0) fd_close(from) ; if (into >= 0) fd_close(into) ; goto end ; }
    dir = fdopendir(from) ;
    if (!dir) { fd_close(from) ; fd_close(into) ; goto end ; }
    for (;;)
    {
      struct dirent *d ;
      errno = 0 ;
      d = readdir(dir) ;
      if (!d) break ;
      if (d->d_name[0] == '.') continue ;
      if (++count > MBOX_SCAN_MAX) { errno = EFBIG ; break ; }
      if (renameat(from, d->d_name, into, d->d_name) == -1 && errno != ENOENT) break ;
      errno = 0 ;
    }
    e = errno ;
    if (!e && (fd_sync(into) == -1 || fd_sync(dirfd(dir)) == -1)) e = errno ;
    closedir(dir) ;
    fd_close(into) ;
    if (e) { errno = e ; goto end ; }
  }
  ok = 1 ;
 end:
  e = errno ;
  if (dfd >= 0) fd_close(dfd) ;
  stralloc_free(&sa) ;
  errno = e ;
  return ok ;
}

int mbox_folder_rename (char const *root, char const *from, char const *to)
{
  stralloc fam = STRALLOC_ZERO, a = STRALLOC_ZERO, b = STRALLOC_ZERO, tofam = STRALLOC_ZERO ;
  size_t nfam, ntofam, flen = strlen(from), tlen = strlen(to) ;
  int rootfd, ok = 0, e ;
  if (!mbox_folder_name_valid(from) || !mbox_folder_name_valid(to) || mbox_is_inbox(to)) return (errno = mbox_is_inbox(to) ? EEXIST : EINVAL, 0) ;
   /* into its own subtree */
  if (tlen > flen && !strncmp(to, from, flen) && to[flen] == '.' && !mbox_is_inbox(from)) return (errno = EINVAL, 0) ;
  rootfd = mbox_open_root(root) ;
  if (rootfd < 0) return 0 ;
  if (mbox_is_inbox(from)) { ok = rename_inbox(rootfd, root, to) ; goto end ; }
  if (!family(rootfd, from, &fam, &nfam) || !family(rootfd, to, &tofam, &ntofam)) goto end ;
  if (!nfam) { errno = ENOENT ; goto end ; }
  if (ntofam)
  {
     /* the target, or a name a child would take, exists */
    errno = EEXIST ;
    goto end ;
  }
  {
    char const *p = fam.s ;
    for (size_t i = 0 ; i < nfam ; i++)
    {
      size_t len = strlen(p) ;
      if (!dotname(&a, p)) goto end ;
      b.len = 0 ;
      if (!stralloc_catb(&b, ".", 1) || !stralloc_cats(&b, to) || !stralloc_catb(&b, p + flen, len - flen) || !stralloc_0(&b)) goto end ;
      if (b.len > 257) { errno = ENAMETOOLONG ; goto end ; }
      if (renameat(rootfd, a.s, rootfd, b.s) == -1) goto end ;
      if (!mbox_special_use_set(rootfd, p, 0, b.s + 1)) goto end ;
      p += len + 1 ;
    }
  }
  if (fd_sync(rootfd) == -1) goto end ;
  ok = 1 ;
 end:
  e = errno ;
  fd_close(rootfd) ;
  stralloc_free(&fam) ;
  stralloc_free(&tofam) ;
  stralloc_free(&a) ;
  stralloc_free(&b) ;
  errno = e ;
  return ok ;
}

static int make_root (char const *root)
{
  size_t len = strlen(root) ;
  if (mkdir(root, 0700) == 0 || errno == EEXIST) return 1 ;
  if (errno != ENOENT) return 0 ;
   /* the domain directory may be missing too: one level up, no more */
  {
    char parent[len + 1] ;
    char *slash ;
    memcpy(parent, root, len + 1) ;
    slash = strrchr(parent, '/') ;
    if (!slash || slash == parent) return (errno = ENOENT, 0) ;
    *slash = 0 ;
    if (mkdir(parent, 0700) == -1 && errno != EEXIST) return 0 ;
  }
  return mkdir(root, 0700) == 0 || errno == EEXIST ;
}

int mbox_setup_defaults (char const *root)
{
  static char const *const defaults[5] = { "Drafts", "Sent", "Junk", "Trash", "Archive" } ;
  int rootfd, ok = 0, e ;
  if (!make_root(root)) return 0 ;
  rootfd = mbox_open_root(root) ;
  if (rootfd < 0) return 0 ;
  if (!mbox_make_dirs(rootfd)) goto end ;
  if (faccessat(rootfd, MBOX_SUBSCRIPTIONS, F_OK, AT_SYMLINK_NOFOLLOW) == 0) { ok = 1 ; goto end ; }
  if (errno != ENOENT) goto end ;
  for (unsigned int i = 0 ; i < 5 ; i++)
    if (!mbox_folder_create(root, defaults[i], 0) && errno != EEXIST) goto end ;
  ok = mbox_subscriptions_init(rootfd, defaults, 5) ;
 end:
  e = errno ;
  fd_close(rootfd) ;
  errno = e ;
  return ok ;
}
