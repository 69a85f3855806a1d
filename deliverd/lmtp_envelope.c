/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/genalloc.h>
#include <skalibs/random.h>
#include <skalibs/stralloc.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/rcpt.h"
#include "smtpd/smtp_cmd.h"
#include "lmtp.h"

/* MAIL and RCPT (RFC 5321 4.1.1.2, 4.1.1.3; RFC 2033 4.2). LMTP is
 * final delivery: a recipient is taken only if it resolves to Maildirs
 * here, and nothing is relayed. */

static void non_ascii (lmtp_session *s, char const *cmd)
{
  /* RFC 6531 3.7.4.1: a UTF-8 address needs SMTPUTF8 on the MAIL command */
  lmtp_refuse(s, cmd, 553, "5.6.7", "non-ASCII address requires SMTPUTF8", "bad_address", 0) ;
}

/* A path that did not parse. addrenh: 5.1.7 (sender) or 5.1.3
 * (recipient), RFC 3463 3.2. */
static void bad_path (lmtp_session *s, char const *cmd, unsigned int err, int utf8ok, char const *addrenh, char const *syntax)
{
  switch (err)
  {
    case SMTP_PATH_NOPREFIX :
      lmtp_refuse(s, cmd, 501, "5.5.4", syntax, "syntax", 0) ; break ;
    case SMTP_PATH_ADDR :
      if (errno == EILSEQ && !utf8ok) non_ascii(s, cmd) ;
      else lmtp_refuse(s, cmd, 501, addrenh, errno == EILSEQ ? "malformed UTF-8 in address" : errno == ENAMETOOLONG ? "address too long" : "bad address syntax", "bad_address", 0) ;
      break ;
    case SMTP_PATH_TOOMANY :
      lmtp_refuse(s, cmd, 501, "5.5.4", "too many parameters", "syntax", 0) ; break ;
    default :
      lmtp_refuse(s, cmd, 501, "5.5.4", "bad parameter syntax", "syntax", 0) ; break ;
  }
}

static int param_error (lmtp_session *s, char const *cmd, unsigned int r)
{
  switch (r)
  {
    case SMTP_PARAM_OK : return 0 ;
    case SMTP_PARAM_UNKNOWN : lmtp_refuse(s, cmd, 555, "5.5.4", "unsupported parameter", "bad_param", 0) ; break ;
    case SMTP_PARAM_DUPLICATE : lmtp_refuse(s, cmd, 501, "5.5.4", "duplicate parameter", "bad_param", 0) ; break ;
    default : lmtp_refuse(s, cmd, 501, "5.5.4", "bad parameter value", "bad_param", 0) ; break ;
  }
  return 1 ;
}

/* A random id for the transaction, [0-9A-Za-z]: the qid= of our log
 * lines (there is no posthaste queue id: the MTA's queue holds the
 * message), the Received header's id, and each 250 reply's text, which
 * the MTA logs, so that either side finds the other. */
static void make_id (char *id)
{
  static char const alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" ;
  unsigned char r[LMTP_ID_LEN] ;
  random_buf((char *)r, LMTP_ID_LEN) ;
  for (unsigned int i = 0 ; i < LMTP_ID_LEN ; i++) id[i] = alphabet[r[i] % 62] ;
  id[LMTP_ID_LEN] = 0 ;
}

void lmtp_do_mail (lmtp_session *s, smtp_cmd const *c)
{
  smtp_path p ;
  smtp_mailparams mp ;
  unsigned int bad = 0 ;
  unsigned int r ;
  if (!s->greeted) { lmtp_refuse(s, "MAIL", 503, "5.5.1", "send LHLO first", "sequence", 0) ; return ; }
  if (s->inmail) { lmtp_refuse(s, "MAIL", 503, "5.5.1", "nested MAIL command", "sequence", 0) ; return ; }
  r = smtp_cmd_path(c->arg, c->arglen, "from:", ADDR_EMPTY_OK | ADDR_UTF8_OK, &p) ;
  if (r) { bad_path(s, "MAIL", r, 1, "5.1.7", "syntax: MAIL FROM:<address>") ; return ; }
  if (param_error(s, "MAIL", smtp_cmd_mailparams(&p, &mp, &bad))) return ;
  /* DSN and REQUIRETLS are not offered: the MTA keeps those duties
   * (Postfix sends the success notice itself when the next hop has no
   * DSN) */
  if (mp.ret || mp.hasenvid || mp.requiretls) { lmtp_refuse(s, "MAIL", 555, "5.5.4", "unsupported parameter", "bad_param", 0) ; return ; }
  if (p.addr.utf8 && !mp.smtputf8) { non_ascii(s, "MAIL") ; return ; }
  /* RFC 1870 6.2 */
  if (mp.hassize && s->conf->maxsize && mp.size > s->conf->maxsize)
  {
    lmtp_refuse(s, "MAIL", 552, "5.3.4", "message size exceeds fixed maximum message size", "size", 0) ;
    return ;
  }
  lmtp_reset(s) ;
  memcpy(s->sender, p.addr.s, p.addr.len) ;
  s->sender[p.addr.len] = 0 ;
  s->smtputf8 = mp.smtputf8 ;
  s->inmail = 1 ;
  make_id(s->id) ;
  lmtp_reply(s, 250, "2.1.0", "Ok") ;
}

/* The recipient's reply text: "<addr> what". */
static void text_for (char *buf, size_t max, char const *key, char const *what)
{
  size_t n = 0 ;
  size_t k = strlen(key) ;
  size_t w = strlen(what) ;
  /* callers give room for a whole path and their longest text */
  if (w > max - 4) w = max - 4 ;
  if (k > max - 4 - w) k = max - 4 - w ;
  buf[n++] = '<' ;
  memcpy(buf + n, key, k) ; n += k ;
  buf[n++] = '>' ;
  buf[n++] = ' ' ;
  memcpy(buf + n, what, w) ; n += w ;
  buf[n] = 0 ;
}

/* Errors of rcpt_domain_local and rcpt_expand: temporary (Postfix keeps
 * the mail and retries), as deliverd answers them. */
static void lookup_error (lmtp_session *s, char const *key)
{
  char text[ADDR_PATH_MAX + 100] ;
  int e = errno ;
  char const *enh = e == ELOOP ? "4.4.6" : "4.3.0" ;
  char const *why = e == ELOOP ? "alias loop, or aliases nested deeper than 10"
    : e == E2BIG ? "alias expansion too large"
    : e == EINVAL ? "invalid entry in the recipient maps"
    : e == ENOENT ? "recipient map missing (domains.cdb or users.cdb)"
    : "recipient lookup failed" ;
  text_for(text, sizeof(text), key, why) ;
  lmtp_refuse(s, "RCPT", 451, enh, text, "lookup_error", key) ;
}

/* 1: deliverable here (every destination a Maildir); 0: refused (the
 * reply is queued). */
static int check_rcpt (lmtp_session *s, char const *key, size_t keylen)
{
  char text[ADDR_PATH_MAX + 100] ;
  rcptdest const *d ;
  size_t n ;
  int r = rcpt_domain_local(&s->dctx->maps, key, keylen) ;
  if (r < 0) { lookup_error(s, key) ; return 0 ; }
  if (!r)
  {
    /* Dovecot's answer for anyone it has no mailbox for: LMTP is the
     * last hop, there is nowhere to relay to. */
    text_for(text, sizeof(text), key, "not a local recipient") ;
    lmtp_refuse(s, "RCPT", 550, "5.1.1", text, "not_local", key) ;
    return 0 ;
  }
  genalloc_setlen(rcptdest, &s->dests, 0) ;
  s->storage.len = 0 ;
  r = rcpt_expand(&s->dctx->maps, key, keylen, &s->dests, &s->storage) ;
  if (r < 0) { lookup_error(s, key) ; return 0 ; }
  if (!r)
  {
    text_for(text, sizeof(text), key, "user unknown") ;
    lmtp_refuse(s, "RCPT", 550, "5.1.1", text, "unknown_user", key) ;
    return 0 ;
  }
  /* An alias that forwards outside: lmtpd has no queue to forward
   * through, and delivering the local copies only would lose the rest
   * silently. The MTA in front is the one to expand such aliases (with
   * Dovecot's LMTP it must: Dovecot knows no aliases). RFC 3463 X.3.5:
   * not configured to take this message. */
  d = genalloc_s(rcptdest, &s->dests) ;
  n = genalloc_len(rcptdest, &s->dests) ;
  for (size_t i = 0 ; i < n ; i++)
    if (d[i].kind == RCPT_REMOTE)
    {
      text_for(text, sizeof(text), key, "alias forwards outside the local domains: expand it in the MTA") ;
      lmtp_refuse(s, "RCPT", 550, "5.3.5", text, "alias_forwards_outside", key) ;
      return 0 ;
    }
  return 1 ;
}

/* The index of the first accepted recipient with this key, or the
 * number of recipients if there is none. */
static unsigned int find_rcpt (lmtp_session const *s, char const *key)
{
  lmtp_rcpt const *r = genalloc_s(lmtp_rcpt, &s->rcptlist) ;
  unsigned int n = genalloc_len(lmtp_rcpt, &s->rcptlist) ;
  unsigned int i = 0 ;
  for (; i < n ; i++) if (!strcmp(s->rcpts.s + r[i].key, key)) break ;
  return i ;
}

void lmtp_do_rcpt (lmtp_session *s, smtp_cmd const *c)
{
  smtp_path p ;
  smtp_rcptparams rp ;
  char key[ADDR_PATH_MAX + 3] ;
  size_t keylen ;
  unsigned int bad = 0 ;
  unsigned int r ;
  if (!s->inmail) { lmtp_refuse(s, "RCPT", 503, "5.5.1", "need MAIL command", "sequence", 0) ; return ; }
  r = smtp_cmd_path(c->arg, c->arglen, "to:", s->smtputf8 ? ADDR_UTF8_OK : 0, &p) ;
  if (r) { bad_path(s, "RCPT", r, s->smtputf8, "5.1.3", "syntax: RCPT TO:<address>") ; return ; }
  if (param_error(s, "RCPT", smtp_cmd_rcptparams(&p, &rp, &bad))) return ;
  if (rp.notify || rp.hasorcpt) { lmtp_refuse(s, "RCPT", 555, "5.5.4", "unsupported parameter (no DSN here)", "bad_param", 0) ; return ; }
  /* a bare <Postmaster> never parses here: an MTA qualifies addresses */
  keylen = addr_key(&p.addr, key) ;
  /* RFC 5321 4.5.3.1.8 and 4.5.3.1.10: 452 for too many recipients */
  if (genalloc_len(lmtp_rcpt, &s->rcptlist) >= s->conf->maxrcpt)
  {
    lmtp_refuse(s, "RCPT", 452, "4.5.3", "too many recipients", "too_many_rcpt", key) ;
    return ;
  }
  if (!check_rcpt(s, key, keylen)) return ;
  {
    lmtp_rcpt rec = { .key = s->rcpts.len, .first = find_rcpt(s, key) } ;
    size_t base = s->rcpts.len ;
    if (!stralloc_catb(&s->rcpts, key, keylen + 1) || !genalloc_append(lmtp_rcpt, &s->rcptlist, &rec))
    {
      s->rcpts.len = base ;
      lmtp_refuse(s, "RCPT", 452, "4.3.1", "out of memory", "nomem", key) ;
      return ;
    }
  }
  lmtp_reply(s, 250, "2.1.5", "Ok") ;
}
