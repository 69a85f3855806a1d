/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/random.h>
#include <skalibs/stralloc.h>

#include "common/addr.h"
#include "common/log.h"
#include "smtp_cmd.h"
#include "smtp_session.h"

/* MAIL and RCPT (RFC 5321 4.1.1.2, 4.1.1.3). */

static void refuse (smtp_session *s, char const *cmd, unsigned int code, char const *enh, char const *text, char const *reason)
{
  smtp_refuse4(s, cmd, code, enh, text, reason) ;
}

static void non_ascii (smtp_session *s, char const *cmd)
{
  /* RFC 6531 3.7.4.1: a UTF-8 address needs SMTPUTF8 on the MAIL command */
  refuse(s, cmd, 553, "5.6.7", "non-ASCII address requires SMTPUTF8", "bad_address") ;
}

/* A path that did not parse: which reply? addrenh is 5.1.7 (sender) or
 * 5.1.3 (recipient), RFC 3463 3.2. */
static void bad_path (smtp_session *s, char const *cmd, unsigned int err, int utf8ok, char const *addrenh, char const *syntax)
{
  switch (err)
  {
    case SMTP_PATH_NOPREFIX :
      refuse(s, cmd, 501, "5.5.4", syntax, "syntax") ; break ;
    case SMTP_PATH_ADDR :
      /* EILSEQ: UTF-8 where it was not allowed, or malformed UTF-8 */
      if (errno == EILSEQ)
      {
        if (utf8ok) refuse(s, cmd, 501, addrenh, "malformed UTF-8 in address", "bad_address") ;
        else non_ascii(s, cmd) ;
      }
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

static int param_error (smtp_session *s, char const *cmd, unsigned int r)
{
  switch (r)
  {
    case SMTP_PARAM_OK : return 0 ;
    case SMTP_PARAM_UNKNOWN : refuse(s, cmd, 555, "5.5.4", "unsupported parameter", "bad_param") ; break ;
    case SMTP_PARAM_DUPLICATE : refuse(s, cmd, 501, "5.5.4", "duplicate parameter", "bad_param") ; break ;
    default : refuse(s, cmd, 501, "5.5.4", "bad parameter value", "bad_param") ; break ;
  }
  return 1 ;
}

/* A random id for the transaction: [0-9A-Za-z], about 95 bits. It is
 * the policy service's "instance", the Received header's id and the
 * smtpid= of the log (the queue id exists only after the commit). */
static void make_id (char *id)
{
  static char const alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" ;
  unsigned char r[SMTP_ID_LEN] ;
  random_buf((char *)r, SMTP_ID_LEN) ;
  for (unsigned int i = 0 ; i < SMTP_ID_LEN ; i++) id[i] = alphabet[r[i] % 62] ;
  id[SMTP_ID_LEN] = 0 ;
}

void smtp_do_mail (smtp_session *s, smtp_cmd const *c)
{
  smtp_path p ;
  smtp_mailparams mp ;
  smtp_hooks const *h = s->engine->hooks ;
  unsigned int bad = 0 ;
  unsigned int r ;
  smtp_deadline(s, s->engine->timeouts.mail) ;
  if (s->hello == SMTP_HELLO_NONE) { refuse(s, "MAIL", 503, "5.5.1", "send HELO or EHLO first", "sequence") ; return ; }
  if (s->inmail) { refuse(s, "MAIL", 503, "5.5.1", "nested MAIL command", "sequence") ; return ; }
  if (h && h->mailgate)
  {
    smtp_verdict v = { .code = 0 } ;
    (*h->mailgate)(s, &v) ;
    if (v.code >= 400) { smtp_refuse(s, &v, "MAIL", 0, 0) ; return ; }
  }
  /* UTF-8 is parsed here and allowed below only with SMTPUTF8, which
   * comes after the path on the same line. */
  r = smtp_cmd_path(c->arg, c->arglen, "from:", ADDR_EMPTY_OK | ADDR_UTF8_OK, &p) ;
  if (r) { bad_path(s, "MAIL", r, 1, "5.1.7", "syntax: MAIL FROM:<address>") ; return ; }
  /* RFC 5321 4.1.1.11, RFC 1869: parameters exist only after EHLO */
  if (p.nparams && s->hello != SMTP_HELLO_EHLO) { refuse(s, "MAIL", 555, "5.5.4", "parameters require EHLO", "bad_param") ; return ; }
  if (param_error(s, "MAIL", smtp_cmd_mailparams(&p, &mp, &bad))) return ;
  /* RFC 4954 5: AUTH= exists only where AUTH does */
  if (mp.hasauth && !(h && h->auth)) { refuse(s, "MAIL", 555, "5.5.4", "unsupported parameter", "bad_param") ; return ; }
  if (p.addr.utf8 && !mp.smtputf8) { non_ascii(s, "MAIL") ; return ; }
  /* RFC 8689 4: REQUIRETLS is offered, and may be asked for, only over TLS */
  if (mp.requiretls && !s->tls) { refuse(s, "MAIL", 530, "5.7.10", "REQUIRETLS needs a TLS session", "requiretls") ; return ; }
  /* RFC 1870 section 6.2 */
  if (mp.hassize && s->engine->maxsize && mp.size > s->engine->maxsize)
  {
    refuse(s, "MAIL", 552, "5.3.4", "message size exceeds fixed maximum message size", "size") ;
    return ;
  }
  smtp_reset(s) ;
  if (h && h->mailcheck)
  {
    smtp_verdict v = { .code = 0 } ;
    (*h->mailcheck)(s, &p, &mp, &v) ;
    if (v.code >= 400) { smtp_refuse(s, &v, "MAIL", "from", p.addr.s) ; return ; }
  }
  memcpy(s->sender, p.addr.s, p.addr.len) ;
  s->sender[p.addr.len] = 0 ;
  s->mailparams = mp ;
  s->inmail = 1 ;
  make_id(s->id) ;
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
 * does the same). The first spelling, and its DSN parameters, stay in
 * the envelope. */
static int have_rcpt (smtp_session const *s, char const *rcpt, size_t len)
{
  size_t i = 0 ;
  while (i < s->rcpts.len)
  {
    char const *rec = s->rcpts.s + i ;
    size_t n = strlen(rec) ;
    if (rec[0] == 'T' && n - 1 == len && same_key(rec + 1, rcpt, len)) return 1 ;
    i += n + 1 ;
  }
  return 0 ;
}

/* Appends "T<rcpt>\0" and its "N<param>\0" records (RFC 3461 NOTIFY and
 * ORCPT as received, for the DSN generator). */
static int add_rcpt (smtp_session *s, char const *rcpt, size_t len, smtp_rcptparams const *rp)
{
  size_t base = s->rcpts.len ;
  if (!stralloc_catb(&s->rcpts, "T", 1) || !stralloc_catb(&s->rcpts, rcpt, len + 1)) goto err ;
  if (rp->notify)
  {
    char v[32] = "NNOTIFY=" ;
    size_t n = 8 + smtp_notify_fmt(v + 8, rp->notify) ;
    if (!stralloc_catb(&s->rcpts, v, n + 1)) goto err ;
  }
  if (rp->hasorcpt)
  {
    if (!stralloc_cats(&s->rcpts, "NORCPT=") || !stralloc_catb(&s->rcpts, rp->orcpt, strlen(rp->orcpt) + 1)) goto err ;
  }
  return 1 ;
 err:
  s->rcpts.len = base ;
  return 0 ;
}

void smtp_do_rcpt (smtp_session *s, smtp_cmd const *c)
{
  smtp_path p ;
  smtp_rcptparams rp ;
  smtp_verdict v = { .code = 451, .enh = "4.3.0", .text = "internal error", .reason = "internal" } ;
  char rcpt[ADDR_PATH_MAX + 3] ;
  unsigned int bad = 0 ;
  unsigned int r ;
  smtp_deadline(s, s->engine->timeouts.rcpt) ;
  if (!s->inmail) { refuse(s, "RCPT", 503, "5.5.1", "need MAIL command", "sequence") ; return ; }
  /* RFC 3030 2: the envelope went to the queue with the first chunk */
  if (s->bdat) { refuse(s, "RCPT", 503, "5.5.1", "RCPT after BDAT", "sequence") ; return ; }
  r = smtp_cmd_path(c->arg, c->arglen, "to:", ADDR_POSTMASTER_OK | (s->mailparams.smtputf8 ? ADDR_UTF8_OK : 0), &p) ;
  if (r) { bad_path(s, "RCPT", r, s->mailparams.smtputf8, "5.1.3", "syntax: RCPT TO:<address>") ; return ; }
  if (p.nparams && s->hello != SMTP_HELLO_EHLO) { refuse(s, "RCPT", 555, "5.5.4", "parameters require EHLO", "bad_param") ; return ; }
  if (param_error(s, "RCPT", smtp_cmd_rcptparams(&p, &rp, &bad))) return ;
  rcpt[0] = 0 ;
  (*s->engine->rcptcheck)(s, &p.addr, rcpt, &v) ;
  if (v.code < 400)
  {
    size_t n = strlen(rcpt) ;
    /* A recipient we have already is accepted again, as it was. */
    if (have_rcpt(s, rcpt, n)) { smtp_reply(s, v.code, v.enh, v.text) ; return ; }
    /* RFC 5321 4.5.3.1.8 and 4.5.3.1.10: 452 for too many recipients */
    if (s->nrcpt >= s->engine->maxrcpt) { refuse(s, "RCPT", 452, "4.5.3", "too many recipients", "too_many_rcpt") ; return ; }
    /* The policy service is asked only about recipients we would take:
     * it cannot open a relay (Postfix's advice: after
     * reject_unauth_destination). */
    if (s->engine->pclient) smtp_policy_rcpt(s, p.addr.s, &v) ;
  }
  if (v.code >= 400)
  {
    smtp_refuse(s, &v, "RCPT", "rcpt", p.addr.s) ;
    return ;
  }
  if (!add_rcpt(s, rcpt, strlen(rcpt), &rp))
  {
    refuse(s, "RCPT", 452, "4.3.1", "out of memory", "nomem") ;
    return ;
  }
  s->nrcpt++ ;
  smtp_reply(s, v.code, v.enh, v.text) ;
}
