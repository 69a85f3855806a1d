/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <regex.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/regexpmap.h"

/* Like cdbmap: mailctl replaces regexp.map by rename(), so a new inode
 * (or size) means a new map; while it is missing the map is empty. A
 * file that does not parse (mailctl would not have written it) keeps the
 * old rules and makes the lookup an error, so mail waits (4xx) rather
 * than being refused for an alias the admin did write. */

static void rules_free (genalloc *rules)
{
  size_t n = genalloc_len(regexprule, rules) ;
  for (size_t i = 0 ; i < n ; i++) regfree(&genalloc_s(regexprule, rules)[i].re) ;
  genalloc_setlen(regexprule, rules, 0) ;
}

static int parse_all (char const *s, size_t len, genalloc *rules, stralloc *storage)
{
  size_t pos = 0 ;
  while (pos < len)
  {
    char const *nl = memchr(s + pos, '\n', len - pos) ;
    size_t end = nl ? (size_t)(nl - s) : len ;
    size_t a = pos ;
    regexprule r ;
    char const *why ;
    pos = end + 1 ;
    while (a < end && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r')) a++ ;
    if (a == end || s[a] == '#') continue ;
    if (genalloc_len(regexprule, rules) >= REGEXPMAP_RULES_MAX) return (errno = E2BIG, 0) ;
    switch (regexpmap_parse_rule(s + a, end - a, &r, storage, &why))
    {
      case 1 : break ;
      case 0 : return (errno = EINVAL, 0) ;
      default : return 0 ;
    }
    if (!genalloc_append(regexprule, rules, &r))
    {
      int e = errno ;
      regfree(&r.re) ;
      errno = e ;
      return 0 ;
    }
  }
  return 1 ;
}

static int reload (regexpmap *m)
{
  stralloc text = STRALLOC_ZERO ;
  stralloc storage = STRALLOC_ZERO ;
  genalloc rules = GENALLOC_ZERO ;
  struct stat st ;
  size_t r ;
  int fd = openc_read(m->path) ;
  if (fd < 0)
  {
    if (errno != ENOENT) return 0 ;
    rules_free(&m->rules) ;
    m->storage.len = 0 ;
    m->present = 0 ;
    return 1 ;
  }
  if (fstat(fd, &st) < 0) goto err ;
  if (!S_ISREG(st.st_mode)) { errno = EINVAL ; goto err ; }
  if (st.st_size > REGEXPMAP_FILE_MAX) { errno = EFBIG ; goto err ; }
  if (!stralloc_ready(&text, (size_t)st.st_size + 1)) goto err ;
  errno = 0 ;
  r = allread(fd, text.s, (size_t)st.st_size + 1) ;
  if (errno) goto err ;
  if (r > (size_t)st.st_size) { errno = EAGAIN ; goto err ; }  /* it grew: written in place */
  text.len = r ;
  fd_close(fd) ;
  fd = -1 ;
  if (!parse_all(text.s, text.len, &rules, &storage)) goto err ;
  stralloc_free(&text) ;
  rules_free(&m->rules) ;
  genalloc_free(regexprule, &m->rules) ;
  stralloc_free(&m->storage) ;
  m->rules = rules ;
  m->storage = storage ;
  m->dev = st.st_dev ;
  m->ino = st.st_ino ;
  m->size = st.st_size ;
  m->present = 1 ;
  return 1 ;

 err:
  {
    int e = errno ;
    if (fd >= 0) fd_close(fd) ;
    stralloc_free(&text) ;
    rules_free(&rules) ;
    genalloc_free(regexprule, &rules) ;
    stralloc_free(&storage) ;
    errno = e ;
  }
  return 0 ;
}

int regexpmap_refresh (regexpmap *m)
{
  struct stat st ;
  if (stat(m->path, &st) < 0)
  {
    if (errno != ENOENT) return 0 ;
    if (m->present) return reload(m) ;
    return 1 ;
  }
  if (m->present && st.st_dev == m->dev && st.st_ino == m->ino && st.st_size == m->size) return 1 ;
  return reload(m) ;
}

int regexpmap_open (regexpmap *m, char const *path)
{
  m->path = path ;
  m->dev = 0 ;
  m->ino = 0 ;
  m->size = 0 ;
  m->present = 0 ;
  m->storage = stralloc_zero ;
  m->rules = genalloc_zero ;
  return regexpmap_refresh(m) ;
}

void regexpmap_close (regexpmap *m)
{
  rules_free(&m->rules) ;
  genalloc_free(regexprule, &m->rules) ;
  stralloc_free(&m->storage) ;
  m->present = 0 ;
}
