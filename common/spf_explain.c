/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

/* exp= (RFC 7208 §6.2): the target's one TXT record, its strings joined,
 * expanded as a macro-string where c, r and t are allowed. A DNS error,
 * no record, several records, a non-ASCII byte or a syntax error mean
 * "as if no exp modifier was given": the result stays fail, without
 * explanation. Whatever went wrong here leaves c->problem as it was. */

void spf_explain (spf_ctx *c, char const *domain, spf_term const *exp, char *out, size_t max)
{
  static char text[SPF_RECORD_MAX + 1] ;
  char problem[SPF_TEXT_MAX] ;
  char target[DNS_NAME_MAX + 1] ;
  dns_query q ;
  size_t pos = 0, len, n ;
  char const *rdata ;
  ssize_t tlen = -1 ;
  unsigned int records = 0 ;
  int error = c->error ;
  memcpy(problem, c->problem, sizeof(problem)) ;
  out[0] = 0 ;
  if (spf_target(c, domain, exp->spec, exp->speclen, target) != 1) goto end ;
  dns_query_init(&q, target, DNS_T_TXT) ;
  spf_lookup(c, &q, 1) ;
  while (dns_record_next(&q, &pos, &rdata, &len))
    if (!records++) tlen = spf_txt_join(rdata, len, text, sizeof(text)) ;
  dns_query_free(&q) ;
  if (records != 1 || tlen < 0) goto end ;
  for (ssize_t i = 0 ; i < tlen ; i++)
    if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e) goto end ;
  {
    static char buf[SPF_EXPAND_MAX] ;
    if (!spf_expand(c, domain, text, (size_t)tlen, 1, buf, sizeof(buf), &n)) goto end ;
    if (n > max - 1) n = max - 1 ;
    memcpy(out, buf, n) ;
    out[n] = 0 ;
  }
 end:
  memcpy(c->problem, problem, sizeof(problem)) ;
  c->error = error ;
}
