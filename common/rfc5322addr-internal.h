/* ISC license. */

#ifndef POSTHASTE_RFC5322ADDR_INTERNAL_H
#define POSTHASTE_RFC5322ADDR_INTERNAL_H

#include <stddef.h>

#include "common/rfc5322addr.h"

/* Token types; the specials ". @ < > : ; ," are their own character. */
#define RFC5322TOK_END 0
#define RFC5322TOK_ATOM 1       /* 1*atext */
#define RFC5322TOK_QUOTED 2     /* a quoted-string, quotes included */
#define RFC5322TOK_LITERAL 3    /* a domain-literal, brackets included */

typedef struct rfc5322tok_s rfc5322tok, *rfc5322tok_ref ;
struct rfc5322tok_s
{
  int type ;
  size_t start ;
  size_t len ;
} ;

/* Skips CFWS from *pos, then reads one token of s[0..len) and moves *pos
 * past it. Returns the token type (RFC5322TOK_END at the end), or -1 with
 * errno EINVAL on bytes no token can hold. */
extern int rfc5322addr_token (char const *s, size_t len, size_t *pos, rfc5322tok *t) ;

#endif
