/* ISC license. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/addr-internal.h"
#include "common/dsn_utf8.h"
#include "smtp_ascii.h"
#include "smtp_cmd.h"

/* ESMTP MAIL and RCPT parameters: syntax only, pure (fuzzed through
 * tests/fuzz/smtp_cmd.c). Keywords are case-insensitive (RFC 5321
 * 2.4); so are the keyword-like values (BODY, RET, NOTIFY). */

static int keyis (smtp_param const *q, char const *lowered)
{
  return ascii_caseeq(q->key, q->keylen, lowered) ;
}

static int valueis (smtp_param const *q, char const *lowered)
{
  return q->value && ascii_caseeq(q->value, q->valuelen, lowered) ;
}

static int ishex (unsigned char c)
{
  /* RFC 3461 says upper case; lower case is accepted (what Postfix does
   * too): it decodes to the same octet. */
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f') ;
}

int smtp_xtext_valid (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    if (c == '+')
    {
      if (len - i < 3 || !ishex((unsigned char)s[i+1]) || !ishex((unsigned char)s[i+2])) return 0 ;
      i += 2 ;
    }
    else if (c < 33 || c > 126 || c == '=') return 0 ;
  }
  return 1 ;
}

/* RFC 1870 section 6: size-value = 1*20DIGIT */
static int scan_size (char const *s, size_t len, uint64_t *u)
{
  uint64_t r = 0 ;
  if (!len || len > 20) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned int d ;
    if (s[i] < '0' || s[i] > '9') return 0 ;
    d = (unsigned int)(s[i] - '0') ;
    if (r > (UINT64_MAX - d) / 10) return 0 ;
    r = r * 10 + d ;
  }
  *u = r ;
  return 1 ;
}

unsigned int smtp_cmd_mailparams (smtp_path const *p, smtp_mailparams *mp, unsigned int *bad)
{
  memset(mp, 0, sizeof(*mp)) ;
  for (unsigned int i = 0 ; i < p->nparams ; i++)
  {
    smtp_param const *q = p->params + i ;
    *bad = i ;
    if (keyis(q, "size"))
    {
      if (mp->hassize) return SMTP_PARAM_DUPLICATE ;
      if (!q->value || !scan_size(q->value, q->valuelen, &mp->size)) return SMTP_PARAM_BADVALUE ;
      mp->hassize = 1 ;
    }
    else if (keyis(q, "body"))
    {
      /* RFC 6152 section 2: BODY=7BIT / BODY=8BITMIME. BINARYMIME (RFC
       * 3030) is not offered: the queue stores text. */
      if (mp->body != SMTP_BODY_NONE) return SMTP_PARAM_DUPLICATE ;
      if (valueis(q, "7bit")) mp->body = SMTP_BODY_7BIT ;
      else if (valueis(q, "8bitmime")) mp->body = SMTP_BODY_8BITMIME ;
      else return SMTP_PARAM_BADVALUE ;
    }
    else if (keyis(q, "smtputf8"))
    {
      /* RFC 6531 3.4: no value */
      if (mp->smtputf8) return SMTP_PARAM_DUPLICATE ;
      if (q->value) return SMTP_PARAM_BADVALUE ;
      mp->smtputf8 = 1 ;
    }
    else if (keyis(q, "ret"))
    {
      /* RFC 3461 4.3: RET=FULL / RET=HDRS */
      if (mp->ret != SMTP_RET_NONE) return SMTP_PARAM_DUPLICATE ;
      if (valueis(q, "full")) mp->ret = SMTP_RET_FULL ;
      else if (valueis(q, "hdrs")) mp->ret = SMTP_RET_HDRS ;
      else return SMTP_PARAM_BADVALUE ;
    }
    else if (keyis(q, "envid"))
    {
      /* RFC 3461 4.4: ENVID=xtext, at most 100 characters */
      if (mp->hasenvid) return SMTP_PARAM_DUPLICATE ;
      if (!q->value || q->valuelen > SMTP_ENVID_MAX || !smtp_xtext_valid(q->value, q->valuelen)) return SMTP_PARAM_BADVALUE ;
      memcpy(mp->envid, q->value, q->valuelen) ;
      mp->envid[q->valuelen] = 0 ;
      mp->hasenvid = 1 ;
    }
    else if (keyis(q, "requiretls"))
    {
      /* RFC 8689 4.1: no value */
      if (mp->requiretls) return SMTP_PARAM_DUPLICATE ;
      if (q->value) return SMTP_PARAM_BADVALUE ;
      mp->requiretls = 1 ;
    }
    else if (keyis(q, "auth"))
    {
      /* RFC 4954 5: AUTH=xtext, "<>" when the identity is unknown. A
       * submission server originates the message itself and keeps
       * nothing of it (5: a server MAY ignore it). */
      if (mp->hasauth) return SMTP_PARAM_DUPLICATE ;
      if (!q->value || !smtp_xtext_valid(q->value, q->valuelen)) return SMTP_PARAM_BADVALUE ;
      mp->hasauth = 1 ;
    }
    else return SMTP_PARAM_UNKNOWN ;
  }
  return SMTP_PARAM_OK ;
}

/* RFC 3461 4.1: "NEVER" alone, or a comma list of SUCCESS, FAILURE and
 * DELAY, each at most once. */
static int scan_notify (char const *s, size_t len, unsigned int *flags)
{
  static char const *const names[4] = { "never", "success", "failure", "delay" } ;
  size_t i = 0 ;
  unsigned int f = 0 ;
  while (i <= len)
  {
    size_t j = i ;
    unsigned int k = 0 ;
    while (j < len && s[j] != ',') j++ ;
    for (; k < 4 ; k++) if (ascii_caseeq(s + i, j - i, names[k])) break ;
    if (k == 4 || f & (1u << k)) return 0 ;
    f |= 1u << k ;
    i = j + 1 ;
  }
  if (f & SMTP_NOTIFY_NEVER && f != SMTP_NOTIFY_NEVER) return 0 ;
  *flags = f ;
  return 1 ;
}

/* RFC 3461 4.2: ORCPT=addr-type ";" xtext; addr-type is an atom. The
 * original recipient itself may not be empty. An ASCII value is taken
 * as xtext whatever its type (rfc822, or RFC 6533's utf-8 in its
 * utf-8-addr-xtext form, which is xtext too). RFC 6533 3: under
 * SMTPUTF8 a utf-8 one comes as utf-8-addr-unitext, raw UTF-8 with
 * \x{HEX} escapes; common/dsn_utf8.c, which the queue decodes it with,
 * checks it. Non-ASCII bytes reach this only in a SMTPUTF8 transaction:
 * smtp_cmd_path refuses them in a parameter otherwise (RFC 6531 3.3
 * extends esmtp-value with UTF-8 there only). SMTP_ORCPT_MAX counts
 * octets. */
static int valid_orcpt (char const *s, size_t len)
{
  size_t i = 0 ;
  if (len > SMTP_ORCPT_MAX) return 0 ;
  while (i < len && s[i] != ';')
  {
    if (!addr_is_atext((unsigned char)s[i])) return 0 ;
    i++ ;
  }
  if (!i || i + 1 >= len) return 0 ;
  if (smtp_xtext_valid(s + i + 1, len - i - 1)) return 1 ;
  return ascii_caseeq(s, i, "utf-8") && dsn_utf8addr_valid(s + i + 1, len - i - 1) ;
}

unsigned int smtp_cmd_rcptparams (smtp_path const *p, smtp_rcptparams *rp, unsigned int *bad)
{
  memset(rp, 0, sizeof(*rp)) ;
  for (unsigned int i = 0 ; i < p->nparams ; i++)
  {
    smtp_param const *q = p->params + i ;
    *bad = i ;
    if (keyis(q, "notify"))
    {
      if (rp->notify) return SMTP_PARAM_DUPLICATE ;
      if (!q->value || !scan_notify(q->value, q->valuelen, &rp->notify)) return SMTP_PARAM_BADVALUE ;
    }
    else if (keyis(q, "orcpt"))
    {
      if (rp->hasorcpt) return SMTP_PARAM_DUPLICATE ;
      if (!q->value || !valid_orcpt(q->value, q->valuelen)) return SMTP_PARAM_BADVALUE ;
      memcpy(rp->orcpt, q->value, q->valuelen) ;
      rp->orcpt[q->valuelen] = 0 ;
      rp->hasorcpt = 1 ;
    }
    else return SMTP_PARAM_UNKNOWN ;
  }
  return SMTP_PARAM_OK ;
}

size_t smtp_notify_fmt (char *s, unsigned int flags)
{
  static char const *const names[4] = { "NEVER", "SUCCESS", "FAILURE", "DELAY" } ;
  size_t n = 0 ;
  for (unsigned int k = 0 ; k < 4 ; k++)
  {
    size_t len ;
    if (!(flags & (1u << k))) continue ;
    if (n) s[n++] = ',' ;
    len = strlen(names[k]) ;
    memcpy(s + n, names[k], len) ;
    n += len ;
  }
  s[n] = 0 ;
  return n ;
}
