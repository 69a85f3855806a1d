/* ISC license. */

/* libFuzzer harness for smtpd's command-line parser (smtpd/smtp_cmd.c):
 * verb and argument split, MAIL/RCPT path and parameter parsing, MAIL
 * parameter interpretation. The session hands the parser lines without
 * CR, LF or NUL (lineio refuses those first), so the harness does too;
 * everything else is arbitrary. Invariants: every pointer the parser
 * returns stays inside the line, the verb is in range, parsed parameters
 * are well-formed, and a parsed address is NUL-terminated. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "smtpd/smtp_cmd.h"

#define die() abort()

static int inside (char const *p, size_t n, char const *line, size_t len)
{
  return p >= line && p + n <= line + len ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char *line ;
  size_t len ;
  smtp_cmd c ;
  unsigned int addrflags ;
  if (!size) return 0 ;
  addrflags = data[0] & (ADDR_EMPTY_OK | ADDR_UTF8_OK | ADDR_POSTMASTER_OK | ADDR_LIMITS_LAX) ;
  len = size - 1 ;
  if (memchr(data + 1, '\r', len) || memchr(data + 1, '\n', len) || memchr(data + 1, 0, len)) return 0 ;
  /* an exact-size copy, so ASan sees any read past the line */
  line = malloc(len ? len : 1) ;
  if (!line) die() ;
  memcpy(line, data + 1, len) ;

  if (smtp_cmd_split(line, len, &c))
  {
    if (c.verb >= SMTP_VERB_N) die() ;
    if (!inside(c.arg, c.arglen, line, len)) die() ;
    if (c.arglen && (c.arg[0] == ' ' || c.arg[c.arglen - 1] == ' ')) die() ;
    if (!smtp_verb_name(c.verb)) die() ;
  }
  else if (c.verb != SMTP_VERB_UNKNOWN || c.arglen) die() ;

  /* Parse the argument as both MAIL and RCPT, whatever the verb, so
   * every input exercises the path parser. */
  for (unsigned int k = 0 ; k < 2 ; k++)
  {
    smtp_path p ;
    unsigned int r = smtp_cmd_path(c.arg, c.arglen, k ? "to:" : "from:", addrflags, &p) ;
    if (r == SMTP_PATH_OK || r == SMTP_PATH_TRAILING || r == SMTP_PATH_BADPARAM || r == SMTP_PATH_TOOMANY)
    {
      /* the path itself parsed */
      if (p.addr.len > ADDR_PATH_MAX + 2 || p.addr.s[p.addr.len] || strlen(p.addr.s) != p.addr.len) die() ;
      if (p.addr.at > p.addr.len) die() ;
    }
    if (r != SMTP_PATH_OK) continue ;
    if (p.nparams > SMTP_PARAM_MAX) die() ;
    for (unsigned int i = 0 ; i < p.nparams ; i++)
    {
      smtp_param const *q = p.params + i ;
      if (!q->keylen || !inside(q->key, q->keylen, line, len)) die() ;
      if (q->value && (!q->valuelen || !inside(q->value, q->valuelen, line, len))) die() ;
      if (memchr(q->key, ' ', q->keylen) || memchr(q->key, '=', q->keylen)) die() ;
      if (q->value && (memchr(q->value, ' ', q->valuelen) || memchr(q->value, '=', q->valuelen))) die() ;
    }
    {
      smtp_mailparams mp ;
      unsigned int bad = 0 ;
      unsigned int e = smtp_cmd_mailparams(&p, &mp, &bad) ;
      if (e != SMTP_PARAM_OK && bad >= p.nparams) die() ;
      if (e == SMTP_PARAM_OK && mp.body > SMTP_BODY_8BITMIME) die() ;
    }
  }
  free(line) ;
  return 0 ;
}
