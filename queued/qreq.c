/* ISC license. */

#include <string.h>
#include <skalibs/stralloc.h>

#include "queued/qmsg.h"
#include "queued/qreq.h"

static int field (stralloc *sa, char const *a, char const *b)
{
  return stralloc_cats(sa, a) && (!b || stralloc_cats(sa, b)) && stralloc_0(sa) ;
}

int qreq_xtext (stralloc *sa, char const *s, size_t len)
{
  static char const hex[] = "0123456789ABCDEF" ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (c >= 33 && c <= 126 && c != '+' && c != '=')
    {
      if (!stralloc_catb(sa, (char const *)&c, 1)) return 0 ;
    }
    else
    {
      char h[3] = { '+', hex[c >> 4], hex[c & 15] } ;
      if (!stralloc_catb(sa, h, 3)) return 0 ;
    }
  }
  return 1 ;
}

static int notify_field (stralloc *sa, unsigned char bits)
{
  int first = 1 ;
  if (!bits) return 1 ;
  if (!stralloc_cats(sa, "XNOTIFY=")) return 0 ;
  if (bits & QNOTIFY_NEVER) return field(sa, "NEVER", 0) ;
  if (bits & QNOTIFY_SUCCESS) { if (!stralloc_cats(sa, "SUCCESS")) return 0 ; first = 0 ; }
  if (bits & QNOTIFY_FAILURE) { if ((!first && !stralloc_catb(sa, ",", 1)) || !stralloc_cats(sa, "FAILURE")) return 0 ; first = 0 ; }
  if (bits & QNOTIFY_DELAY) { if ((!first && !stralloc_catb(sa, ",", 1)) || !stralloc_cats(sa, "DELAY")) return 0 ; }
  return stralloc_0(sa) ;
}

static int orcpt_field (stralloc *sa, qmsg const *m, size_t i)
{
  int isaddr ;
  char const *o = qmsg_orcpt(m, i, &isaddr) ;
  if (!o) return 1 ;
  if (!isaddr) return field(sa, "XORCPT=", o) ;
  /* An alias target: the address the client named is the original. */
  return stralloc_cats(sa, "XORCPT=rfc822;") && qreq_xtext(sa, o, strlen(o)) && stralloc_0(sa) ;
}

int qreq_build (stralloc *sa, qmsg const *m, size_t const *rcpts, unsigned int n, int local)
{
  sa->len = 0 ;
  if (!stralloc_catb(sa, "I", 1) || !field(sa, m->qid, 0)
   || !stralloc_catb(sa, "F", 1) || !field(sa, qmsg_sender(m), 0)) return 0 ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    if (!stralloc_catb(sa, "T", 1) || !field(sa, qmsg_addr(m, rcpts[k]), 0)) return 0 ;
    if (local) continue ;
    if (!notify_field(sa, qmsg_notify(m, rcpts[k])) || !orcpt_field(sa, m, rcpts[k])) return 0 ;
    /* added by one of our aliases (an R reply): deliverd-remote has the
     * message ARC-sealed as that alias's domain (docs/internals.md) */
    if (qmsg_rcpt(m, rcpts[k])->parent != QNONE
     && !field(sa, "XFORWARD=", qmsg_addr(m, qmsg_rcpt(m, rcpts[k])->parent))) return 0 ;
  }
  if (local)
    return !m->junk || field(sa, "XFOLDER=Junk", 0) ;
  /* RFC 3461 4.4: an ENVID is at most 100 characters; a longer one (the
   * client's error) is not passed on. */
  if (m->envid != QNONE && strlen(m->sa.s + m->envid) <= 100 && !field(sa, "XENVID=", m->sa.s + m->envid)) return 0 ;
  if (m->ret && !field(sa, "XRET=", m->ret == 2 ? "HDRS" : "FULL")) return 0 ;
  if (m->body && !field(sa, "XBODY=", m->body == 2 ? "BINARYMIME" : "8BITMIME")) return 0 ;
  if (m->smtputf8 && !field(sa, "XSMTPUTF8=1", 0)) return 0 ;
  if (m->requiretls && !field(sa, "XREQUIRETLS=1", 0)) return 0 ;
  return 1 ;
}
