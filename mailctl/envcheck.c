/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/log.h"
#include "envnames.h"

/* What a docker-mailserver user sets in mailserver.env must not vanish
 * silently: run once at start (package/service/confwatch/run), this puts
 * in the log every variable that is set (non-empty, as docker-mailserver
 * counts it) and has no posthaste meaning, and every retired one.
 * Sources: the env file (every name in it: an unknown one, a typo say,
 * is as ignored as an unsupported one) and the process environment
 * (docker-mailserver's names only: it holds PATH, HOME...). posthaste's
 * own PH_* names are not judged here. */

#define ENVFILE_MAX (1024 * 1024)

static int listed (stralloc const *names, char const *name, size_t len)
{
  size_t pos = 0 ;
  while (pos < names->len)
  {
    size_t n = strlen(names->s + pos) ;
    if (n == len && !memcmp(names->s + pos, name, len)) return 1 ;
    pos += n + 1 ;
  }
  return 0 ;
}

static int same_value (char const *same, char const *value)
{
  size_t vlen = strlen(value) ;
  while (same && *same)
  {
    size_t n = strcspn(same, ",") ;
    if (n == vlen && !strncasecmp(same, value, n)) return 1 ;
    same += n ;
    if (*same == ',') same++ ;
  }
  return 0 ;
}

/* Judges one setting; appends to unsupported or logs a retired one. */
static void judge (char const *name, size_t len, char const *value, int fromfile, stralloc *unsupported, stralloc *retired)
{
  mc_envname const *e ;
  if (!*value) return ;
  if (len > 3 && !memcmp(name, "PH_", 3)) return ;
  if (listed(unsupported, name, len) || listed(retired, name, len)) return ;
  e = mc_envname_find(name, len) ;
  if (!e && !fromfile) return ;
  if (e && e->status == MC_ENV_SUPPORTED) return ;
  if (e && e->status == MC_ENV_RETIRED)
  {
    logline l ;
    if (!stralloc_catb(retired, name, len) || !stralloc_0(retired)) strerr_diefu1sys(111, "allocate memory") ;
    log_begin(&l, "env_retired") ;
    log_kvn(&l, "name", name, len) ;
    log_kv(&l, "replacement", e->same) ;
    log_kv(&l, "text", "retired by docker-mailserver, ignored by posthaste") ;
    log_commit(&l) ;
    return ;
  }
  if (e && same_value(e->same, value)) return ;
  if (!stralloc_catb(unsupported, name, len) || !stralloc_0(unsupported)) strerr_diefu1sys(111, "allocate memory") ;
}

int mc_envcheck (int argc, char const *const *argv)
{
  extern char **environ ;
  stralloc file = STRALLOC_ZERO, recs = STRALLOC_ZERO ;
  stralloc unsupported = STRALLOC_ZERO, retired = STRALLOC_ZERO ;
  char const *path = getenv("PH_ENVFILE") ;
  unsigned int count = 0 ;
  (void)argv ;
  if (argc) strerr_dieusage(100, "mailctl envcheck") ;
  if (path && *path)
  {
    unsigned int errline ;
    if (!openslurpclose(&file, path))
    {
      if (errno != ENOENT) strerr_diefu2sys(111, "read ", path) ;
    }
    else if (file.len > ENVFILE_MAX) strerr_dief2x(100, path, ": too big") ;
    else if (!envfile_parse(file.s, file.len, &recs, &errline))
    {
      char fmt[UINT_FMT] ;
      if (errno != EINVAL) strerr_diefu1sys(111, "parse the env file") ;
      fmt[uint_fmt(fmt, errline)] = 0 ;
      strerr_dief4x(100, "syntax error in ", path, " line ", fmt) ;
    }
  }
  /* the environment wins over the file, as for every setting */
  for (size_t pos = 0 ; pos < recs.len ; pos += strlen(recs.s + pos) + 1)
  {
    char const *rec = recs.s + pos ;
    char const *eq = strchr(rec, '=') ;
    size_t nlen = eq - rec ;
    char name[256] ;
    char const *envv ;
    if (nlen >= sizeof(name)) continue ;
    memcpy(name, rec, nlen) ;
    name[nlen] = 0 ;
    {
      /* the last definition wins (common/config.c): judge only that one */
      size_t later = pos + strlen(rec) + 1 ;
      int shadowed = 0 ;
      for (; later < recs.len && !shadowed ; later += strlen(recs.s + later) + 1)
        shadowed = !strncmp(recs.s + later, rec, nlen + 1) ;
      if (shadowed) continue ;
    }
    envv = getenv(name) ;
    judge(rec, nlen, envv && *envv ? envv : eq + 1, 1, &unsupported, &retired) ;
  }
  for (char **e = environ ; *e ; e++)
  {
    char const *eq = strchr(*e, '=') ;
    if (eq) judge(*e, eq - *e, eq + 1, 0, &unsupported, &retired) ;
  }
  {
    logline l ;
    stralloc list = STRALLOC_ZERO ;
    for (size_t pos = 0 ; pos < unsupported.len ; pos += strlen(unsupported.s + pos) + 1)
    {
      if (list.len && !stralloc_catb(&list, ",", 1)) strerr_diefu1sys(111, "allocate memory") ;
      if (!stralloc_cats(&list, unsupported.s + pos)) strerr_diefu1sys(111, "allocate memory") ;
      count++ ;
    }
    log_begin(&l, "env_unsupported") ;
    log_kvu(&l, "count", count) ;
    log_kvn(&l, "names", list.s, list.len) ;
    log_commit(&l) ;
    stralloc_free(&list) ;
  }
  stralloc_free(&file) ;
  stralloc_free(&recs) ;
  stralloc_free(&unsupported) ;
  stralloc_free(&retired) ;
  return 0 ;
}
