/* ISC license. */

/* libFuzzer harness for smtpd's command-line parser (smtpd/smtp_cmd.c):
 * verb and argument split, MAIL/RCPT path and parameter parsing, the
 * MAIL and RCPT parameters (smtpd/smtp_params.c: RFC 1870, 6152, 6531,
 * 3461, 8689), xtext, and the BDAT argument. The session hands the parser lines without
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
      if (e > SMTP_PARAM_DUPLICATE) die() ;
      if (e != SMTP_PARAM_OK && bad >= p.nparams) die() ;
      if (e == SMTP_PARAM_OK)
      {
        size_t n = strlen(mp.envid) ;
        if (mp.body > SMTP_BODY_8BITMIME || mp.ret > SMTP_RET_HDRS) die() ;
        /* ENVID: kept only when valid xtext of at most 100 characters */
        if (n > SMTP_ENVID_MAX || (mp.hasenvid ? !n || !smtp_xtext_valid(mp.envid, n) : !!n)) die() ;
      }
    }
    {
      smtp_rcptparams rp ;
      unsigned int bad = 0 ;
      unsigned int e = smtp_cmd_rcptparams(&p, &rp, &bad) ;
      if (e > SMTP_PARAM_DUPLICATE) die() ;
      if (e != SMTP_PARAM_OK && bad >= p.nparams) die() ;
      if (e == SMTP_PARAM_OK)
      {
        size_t n = strlen(rp.orcpt) ;
        char const *semi = memchr(rp.orcpt, ';', n) ;
        if (rp.notify & ~0x0fu) die() ;
        /* RFC 3461 4.1: NEVER stands alone */
        if (rp.notify & SMTP_NOTIFY_NEVER && rp.notify != SMTP_NOTIFY_NEVER) die() ;
        if (n > SMTP_ORCPT_MAX || (rp.hasorcpt != !!n)) die() ;
        if (n && (!semi || semi == rp.orcpt || !smtp_xtext_valid(semi + 1, n - (size_t)(semi + 1 - rp.orcpt)))) die() ;
        if (rp.notify)
        {
          /* what goes in the envelope reads back the same */
          char v[32] = "NOTIFY=" ;
          smtp_path q ;
          smtp_rcptparams rq ;
          size_t vl = 7 + smtp_notify_fmt(v + 7, rp.notify) ;
          memset(&q, 0, sizeof(q)) ;
          q.nparams = 1 ;
          q.params[0].key = v ; q.params[0].keylen = 6 ;
          q.params[0].value = v + 7 ; q.params[0].valuelen = vl - 7 ;
          if (smtp_cmd_rcptparams(&q, &rq, &bad) != SMTP_PARAM_OK || rq.notify != rp.notify) die() ;
        }
      }
    }
  }

  /* The BDAT argument: a size, then maybe LAST, and nothing else. */
  {
    uint64_t size = 0 ;
    int last = -1 ;
    if (smtp_cmd_bdat(c.arg, c.arglen, &size, &last))
    {
      size_t i = 0 ;
      if (last != 0 && last != 1) die() ;
      while (i < c.arglen && c.arg[i] >= '0' && c.arg[i] <= '9') i++ ;
      if (!i || i > 20) die() ;
      if (!last && i != c.arglen) die() ;
      if (last && (c.arglen < i + 5 || c.arg[i] != ' ')) die() ;
    }
  }

  /* xtext over the whole line: every "+" must start "+HH" */
  if (smtp_xtext_valid(line, len))
  {
    for (size_t i = 0 ; i < len ; i++)
    {
      unsigned char ch = (unsigned char)line[i] ;
      if (ch < 33 || ch > 126 || ch == '=') die() ;
      if (ch == '+') { if (i + 2 >= len) die() ; i += 2 ; }
    }
  }
  free(line) ;
  return 0 ;
}
