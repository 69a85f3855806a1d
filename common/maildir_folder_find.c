/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/bytestr.h>
#include <skalibs/direntry.h>
#include <skalibs/djbunix.h>
#include <skalibs/unix-transactional.h>
#include <skalibs/stralloc.h>

#include "common/maildir.h"

 /* Decision (docs/internals.md, rule 3: "the tag names a folder to
    deliver into when that folder exists"): lookup keys are lower-cased,
    so the tag is too, while IMAP clients create ".Work". An exact
    ".<tag>" wins; otherwise the directory whose name matches ignoring
    ASCII case, the smallest name if several do (deterministic). Like
    Dovecot with lda_mailbox_autocreate off, a missing folder means INBOX. */

#define FOLDER_SCAN_MAX 100000   /* directory entries looked at, at most */

   /* A symlink is no folder, whatever it points to: deliverd must not
      write outside the mail root (maildir_make would refuse it anyway). */
static int is_dir_at (int dirfd, char const *name)
{
  struct stat st ;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
    return errno == ENOENT || errno == ENOTDIR ? 0 : -1 ;
  return S_ISDIR(st.st_mode) ;
}

static int scan (int mdfd, char const *tag, size_t len, stralloc *folder)
{
  char best[MAILDIR_FOLDER_MAX + 1] ;
  int found = 0 ;
  DIR *dir = opendir_at(mdfd, ".") ;
  if (!dir) return -1 ;
  for (unsigned int n = 0 ; n < FOLDER_SCAN_MAX ; n++)
  {
    struct dirent *d ;
    errno = 0 ;
    d = readdir(dir) ;
    if (!d)
    {
      if (errno) goto err ;
      break ;
    }
    if (d->d_name[0] != '.' || strlen(d->d_name + 1) != len || case_diffb(d->d_name + 1, len, tag)) continue ;
    if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN) continue ;   /* files, symlinks */
    if (found && strcmp(d->d_name + 1, best) >= 0) continue ;
    switch (is_dir_at(mdfd, d->d_name))
    {
      case -1 : goto err ;
      case 0 : continue ;
      default : break ;
    }
    memcpy(best, d->d_name + 1, len + 1) ;
    found = 1 ;
  }
  dir_close(dir) ;
  if (found && !stralloc_catb(folder, best, len + 1)) return -1 ;
  return found ;

 err:
  {
    int e = errno ;
    dir_close(dir) ;
    errno = e ;
  }
  return -1 ;
}

int maildir_folder_find (int rootfd, char const *maildir, char const *tag, stralloc *folder)
{
  size_t len = strlen(tag) ;
  char name[MAILDIR_FOLDER_MAX + 1] ;
  int mdfd, r ;

   /* an outside sender must not fill Drafts, Sent, Trash...: the tag is
      compared ignoring case, as the folder it would find is */
  if (!maildir_folder_valid(tag, len) || maildir_folder_special_use(tag, len)) return 0 ;
  if (!maildir_path_valid(maildir, strlen(maildir))) return (errno = EINVAL, -1) ;
  mdfd = maildir_opendir_beneath(rootfd, maildir) ;
  if (mdfd == -1) return errno == ENOENT ? 0 : -1 ;

  name[0] = '.' ;
  memcpy(name + 1, tag, len + 1) ;
  r = is_dir_at(mdfd, name) ;
  if (r > 0) r = stralloc_catb(folder, tag, len + 1) ? 1 : -1 ;
  else if (!r) r = scan(mdfd, tag, len, folder) ;
  {
    int e = errno ;
    fd_close(mdfd) ;
    errno = e ;
  }
  return r ;
}
