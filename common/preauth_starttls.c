/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/tai.h>

#include "common/log.h"
#include "common/preauth.h"
#include "common/ucspitls.h"

void preauth_starttls (preauth *p, buffer *in, buffer *out)
{
  tain deadline ;
  tain_now_g() ;
  tain_addsec_g(&deadline, PREAUTH_STARTTLS_SECS) ;
  if (!ucspitls_start(in, out, &p->tlsinfo, &deadline))
  {
    log_event3("tls_fail", "ip", p->rip, "session", p->session, "error", strerror(errno)) ;
    _exit(errno == ETIMEDOUT ? 99 : 1) ;
  }
  p->tls = 1 ;
  {
    logline l ;
    log_begin(&l, "tls") ;
    log_kv(&l, "ip", p->rip) ;
    log_kv(&l, "session", p->session) ;
    log_kv(&l, "protocol", p->tlsinfo.protocol) ;
    log_kv(&l, "cipher", p->tlsinfo.cipher) ;
    if (p->tlsinfo.discarded) log_kvu(&l, "discarded", p->tlsinfo.discarded) ;
    log_commit(&l) ;
  }
}
