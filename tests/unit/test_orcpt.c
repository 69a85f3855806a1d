/* ISC license. */

/* The ORCPT value (RFC 3461 4.2, RFC 6533 3) as smtpd's RCPT takes it
 * (smtpd/smtp_params.c) and as queued reads it back from the envelope
 * (queued/qdsn.c): xtext of any type; utf-8-addr-unitext, raw UTF-8, for
 * the utf-8 type only; both checked by common/dsn_utf8.c. The parameter
 * tokenizer (smtp_cmd.c) lets UTF-8 bytes reach smtp_params.c only in a
 * SMTPUTF8 transaction; these cases call it directly. */

#include <string.h>

#include "smtpd/smtp_cmd.h"
#include "queued/qdsn.h"
#include "tests/unit/check.h"

static unsigned int rcpt (char const *value, smtp_rcptparams *rp)
{
  smtp_path p ;
  unsigned int bad ;
  memset(&p, 0, sizeof(p)) ;
  p.params[0].key = "ORCPT" ;
  p.params[0].keylen = 5 ;
  p.params[0].value = value ;
  p.params[0].valuelen = strlen(value) ;
  p.nparams = 1 ;
  return smtp_cmd_rcptparams(&p, rp, &bad) ;
}

static int smtpd_takes (char const *value)
{
  smtp_rcptparams rp ;
  return rcpt(value, &rp) == SMTP_PARAM_OK && rp.hasorcpt && !strcmp(rp.orcpt, value) ;
}

static int smtpd_refuses (char const *value)
{
  smtp_rcptparams rp ;
  return rcpt(value, &rp) == SMTP_PARAM_BADVALUE ;
}

static int queue_keeps (char const *value, char const *type, char const *addr)
{
  char const *t, *a ;
  size_t tl, al ;
  if (!qdsn_orcpt(value, strlen(value), &t, &tl, &a, &al)) return 0 ;
  return tl == strlen(type) && !memcmp(t, type, tl) && al == strlen(addr) && !memcmp(a, addr, al) ;
}

static int queue_drops (char const *value)
{
  char const *t, *a ;
  size_t tl, al ;
  return !qdsn_orcpt(value, strlen(value), &t, &tl, &a, &al) ;
}

int main (void)
{
  char big[600] ;

  /* as before: xtext, whatever the type */
  CHECK(smtpd_takes("rfc822;a+40b.test"), "smtpd_rfc822_xtext") ;
  CHECK(smtpd_takes("utf-8;j\\x{E9}r\\x{F4}me@x.test"), "smtpd_utf8_addr_xtext") ;
  CHECK(smtpd_takes("x400;whatever"), "smtpd_other_type_xtext") ;
  CHECK(smtpd_refuses("rfc822;a+4"), "smtpd_bad_xtext_refused") ;
  /* RFC 6533 3 utf-8-addr-unitext */
  CHECK(smtpd_takes("utf-8;j\xc3\xa9r\xc3\xb4me@example.test"), "smtpd_unitext") ;
  CHECK(smtpd_takes("UTF-8;j\xc3\xa9\\x{2B}1@x.test"), "smtpd_unitext_type_any_case_with_escape") ;
  CHECK(smtpd_refuses("rfc822;j\xc3\xa9r\xc3\xb4me@example.test"), "smtpd_utf8_bytes_need_utf8_type") ;
  CHECK(smtpd_refuses("utf-8;j\xe9r\xf4me@x.test"), "smtpd_latin1_refused") ;
  CHECK(smtpd_refuses("utf-8;j\xc3\xa9+1@x.test"), "smtpd_unitext_raw_plus_refused") ;
  CHECK(smtpd_refuses("utf-8;j\xc3\xa9\\x{41}@x.test"), "smtpd_unitext_escaped_qchar_refused") ;
  CHECK(smtpd_refuses("utf-8;\xc3\xa9\xc3"), "smtpd_unitext_truncated_refused") ;
  CHECK(smtpd_refuses("utf-8;"), "smtpd_empty_address_refused") ;
  /* 500 octets in all (RFC 3461 4.2), UTF-8 or not */
  memcpy(big, "utf-8;", 6) ;
  for (size_t i = 6 ; i + 1 < 500 ; i += 2) { big[i] = (char)0xc3 ; big[i + 1] = (char)0xa9 ; }
  big[500] = 0 ;
  CHECK(smtpd_takes(big), "smtpd_unitext_500_octets") ;
  big[500] = 'a' ; big[501] = 0 ;
  CHECK(smtpd_refuses(big), "smtpd_unitext_501_octets_refused") ;

  /* queued reads back what smtpd stored */
  CHECK(queue_keeps("rfc822;a+40b.test", "rfc822", "a+40b.test"), "queue_rfc822_xtext") ;
  CHECK(queue_keeps("utf-8;j\xc3\xa9r\xc3\xb4me@example.test", "utf-8", "j\xc3\xa9r\xc3\xb4me@example.test"), "queue_unitext_kept") ;
  CHECK(queue_keeps("Utf-8;\xe4\xb8\xad\\x{2B}1@x", "Utf-8", "\xe4\xb8\xad\\x{2B}1@x"), "queue_unitext_escape_kept") ;
  CHECK(queue_drops("rfc822;j\xc3\xa9r\xc3\xb4me@example.test"), "queue_rfc822_utf8_dropped") ;
  CHECK(queue_drops("utf-8;j\xe9r@x"), "queue_latin1_dropped") ;
  CHECK(queue_drops("utf-8;j\xc3\xa9+1@x"), "queue_unitext_raw_plus_dropped") ;
  CHECK(queue_drops("utf-8;"), "queue_empty_dropped") ;
  return check_done() ;
}
