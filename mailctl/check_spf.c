/* ISC license. */

/* mailctl check: the domain's SPF record lets this server send. It is
 * RFC 7208's own check_host(), run as a receiver would run it for mail
 * from postmaster@<domain> sent by each of the server's addresses with
 * our host name as HELO: anything but "pass" means receivers will
 * treat our mail as unauthorised. */

#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/ip46.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/spf.h"
#include "check.h"

#define SPF_SECONDS 20   /* the whole evaluation: up to 10 lookups and their MX/A answers */

void check_spf (mccheck *c, char const *domain)
{
  stralloc sender = STRALLOC_ZERO ;
  if (!c->nip)
  {
     /* check_host has said why (no address for the host name, or DNS
        failed); say what that leaves unchecked rather than nothing */
    if (buffer_puts(buffer_1, "The SPF record of ") < 0 || buffer_puts(buffer_1, domain) < 0
     || buffer_puts(buffer_1, " was not checked: the server's address is not known (set PH_PUBLIC_IP).\n") < 0)
      strerr_diefu1sys(111, "write to stdout") ;
    return ;
  }
  if (!stralloc_cats(&sender, "postmaster@") || !stralloc_cats(&sender, domain) || !stralloc_0(&sender))
    strerr_diefu1sys(111, "allocate memory") ;
  for (unsigned int i = 0 ; i < c->nip ; i++)
  {
    char fmt[IP6_FMT] ;
    spf_query q ;
    spf_answer a ;
    tain deadline ;
    int r ;
    fmt[ip46full_fmt(fmt, c->ip + i)] = 0 ;
    q.ip = fmt ;
    q.helo = c->host ;
    q.sender = sender.s ;
    q.receiver = c->host ;
    tain_now_g() ;
    tain_addsec_g(&deadline, SPF_SECONDS) ;
    r = spf_check_host(&c->resolver, &q, domain, SPF_ID_MAILFROM, &a, &deadline) ;
    switch (r)
    {
      case SPF_PASS : break ;
      case SPF_NONE :
        check_say(c, "The domain ", domain, " publishes no SPF record: publish \"v=spf1 mx -all\" (or one that covers ", fmt, ").") ;
        i = c->nip ;   /* one sentence is enough */
        break ;
      case SPF_TEMPERROR :
        c->temporary++ ;
        if (buffer_puts(buffer_1, "Could not check the SPF record of ") < 0 || buffer_puts(buffer_1, domain) < 0
         || buffer_puts(buffer_1, " now (") < 0 || buffer_puts(buffer_1, a.problem[0] ? a.problem : "temporary DNS error") < 0
         || buffer_puts(buffer_1, "); try again later.\n") < 0) strerr_diefu1sys(111, "write to stdout") ;
        break ;
      case SPF_PERMERROR :
        check_say(c, "The SPF record of ", domain, " is broken (", a.problem[0] ? a.problem : "permerror", "): receivers ignore it or refuse the mail.") ;
        i = c->nip ;
        break ;
      default :
        check_say(c, "The SPF record of ", domain, " does not cover the server's address ", fmt, " (the result is ", spf_result_name(r), ").") ;
        break ;
    }
  }
  stralloc_free(&sender) ;
}
