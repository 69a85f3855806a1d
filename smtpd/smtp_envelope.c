/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>

#include "common/addr.h"
#include "common/log.h"
#include "smtp_cmd.h"
#include "smtp_session.h"

/* MAIL and RCPT (RFC 5321 4.1.1.2, 4.1.1.3). */

static void refuse (smtp_session *s, char const *cmd, unsigned int code, char const *enh, char const *text, char const *reason)
{
  smtp_verdict v = { .code = code, .enh = enh, .text = text, .reason = reason } ;
  smtp_refuse(s, &v, cmd, 0, 0) ;
}

/* A path that did not parse: which reply? addrenh is 5.1.7 (sender) or
 * 5.1.3 (recipient), RFC 3463 3.2. */
static void bad_path (smtp_session *s, char const *cmd, unsigned int err, char const *addrenh, char const *syntax)
{
  switch (err)
  {
    case SMTP_PATH_NOPREFIX :
      refuse(s, cmd, 501, "5.5.4", syntax, "syntax") ; break ;
    case SMTP_PATH_ADDR :
      if (errno == EILSEQ)
        /* RFC 6531 3.7.4.1: no SMTPUTF8 offered, so no UTF-8 address */
        refuse(s, cmd, 553, "5.6.7", "non-ASCII address not allowed", "bad_address") ;
      else if (errno == ENAMETOOLONG)
        refuse(s, cmd, 501, addrenh, "address too long", "bad_address") ;
      else
        refuse(s, cmd, 501, addrenh, "bad address syntax", "bad_address") ;
      break ;
    case SMTP_PATH_TOOMANY :
      refuse(s, cmd, 501, "5.5.4", "too many parameters", "syntax") ; break ;
    default :
      refuse(s, cmd, 501, "5.5.4", "bad parameter syntax", "syntax") ; break ;
  }
}

void smtp_do_mail (smtp_session *s, smtp_cmd const *c)
{
  smtp_path p ;
  smtp_mailparams mp ;
  unsigned int bad = 0 ;
  unsigned int r ;
  if (s->hello == SMTP_HELLO_NONE) { refuse(s, "MAIL", 503, "5.5.1", "send HELO or EHLO first", "sequence") ; return ; }
  if (s->inmail) { refuse(s, "MAIL", 503, "5.5.1", "nested MAIL command", "sequence") ; return ; }
  r = smtp_cmd_path(c->arg, c->arglen, "from:", ADDR_EMPTY_OK, &p) ;
  if (r) { bad_path(s, "MAIL", r, "5.1.7", "syntax: MAIL FROM:<address>") ; return ; }
  /* RFC 5321 4.1.1.11, RFC 1869: parameters exist only after EHLO */
  if (p.nparams && s->hello != SMTP_HELLO_EHLO) { refuse(s, "MAIL", 555, "5.5.4", "parameters require EHLO", "bad_param") ; return ; }
  switch (smtp_cmd_mailparams(&p, &mp, &bad))
  {
    case SMTP_PARAM_OK : break ;
    case SMTP_PARAM_UNKNOWN : refuse(s, "MAIL", 555, "5.5.4", "unsupported parameter", "bad_param") ; return ;
    case SMTP_PARAM_DUPLICATE : refuse(s, "MAIL", 501, "5.5.4", "duplicate parameter", "bad_param") ; return ;
    default : refuse(s, "MAIL", 501, "5.5.4", "bad parameter value", "bad_param") ; return ;
  }
  /* RFC 1870 section 6.2 */
  if (mp.hassize && s->engine->maxsize && mp.size > s->engine->maxsize)
  {
    refuse(s, "MAIL", 552, "5.3.4", "message size exceeds fixed maximum message size", "size") ;
    return ;
  }
  memcpy(s->sender, p.addr.s, p.addr.len) ;
  s->sender[p.addr.len] = 0 ;
  s->mailparams = mp ;
  s->inmail = 1 ;
  s->rcpts.len = 0 ;
  s->nrcpt = 0 ;
  smtp_reply(s, 250, "2.1.0", "Ok") ;
}

static char fold (char c)
{
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c ;
}

/* Same lookup key (addr_key: canonical form, ASCII letters folded)? The
 * envelope holds canonical forms, so folding them is enough. */
static int same_key (char const *a, char const *b, size_t len)
{
  size_t i = 0 ;
  for (; i < len ; i++) if (fold(a[i]) != fold(b[i])) return 0 ;
  return 1 ;
}

/* RFC 5321 allows the same recipient twice in one transaction; it is
 * accepted and kept once, so that the mailbox gets one copy (Postfix
 * does the same). The first spelling stays in the envelope. */
static int have_rcpt (smtp_session const *s, char const *rcpt, size_t len)
{
  size_t i = 0 ;
  while (i < s->rcpts.len)
  {
    size_t n = strlen(s->rcpts.s + i) ;
    if (n == len && same_key(s->rcpts.s + i, rcpt, len)) return 1 ;
    i += n + 1 ;
  }
  return 0 ;
}

void smtp_do_rcpt (smtp_session *s, smtp_cmd const *c)
{
  smtp_path p ;
  smtp_verdict v = { .code = 451, .enh = "4.3.0", .text = "internal error", .reason = "internal" } ;
  char rcpt[ADDR_PATH_MAX + 3] ;
  unsigned int r ;
  if (!s->inmail) { refuse(s, "RCPT", 503, "5.5.1", "need MAIL command", "sequence") ; return ; }
  r = smtp_cmd_path(c->arg, c->arglen, "to:", ADDR_POSTMASTER_OK, &p) ;
  if (r) { bad_path(s, "RCPT", r, "5.1.3", "syntax: RCPT TO:<address>") ; return ; }
  /* no RCPT parameter is implemented (no DSN yet) */
  if (p.nparams) { refuse(s, "RCPT", 555, "5.5.4", "unsupported parameter", "bad_param") ; return ; }
  /* RFC 5321 4.5.3.1.8 and 4.5.3.1.10: 452 for too many recipients */
  if (s->nrcpt >= s->engine->maxrcpt) { refuse(s, "RCPT", 452, "4.5.3", "too many recipients", "too_many_rcpt") ; return ; }
  rcpt[0] = 0 ;
  (*s->engine->rcptcheck)(s, &p.addr, rcpt, &v) ;
  if (v.code >= 400)
  {
    smtp_refuse(s, &v, "RCPT", "rcpt", p.addr.s) ;
    return ;
  }
  {
    size_t n = strlen(rcpt) ;
    if (!have_rcpt(s, rcpt, n))
    {
      if (!stralloc_catb(&s->rcpts, rcpt, n + 1))
      {
        refuse(s, "RCPT", 452, "4.3.1", "out of memory", "nomem") ;
        return ;
      }
      s->nrcpt++ ;
    }
  }
  smtp_reply(s, v.code, v.enh, v.text) ;
}
