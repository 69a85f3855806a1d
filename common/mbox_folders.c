/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox-internal.h"

 /* LIST: every ".<name>" directory of the root is a folder (Maildir++;
    one without cur/ is a \Noselect level left by a DELETE with
    children), INBOX is the root itself, a level of the hierarchy that
    has descendants but no directory is listed \Noselect, and subscribed
    names without a folder are \NonExistent (RFC 9051 §7.3.1, RFC 5258). */

#define KIND_REAL 1
#define KIND_INTER 2
#define KIND_SUB 4
#define FOLDERS_MAX 100000

typedef struct cand_s cand ;
struct cand_s
{
  size_t name ;
  unsigned int kind ;
  unsigned int noselect ;
} ;

static char const *sort_base ;

 /* INBOX first; then names in order with '.' below every other byte, so
    that a folder's descendants follow it at once */
static int cmp_name (char const *a, char const *b)
{
  int ia = !strcmp(a, "INBOX"), ib = !strcmp(b, "INBOX") ;
  if (ia || ib) return ib - ia ;
  for (;; a++, b++)
  {
    unsigned char x = *a == '.' ? 1 : (unsigned char)*a ;
    unsigned char y = *b == '.' ? 1 : (unsigned char)*b ;
    if (x != y) return x < y ? -1 : 1 ;
    if (!x) return 0 ;
  }
}

static int cmp_cand (void const *a, void const *b)
{
  cand const *x = a, *y = b ;
  return cmp_name(sort_base + x->name, sort_base + y->name) ;
}

static int add (genalloc *g, stralloc *sa, char const *name, size_t len, unsigned int kind, unsigned int noselect)
{
  cand c = { .name = sa->len, .kind = kind, .noselect = noselect } ;
  if (genalloc_len(cand, g) >= FOLDERS_MAX) return (errno = EFBIG, 0) ;
  return stralloc_catb(sa, name, len) && stralloc_0(sa) && genalloc_append(cand, g, &c) ;
}

static int read_root (int rootfd, genalloc *g, stralloc *sa)
{
  DIR *dir ;
  int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd == -1) return 0 ;
  dir = fdopendir(fd) ;
  if (!dir) { fd_close(fd) ; return 0 ; }
  for (;;)
  {
    struct dirent *d ;
    struct stat st ;
    char const *name ;
    errno = 0 ;
    d = readdir(dir) ;
    if (!d) break ;
    name = d->d_name ;
    if (name[0] != '.' || !name[1] || (name[1] == '.' && !name[2])) continue ;
    if (!mbox_folder_name_valid(name + 1) || mbox_is_inbox(name + 1)) continue ;
    if (fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode)) continue ;
    {
      int dfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
      int sel = 0 ;
      if (dfd >= 0)
      {
        sel = fstatat(dfd, "cur", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) ;
        fd_close(dfd) ;
      }
      if (!add(g, sa, name + 1, strlen(name + 1), KIND_REAL, !sel)) break ;
    }
     /* the levels above it */
    for (size_t i = 1 ; name[i] ; i++)
      if (name[i] == '.' && !add(g, sa, name + 1, i - 1, KIND_INTER, 1)) goto out ;
  }
 out:
  {
    int e = errno ;
    closedir(dir) ;
    errno = e ;
    return !e ;
  }
}

int mbox_folders (char const *root, genalloc *folders, stralloc *names)
{
  genalloc g = GENALLOC_ZERO ;
  stralloc sa = STRALLOC_ZERO, subs = STRALLOC_ZERO, use = STRALLOC_ZERO ;
  size_t nsubs, n ;
  int ok = 0, hasuse ;
  int rootfd = mbox_open_root(root) ;
  folders->len = 0 ;
  names->len = 0 ;
  if (rootfd < 0) return 0 ;
  if (!add(&g, &sa, "INBOX", 5, KIND_REAL, 0)) goto end ;
  if (!read_root(rootfd, &g, &sa)) goto end ;
  if (!mbox_subscriptions_read(rootfd, &subs, &nsubs)) goto end ;
  {
    char const *p = subs.s ;
    for (size_t i = 0 ; i < nsubs ; i++)
    {
      if (!add(&g, &sa, mbox_is_inbox(p) ? "INBOX" : p, mbox_is_inbox(p) ? 5 : strlen(p), KIND_SUB, 0)) goto end ;
      p += strlen(p) + 1 ;
    }
  }
  hasuse = mbox_slurp(rootfd, MBOX_SPECIAL_USE, &use) > 0 ;
  n = genalloc_len(cand, &g) ;
  sort_base = sa.s ;
  qsort(genalloc_s(cand, &g), n, sizeof(cand), &cmp_cand) ;
  {
    cand const *c = genalloc_s(cand const, &g) ;
    size_t i = 0 ;
    while (i < n)
    {
      mbox_folder f ;
      unsigned int kinds = 0, noselect = 1 ;
      size_t j = i ;
      while (j < n && !strcmp(sa.s + c[j].name, sa.s + c[i].name))
      {
        kinds |= c[j].kind ;
        if (c[j].kind == KIND_REAL && !c[j].noselect) noselect = 0 ;
        j++ ;
      }
      f.name = names->len ;
      f.attrs = 0 ;
      if (!stralloc_cats(names, sa.s + c[i].name) || !stralloc_0(names)) goto end ;
      if (kinds & KIND_SUB) f.attrs |= MBOX_FOLDER_SUBSCRIBED ;
      if (!(kinds & (KIND_REAL | KIND_INTER))) f.attrs |= MBOX_FOLDER_NONEXISTENT ;
      else
      {
        size_t len = strlen(sa.s + c[i].name) ;
        int children = 0 ;
        if (noselect) f.attrs |= MBOX_FOLDER_NOSELECT ;
         /* descendants follow at once (cmp_name) */
        int inbox = !strcmp(sa.s + c[i].name, "INBOX") ;   /* first, not next to its children */
        for (size_t k = j ; k < n ; k++)
        {
          char const *s = sa.s + c[k].name ;
          if (strncmp(s, sa.s + c[i].name, len) || s[len] != '.') { if (inbox) continue ; break ; }
          if (c[k].kind != KIND_SUB) { children = 1 ; break ; }
        }
        f.attrs |= children ? MBOX_FOLDER_HASCHILDREN : MBOX_FOLDER_HASNOCHILDREN ;
        if (!noselect) f.attrs |= mbox_folder_use_in(hasuse ? use.s : 0, use.len, sa.s + c[i].name) ;
      }
      if (!genalloc_append(mbox_folder, folders, &f)) goto end ;
      i = j ;
    }
  }
  ok = 1 ;
 end:
  {
    int e = errno ;
    fd_close(rootfd) ;
    genalloc_free(cand, &g) ;
    stralloc_free(&sa) ;
    stralloc_free(&subs) ;
    stralloc_free(&use) ;
    errno = e ;
  }
  return ok ;
}
