/* ISC license. */

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "smtp_ascii.h"
#include "smtp_cmd.h"

struct verbname_s
{
  char const *lowered ;
  unsigned int verb ;
} ;

static struct verbname_s const verbs[] =
{
  { "helo", SMTP_VERB_HELO },
  { "ehlo", SMTP_VERB_EHLO },
  { "mail", SMTP_VERB_MAIL },
  { "rcpt", SMTP_VERB_RCPT },
  { "data", SMTP_VERB_DATA },
  { "rset", SMTP_VERB_RSET },
  { "noop", SMTP_VERB_NOOP },
  { "quit", SMTP_VERB_QUIT },
  { "vrfy", SMTP_VERB_VRFY },
  { "expn", SMTP_VERB_EXPN },
  { "help", SMTP_VERB_HELP },
  { "starttls", SMTP_VERB_STARTTLS },
  { "auth", SMTP_VERB_AUTH },
  { "bdat", SMTP_VERB_BDAT },
  { "etrn", SMTP_VERB_ETRN },
  { "turn", SMTP_VERB_TURN },
  { "get", SMTP_VERB_HTTP },
  { "post", SMTP_VERB_HTTP },
  { "head", SMTP_VERB_HTTP },
  { "put", SMTP_VERB_HTTP },
  { "connect", SMTP_VERB_HTTP },
  { 0, 0 }
} ;

static char const *const verbnames[SMTP_VERB_N] =
{
  "UNKNOWN", "HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT",
  "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH", "BDAT", "ETRN", "TURN", "HTTP"
} ;

char const *smtp_verb_name (unsigned int verb)
{
  return verb < SMTP_VERB_N ? verbnames[verb] : verbnames[0] ;
}

int smtp_cmd_split (char const *s, size_t len, smtp_cmd *c)
{
  size_t start = 0 ;
  size_t verblen = 0 ;
  c->verb = SMTP_VERB_UNKNOWN ;
  c->arg = s + len ;
  c->arglen = 0 ;
  /* Leading spaces are not RFC 5321 syntax, but harmless to skip. */
  while (start < len && s[start] == ' ') start++ ;
  if (start == len) return 0 ;
  while (start + verblen < len && s[start + verblen] != ' ') verblen++ ;
  for (unsigned int i = 0 ; verbs[i].lowered ; i++)
    if (ascii_caseeq(s + start, verblen, verbs[i].lowered))
    {
      c->verb = verbs[i].verb ;
      break ;
    }
  {
    size_t a = start + verblen ;
    size_t end = len ;
    while (a < end && s[a] == ' ') a++ ;
    while (end > a && s[end - 1] == ' ') end-- ;
    c->arg = s + a ;
    c->arglen = end - a ;
  }
  return 1 ;
}

/* RFC 5321 4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static inline int iskeychar (unsigned char c, int first)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (!first && c == '-') ;
}

/* esmtp-value = 1*(%d33-60 / %d62-126): printable ASCII except "=";
 * RFC 6531 3.3 adds UTF8-non-ascii where UTF-8 is allowed (SMTPUTF8),
 * e.g. an ORCPT=utf-8;<utf-8-addr-unitext> (RFC 6533 3). Each
 * parameter's own check (smtp_params.c) decides what its value may
 * hold; the bytes are UTF-8 only if that check says so. */
static inline int isvaluechar (unsigned char c, int utf8)
{
  return (c >= 33 && c <= 126 && c != '=') || (utf8 && c >= 0x80) ;
}

static unsigned int parse_params (char const *s, size_t len, int utf8, smtp_path *p)
{
  size_t i = 0 ;
  p->nparams = 0 ;
  while (i < len)
  {
    smtp_param *q ;
    size_t k ;
    if (s[i] != ' ') return SMTP_PATH_TRAILING ;
    while (i < len && s[i] == ' ') i++ ;
    if (i == len) break ;
    if (p->nparams >= SMTP_PARAM_MAX) return SMTP_PATH_TOOMANY ;
    q = p->params + p->nparams ;
    k = i ;
    if (!iskeychar((unsigned char)s[i], 1)) return SMTP_PATH_BADPARAM ;
    while (i < len && iskeychar((unsigned char)s[i], 0)) i++ ;
    q->key = s + k ;
    q->keylen = i - k ;
    q->value = 0 ;
    q->valuelen = 0 ;
    if (i < len && s[i] == '=')
    {
      size_t v = ++i ;
      while (i < len && isvaluechar((unsigned char)s[i], utf8)) i++ ;
      if (i == v) return SMTP_PATH_BADPARAM ;
      q->value = s + v ;
      q->valuelen = i - v ;
    }
    if (i < len && s[i] != ' ') return SMTP_PATH_BADPARAM ;
    p->nparams++ ;
  }
  return SMTP_PATH_OK ;
}

unsigned int smtp_cmd_path (char const *arg, size_t arglen, char const *prefix, unsigned int addrflags, smtp_path *p)
{
  size_t i = 0 ;
  size_t n ;
  if (!ascii_caseprefix(arg, arglen, prefix)) return SMTP_PATH_NOPREFIX ;
  while (prefix[i]) i++ ;
  while (i < arglen && arg[i] == ' ') i++ ;
  n = addr_parse_path(arg + i, arglen - i, &p->addr, addrflags) ;
  if (!n) return SMTP_PATH_ADDR ;
  i += n ;
  return parse_params(arg + i, arglen - i, !!(addrflags & ADDR_UTF8_OK), p) ;
}

int smtp_cmd_bdat (char const *arg, size_t arglen, uint64_t *size, int *last)
{
  size_t i = 0 ;
  uint64_t r = 0 ;
  while (i < arglen && arg[i] >= '0' && arg[i] <= '9')
  {
    unsigned int d = (unsigned int)(arg[i] - '0') ;
    if (i >= 20 || r > (UINT64_MAX - d) / 10) return 0 ;
    r = r * 10 + d ;
    i++ ;
  }
  if (!i) return 0 ;
  *size = r ;
  *last = 0 ;
  if (i == arglen) return 1 ;
  if (arg[i] != ' ') return 0 ;
  while (i < arglen && arg[i] == ' ') i++ ;
  if (!ascii_caseeq(arg + i, arglen - i, "last")) return 0 ;
  *last = 1 ;
  return 1 ;
}
