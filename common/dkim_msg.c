/* ISC license. */

/* The message as DKIM sees it: header fields, the h= selection of
 * RFC 6376 §5.4.2, and the body hash. */

#include <stdint.h>
#include <errno.h>

#include <openssl/evp.h>

#include <skalibs/bytestr.h>
#include <skalibs/genalloc.h>

#include "common/dkim-internal.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')

/* The end of the line at s[i]: *next gets the start of the next line. */
static size_t line_end (char const *s, size_t len, size_t i, size_t *next)
{
  size_t e = i + byte_chr(s + i, len - i, '\n') ;
  if (e == len) { *next = len ; return len ; }
  *next = e + 1 ;
  return e > i && s[e-1] == '\r' ? e - 1 : e ;
}

int dkim_split (char const *msg, size_t len, genalloc *fields, size_t *body, char const **why)
{
  size_t i = 0 ;
  genalloc_setlen(dkim_field, fields, 0) ;
  while (i < len)
  {
    dkim_field f ;
    size_t next ;
    size_t e = line_end(msg, len, i, &next) ;
    if (e == i) { *body = next ; return 1 ; }   /* the empty line */
    f.off = i ;
    /* continuation lines start with WSP (RFC 5322 §2.2.3) */
    while (next < len && IS_WSP(msg[next])) e = line_end(msg, len, next, &next) ;
    f.len = e - i ;
    if (f.len > DKIM_FIELD_MAX) return (*why = "header field too long", 0) ;
    if (genalloc_len(dkim_field, fields) >= DKIM_HEADERS_MAX) return (*why = "too many header fields", 0) ;
    {
      size_t colon = byte_chr(msg + i, f.len, ':') ;
      size_t n = colon ;
      while (n && IS_WSP(msg[i + n - 1])) n-- ;
      f.namelen = colon < f.len ? n : 0 ;
    }
    if (!genalloc_append(dkim_field, fields, &f)) return (*why = "out of memory", 0) ;
    i = next ;
  }
  *body = len ;   /* no empty line: no body */
  return 1 ;
}

int dkim_field_is (char const *msg, dkim_field const *f, char const *name, size_t namelen)
{
  return f->namelen == namelen && namelen && !case_diffb(msg + f->off, namelen, name) ;
}

static void md_sink (void *ctx, char const *s, size_t len)
{
  EVP_DigestUpdate((EVP_MD_CTX *)ctx, s, len) ;
}

int dkim_hash_headers (EVP_MD_CTX *md, char const *msg, dkim_field const *fields, size_t nfields, char const *const *names, size_t const *lens, unsigned int n, int canon)
{
  for (unsigned int k = 0 ; k < n ; k++)
  {
    unsigned int taken = 0 ;
    size_t i = nfields ;
    /* how many instances earlier names of the list took */
    for (unsigned int j = 0 ; j < k ; j++)
      if (lens[j] == lens[k] && !case_diffb(names[j], lens[j], names[k])) taken++ ;
    while (i--)
    {
      if (!dkim_field_is(msg, fields + i, names[k], lens[k])) continue ;
      if (taken) { taken-- ; continue ; }
      dkim_canon_header(canon, msg + fields[i].off, fields[i].len, 1, &md_sink, md) ;
      break ;
    }
  }
  return 1 ;
}

typedef struct limited_s limited ;
struct limited_s
{
  EVP_MD_CTX *md ;
  uint64_t limit ;
  uint64_t total ;
} ;

static void limited_sink (void *ctx, char const *s, size_t len)
{
  limited *l = ctx ;
  if (l->total < l->limit)
  {
    uint64_t room = l->limit - l->total ;
    EVP_DigestUpdate(l->md, s, len < room ? len : (size_t)room) ;
  }
  l->total += len ;
}

int dkim_body_hash (char const *body, size_t len, int canon, uint64_t limit, unsigned char *out, uint64_t *total)
{
  static dkim_body b ;   /* 4 KiB of buffer: not on the stack of a fuzzer */
  limited l = { .md = EVP_MD_CTX_new(), .limit = limit, .total = 0 } ;
  unsigned int outlen = 0 ;
  int ok ;
  if (!l.md) return (errno = ENOMEM, 0) ;
  ok = EVP_DigestInit_ex(l.md, dkim_sha256(), 0) ;
  if (ok)
  {
    dkim_body_init(&b, canon, &limited_sink, &l) ;
    dkim_body_update(&b, body, len) ;
    dkim_body_final(&b) ;
    ok = EVP_DigestFinal_ex(l.md, out, &outlen) && outlen == 32 ;
  }
  EVP_MD_CTX_free(l.md) ;
  *total = l.total ;
  return ok ;
}
