/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/mbox-internal.h"

 /* "subscriptions" at the Maildir root, as Dovecot 2.3 writes it
    (src/lib-storage/list/subscription-file.c): the line "V\t2", an empty
    line, then one mailbox per line, its hierarchy levels separated by
    TAB and each level tab-escaped (\001 followed by '1', 't', 'r', 'n'
    or '0' for \001, TAB, CR, LF, NUL). Names are in the on-disk form
    (modified UTF-7). The older form, one name per line with the
    separator of the namespace ('.' or '/'), is read too. Written through
    the dotlock subscriptions.lock and a rename. */

#define SUBS_LOCK "subscriptions.lock"

static int add_v2 (stralloc *names, char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (c == '\t') c = '.' ;
    else if (c == '\001' && i + 1 < len)
    {
      switch (s[++i])
      {
        case '1' : c = '\001' ; break ;
        case 't' : c = '\t' ; break ;
        case 'r' : c = '\r' ; break ;
        case 'n' : c = '\n' ; break ;
        case '0' : c = 0 ; break ;
        default : c = s[i] ;
      }
    }
    if (!stralloc_catb(names, &c, 1)) return 0 ;
  }
  return stralloc_0(names) ;
}

int mbox_subscriptions_read (int rootfd, stralloc *names, size_t *n)
{
  stralloc sa = STRALLOC_ZERO ;
  size_t i = 0 ;
  int v2 = 0 ;
  int r = mbox_slurp(rootfd, MBOX_SUBSCRIPTIONS, &sa) ;
  names->len = 0 ;
  *n = 0 ;
  if (r < 0) return 1 ;
  if (!r) return 0 ;
  if (sa.len >= 4 && !memcmp(sa.s, "V\t2\n", 4))
  {
    v2 = 1 ;
     /* the header ends at the first empty line */
    i = 4 ;
    while (i < sa.len && sa.s[i] != '\n')
    {
      char *nl = memchr(sa.s + i, '\n', sa.len - i) ;
      i = nl ? (size_t)(nl - sa.s) + 1 : sa.len ;
    }
    if (i < sa.len) i++ ;
  }
  while (i < sa.len)
  {
    char *nl = memchr(sa.s + i, '\n', sa.len - i) ;
    size_t end = nl ? (size_t)(nl - sa.s) : sa.len ;
    size_t len = end - i ;
    if (len && sa.s[i + len - 1] == '\r') len-- ;
    if (len)
    {
      size_t start = names->len ;
      if (v2) { if (!add_v2(names, sa.s + i, len)) goto err ; }
      else
      {
        if (!stralloc_catb(names, sa.s + i, len) || !stralloc_0(names)) goto err ;
        for (size_t j = start ; j < names->len - 1 ; j++) if (names->s[j] == '/') names->s[j] = '.' ;
      }
      if (strlen(names->s + start) != names->len - 1 - start || !mbox_folder_name_valid(names->s + start))
        names->len = start ;   /* not a name we could ever open: dropped */
      else (*n)++ ;
    }
    i = end + 1 ;
  }
  stralloc_free(&sa) ;
  return 1 ;
 err:
  stralloc_free(&sa) ;
  return 0 ;
}

static int put_name (stralloc *out, char const *name)
{
  for (; *name ; name++)
  {
    char const *esc = 0 ;
    switch (*name)
    {
      case '.' : if (!stralloc_catb(out, "\t", 1)) return 0 ; continue ;
      case '\001' : esc = "\0011" ; break ;
      case '\t' : esc = "\001t" ; break ;
      case '\r' : esc = "\001r" ; break ;
      case '\n' : esc = "\001n" ; break ;
      default : break ;
    }
    if (esc ? !stralloc_catb(out, esc, 2) : !stralloc_catb(out, name, 1)) return 0 ;
  }
  return stralloc_catb(out, "\n", 1) ;
}

 /* Adds (on) or removes (!on) names[0..n) under the lock; when onlynew,
    does nothing if the file exists (first-login setup). */
static int change (int rootfd, char const *const *folders, size_t nf, int on, int onlynew)
{
  stralloc names = STRALLOC_ZERO, out = STRALLOC_ZERO ;
  size_t n ;
  int ok = 0 ;
  int lockfd = mbox_dotlock(rootfd, SUBS_LOCK) ;
  if (lockfd < 0) return 0 ;
  if (onlynew && faccessat(rootfd, MBOX_SUBSCRIPTIONS, F_OK, AT_SYMLINK_NOFOLLOW) == 0) { ok = 1 ; goto end ; }
  if (!mbox_subscriptions_read(rootfd, &names, &n)) goto end ;
  if (!stralloc_cats(&out, "V\t2\n\n")) goto end ;
  {
    char const *p = names.s ;
    for (size_t i = 0 ; i < n ; i++)
    {
      int listed = 0 ;
      for (size_t j = 0 ; j < nf ; j++) if (!strcmp(p, folders[j])) listed = 1 ;
      if (!listed && !put_name(&out, p)) goto end ;
      p += strlen(p) + 1 ;
    }
  }
  if (on)
    for (size_t j = 0 ; j < nf ; j++)
      if (!put_name(&out, folders[j])) goto end ;
  ok = mbox_dotlock_commit(rootfd, lockfd, SUBS_LOCK, MBOX_SUBSCRIPTIONS, out.s, out.len) ;
  lockfd = -1 ;
 end:
  if (lockfd >= 0)
  {
    int e = errno ;
    unlinkat(rootfd, SUBS_LOCK, 0) ;
    fd_close(lockfd) ;
    errno = e ;
  }
  stralloc_free(&names) ;
  stralloc_free(&out) ;
  return ok ;
}

int mbox_subscribe (char const *root, char const *folder, int on)
{
  char const *one[1] = { mbox_is_inbox(folder) ? "INBOX" : folder } ;
  int rootfd, r, e ;
  if (!mbox_folder_name_valid(folder)) return (errno = EINVAL, 0) ;
  rootfd = mbox_open_root(root) ;
  if (rootfd < 0) return 0 ;
  r = change(rootfd, one, 1, !!on, 0) ;
  e = errno ;
  fd_close(rootfd) ;
  errno = e ;
  return r ;
}

 /* first login: subscribe these when there is no subscriptions file yet */
int mbox_subscriptions_init (int rootfd, char const *const *folders, size_t n)
{
  return change(rootfd, folders, n, 1, 1) ;
}
