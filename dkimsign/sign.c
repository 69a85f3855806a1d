/* ISC license. */

/* Signing one message with every key found for its From address. */

#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/config.h"
#include "common/dkim.h"
#include "common/log.h"
#include "dkimsign.h"

static void note (stralloc *sa, char const *s)
{
  if (sa->len && sa->len < 400) stralloc_catb(sa, " ", 1) ;
  if (sa->len < 400) stralloc_cats(sa, s) ;
}

/* Reads a key file: a regular file, at most DS_KEYFILE_MAX bytes. A
 * key others may read is used, but said in the log. */
static EVP_PKEY *load (char const *path, int *alg, char const *qid)
{
  char buf[DS_KEYFILE_MAX] ;
  struct stat st ;
  ssize_t r ;
  EVP_PKEY *k ;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) ;
  if (fd < 0) return 0 ;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > DS_KEYFILE_MAX) { fd_close(fd) ; return 0 ; }
  if (st.st_mode & 0004) log_event3("dkim_key_unsafe", "qid", qid, "path", path, "reason", "key file readable by every user") ;
  r = allread(fd, buf, sizeof(buf)) ;
  fd_close(fd) ;
  if (r <= 0) return 0 ;
  k = dkim_privkey_parse(buf, (size_t)r, alg) ;
  memset(buf, 0, (size_t)r) ;
  return k ;
}

static int canon_setting (int *h, int *b)
{
  char const *c = config_get_default("PH_DKIM_CANON", "relaxed/relaxed") ;
  static char const *const words[2] = { "simple", "relaxed" } ;
  for (int i = 0 ; i < 2 ; i++) for (int j = 0 ; j < 2 ; j++)
  {
    size_t li = strlen(words[i]) ;
    if (!strncmp(c, words[i], li) && c[li] == '/' && !strcmp(c + li + 1, words[j])) { *h = i ; *b = j ; return 1 ; }
    if (!strcmp(c, words[i])) { *h = i ; *b = DKIM_CANON_SIMPLE ; return 1 ; }   /* §3.5 c=: body simple */
  }
  return 0 ;
}

int ds_sign_message (stralloc *fields, stralloc *sum, char const *msg, size_t len, char const *eol, char const *qid)
{
  static dskeys keys ;
  char addr[DS_ADDR_MAX] ;
  char const *why = 0 ;
  char const *confdir = config_get("PH_CONFIG_DIR") ;
  char const *domain ;
  uint64_t expire = 0 ;
  int hcanon, bcanon, signed_ = 0, failed = 0 ;
  if (!confdir) { note(sum, "PH_CONFIG_DIR is not set") ; return -1 ; }
  if (!canon_setting(&hcanon, &bcanon)) { note(sum, "bad PH_DKIM_CANON") ; return -1 ; }
  if (!config_get_uint("PH_DKIM_EXPIRE", 0, &expire)) { note(sum, "bad PH_DKIM_EXPIRE") ; return -1 ; }
  if (!ds_from(msg, len, addr, &why)) { note(sum, why) ; return 0 ; }
  domain = strrchr(addr, '@') + 1 ;
  keys.n = 0 ;
  if (!ds_keys_opendkim(&keys, confdir, addr)) { note(sum, "unable to read the OpenDKIM tables") ; return -1 ; }
  ds_keys_rspamd(&keys, confdir, domain) ;
  if (!keys.n)
  {
    note(sum, "no key for") ;
    note(sum, domain) ;
    return 0 ;
  }
  for (unsigned int i = 0 ; i < keys.n ; i++)
  {
    dskey const *k = keys.key + i ;
    int alg = 0 ;
    EVP_PKEY *pkey = load(k->path, &alg, qid) ;
    dkim_signkey key = { .pkey = pkey, .alg = alg, .domain = k->domain, .selector = k->selector } ;
    dkim_signopts o = { .hcanon = hcanon, .bcanon = bcanon, .t = (uint64_t)time(0), .expire = expire, .auid = 0, .eol = eol } ;
    if (!pkey)
    {
      log_event3("dkim_key_error", "qid", qid, "path", k->path, "reason", "unable to read or parse the key") ;
      failed++ ;
      continue ;
    }
    if (!dkim_sign(fields, msg, len, &key, &o, &why))
    {
      EVP_PKEY_free(pkey) ;
      log_event3("dkim_sign_error", "qid", qid, "d", k->domain, "reason", why) ;
      failed++ ;
      continue ;
    }
    EVP_PKEY_free(pkey) ;
    {
      logline l ;
      log_begin(&l, "dkim_signed") ;
      log_kv(&l, "qid", qid) ;
      log_kv(&l, "d", k->domain) ;
      log_kv(&l, "s", k->selector) ;
      log_kv(&l, "a", alg == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256") ;
      log_commit(&l) ;
    }
    note(sum, "d=") ;
    stralloc_cats(sum, k->domain) ;
    stralloc_cats(sum, " s=") ;
    stralloc_cats(sum, k->selector) ;
    signed_++ ;
  }
  if (!signed_ && failed) { note(sum, "no key could be used for") ; note(sum, domain) ; return -1 ; }
  return signed_ ;
}

EVP_PKEY *ds_key_load (char const *path, int *alg, char const *qid)
{
  return load(path, alg, qid) ;
}
