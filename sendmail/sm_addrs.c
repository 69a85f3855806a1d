/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>

#include "common/addr.h"
#include "common/rfc5322addr.h"
#include "sendmail.h"

/* Each mailbox of the list must also be a valid RFC 5321 mailbox
 * (common/addr.h), because that is what goes into the envelope; a bare
 * local part gets "@domain", as Postfix appends $myorigin. */

typedef struct addctx_s addctx ;
struct addctx_s
{
  sm_addrs *a ;
  char const *domain ;
  size_t domainlen ;
  char *bad ;
  size_t badmax ;
} ;

static void set_bad (addctx *c, char const *s, size_t len)
{
  if (!c->badmax) return ;
  if (len > c->badmax - 1) len = c->badmax - 1 ;
  memcpy(c->bad, s, len) ;
  c->bad[len] = 0 ;
}

static int known (sm_addrs const *a, char const *key, size_t klen)
{
  size_t i = 0 ;
  while (i < a->keys.len)
  {
    size_t n = strlen(a->keys.s + i) ;
    if (n == klen && !memcmp(a->keys.s + i, key, klen)) return 1 ;
    i += n + 1 ;
  }
  return 0 ;
}

static int add_one (rfc5322addr const *r, void *ctx)
{
  addctx *c = ctx ;
  char buf[RFC5322ADDR_MAX + ADDR_DOMAIN_MAX + 2] ;
  char key[ADDR_PATH_MAX + 3] ;
  mailaddr m ;
  size_t n = r->len ;
  size_t klen ;
  memcpy(buf, r->s, n) ;
  if (r->at == r->len)
  {
    buf[n++] = '@' ;
    memcpy(buf + n, c->domain, c->domainlen) ;
    n += c->domainlen ;
  }
  if (!addr_parse_mailbox(buf, n, &m, ADDR_UTF8_OK) || m.at >= m.len)
  {
    if (errno != ENAMETOOLONG && errno != EILSEQ) errno = EINVAL ;
    set_bad(c, r->s, r->len) ;
    return 0 ;
  }
  klen = addr_key(&m, key) ;
  if (known(c->a, key, klen)) return 1 ;
  if (c->a->n >= SM_RCPT_MAX) { set_bad(c, r->s, r->len) ; return (errno = E2BIG, 0) ; }
  if (!stralloc_catb(&c->a->list, m.s, m.len + 1) || !stralloc_catb(&c->a->keys, key, klen) || !stralloc_0(&c->a->keys)) return 0 ;
  c->a->n++ ;
  if (m.utf8) c->a->utf8 = 1 ;
  return 1 ;
}

int sm_addrs_add (sm_addrs *a, char const *s, size_t len, char const *domain, char *bad, size_t badmax)
{
  addctx c = { .a = a, .domain = domain, .domainlen = strlen(domain), .bad = bad, .badmax = badmax } ;
  int r ;
  if (badmax) bad[0] = 0 ;
  if (c.domainlen > ADDR_DOMAIN_MAX) return (errno = ENAMETOOLONG, 0) ;
  r = rfc5322addr_parse(s, len, RFC5322ADDR_BARE_OK, &add_one, &c) ;
  if (!r) set_bad(&c, s, len) ;
  return r == 1 ;
}
