/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/log.h"
#include "common/policyclient.h"
#include "smtp_policyaction.h"
#include "smtp_session.h"

/* The policy delegation hook at RCPT (Postfix SMTPD_POLICY_README): one
 * request per recipient that we would otherwise accept, on a connection
 * kept for the whole session; the service's action may refuse the
 * recipient, add a header, hold or discard the message. When the
 * service cannot be asked (down, too slow, nonsense), the recipient is
 * accepted (PH_POLICY_FAIL=open, the default: a broken policy service
 * must not stop mail) or deferred with 451 4.3.0 (closed). */

#define ACTION_MAX 1024

static void failed (smtp_session *s, char const *rcpt, char const *reason, char const *detail, smtp_verdict *v)
{
  logline l ;
  log_begin(&l, "policy_fail") ;
  log_kv(&l, "ip", s->ip) ;
  log_kv(&l, "smtpid", s->id) ;
  log_kv(&l, "rcpt", rcpt) ;
  log_kv(&l, "reason", reason) ;
  if (detail) log_kv(&l, "detail", detail) ;
  log_kv(&l, "fail", s->engine->pfailclosed ? "closed" : "open") ;
  log_commit(&l) ;
  if (s->engine->pfailclosed)
    *v = (smtp_verdict){ .code = 451, .enh = "4.3.0", .text = "policy service unavailable, try again later", .reason = "policy_unavailable" } ;
}

static void logaction (smtp_session *s, char const *rcpt, char const *action)
{
  logline l ;
  log_begin(&l, "policy") ;
  log_kv(&l, "ip", s->ip) ;
  log_kv(&l, "smtpid", s->id) ;
  log_kv(&l, "rcpt", rcpt) ;
  log_kv(&l, "action", action) ;
  log_commit(&l) ;
}

void smtp_policy_rcpt (smtp_session *s, char const *rcpt, smtp_verdict *v)
{
  static char text[SMTP_REPLY_LINE_MAX] ;
  char action[ACTION_MAX] ;
  char size[UINT64_FMT] ;
  char bits[UINT_FMT] ;
  char const *client = s->rdns ? s->rdns : "unknown" ;
  smtp_policyaction pa ;
  tain deadline ;
  policyattr attrs[] =
  {
    { "request", "smtpd_access_policy" },
    { "protocol_state", "RCPT" },
    { "protocol_name", s->hello == SMTP_HELLO_EHLO ? "ESMTP" : "SMTP" },
    { "helo_name", s->helo },
    { "queue_id", "" },               /* the queue id exists only after DATA */
    { "sender", s->sender },
    { "recipient", rcpt },
    { "recipient_count", "0" },       /* non-zero only at DATA and END-OF-MESSAGE */
    { "client_address", s->ip },
    { "client_name", client },
    { "reverse_client_name", client },
    { "instance", s->id },
    { "sasl_method", s->authuser ? "plain" : "" },
    { "sasl_username", s->authuser },
    { "sasl_sender", "" },
    { "size", size },
    { "ccert_subject", "" },
    { "ccert_issuer", "" },
    { "ccert_fingerprint", "" },
    { "ccert_pubkey_fingerprint", "" },
    { "encryption_protocol", s->tls ? s->tlsproto : "" },
    { "encryption_cipher", s->tls ? s->tlscipher : "" },
    { "encryption_keysize", bits },
    { "etrn_domain", "" },
    { "stress", "" },
    { "client_port", s->port },
    { "policy_context", "" },
    { "server_address", s->localip },
    { "server_port", s->localport },
  } ;
  size[uint64_fmt(size, s->mailparams.hassize ? s->mailparams.size : 0)] = 0 ;
  bits[uint_fmt(bits, s->tls ? s->tlsbits : 0)] = 0 ;

  /* Its own time limit, inside the RCPT's. */
  tain_now_g() ;
  tain_addsec_g(&deadline, (int)s->engine->ptimeout) ;
  if (tain_less(&s->deadline, &deadline)) deadline = s->deadline ;
  if (!policyclient_query(s->engine->pclient, attrs, sizeof(attrs) / sizeof(attrs[0]), action, sizeof(action), &deadline))
  {
    failed(s, rcpt, errno == ETIMEDOUT ? "timeout" : errno == EPROTO ? "bad_reply" : "unreachable", strerror(errno), v) ;
    return ;
  }
  switch (smtp_policyaction_parse(action, &pa))
  {
    case SMTP_PA_ACCEPT :
      if (log_verbosity >= 2) logaction(s, rcpt, action) ;
      return ;
    case SMTP_PA_REFUSE :
    {
      /* Postfix's words: "<rcpt>: Recipient address rejected: text" */
      size_t n = 0, rl = strlen(rcpt), tl = pa.textlen ;
      static char const mid[] = ">: Recipient address rejected: " ;
      static char enh[12] ;
      char const *t = tl ? pa.text : "Access denied" ;
      if (!tl) tl = 13 ;
      if (rl > 256) rl = 256 ;
      if (tl > sizeof(text) - rl - sizeof(mid) - 2) tl = sizeof(text) - rl - sizeof(mid) - 2 ;
      text[n++] = '<' ;
      memcpy(text + n, rcpt, rl) ; n += rl ;
      memcpy(text + n, mid, sizeof(mid) - 1) ; n += sizeof(mid) - 1 ;
      memcpy(text + n, t, tl) ; n += tl ;
      text[n] = 0 ;
      memcpy(enh, pa.enh, sizeof(enh)) ;
      logaction(s, rcpt, action) ;
      *v = (smtp_verdict){ .code = pa.code, .enh = enh, .text = text, .reason = "policy" } ;
      return ;
    }
    case SMTP_PA_PREPEND :
      if (s->prepend.len + pa.textlen + 1 > SMTP_PREPEND_MAX)
      {
        failed(s, rcpt, "prepend_too_long", 0, v) ;
        return ;
      }
      if (!stralloc_catb(&s->prepend, pa.text, pa.textlen) || !stralloc_catb(&s->prepend, "\n", 1))
      {
        *v = (smtp_verdict){ .code = 452, .enh = "4.3.1", .text = "out of memory", .reason = "nomem" } ;
        return ;
      }
      logaction(s, rcpt, action) ;
      return ;
    case SMTP_PA_WARN :
      logaction(s, rcpt, action) ;
      return ;
    case SMTP_PA_HOLD :
    {
      /* Recorded in the envelope (X HOLD=); queued holds such a message
       * at arrival until `mailctl queue release`. */
      size_t tl = pa.textlen > 512 ? 512 : pa.textlen ;
      if (!stralloc_cats(&s->xfields, "HOLD=")
       || !stralloc_catb(&s->xfields, tl ? pa.text : "policy", tl ? tl : 6)
       || !stralloc_0(&s->xfields))
      {
        *v = (smtp_verdict){ .code = 452, .enh = "4.3.1", .text = "out of memory", .reason = "nomem" } ;
        return ;
      }
      for (size_t i = s->xfields.len - 1 - tl ; i < s->xfields.len - 1 ; i++)
        if ((unsigned char)s->xfields.s[i] < 32 || s->xfields.s[i] == 127) s->xfields.s[i] = '?' ;
      logaction(s, rcpt, action) ;
      return ;
    }
    case SMTP_PA_DISCARD :
      /* The whole message, as in Postfix: the client is told it was
       * taken, and it goes nowhere. */
      s->discard = 1 ;
      logaction(s, rcpt, action) ;
      return ;
    default :
      failed(s, rcpt, "bad_action", action, v) ;
      return ;
  }
}
