/* ISC license. */

#include <string.h>

#include <skalibs/bytestr.h>

#include "reqhead.h"
#include "remote_req.h"

 /* After the head (reqhead.h), every value here also ends up in an SMTP
    command line: parameter values may not hold a space (it would inject
    parameters). */

 /* An ESMTP parameter value (RFC 5321 4.1.2 esmtp-value: %d33-60 /
    %d62-126, and UTF-8 for RFC 6531/6533): no space, no '=', no
    control byte. */
static int esmtp_value (char const *s)
{
  if (!*s) return 0 ;
  for (; *s ; s++)
  {
    unsigned char c = (unsigned char)*s ;
    if (c <= 0x20 || c == '=' || c == 0x7f) return 0 ;
  }
  return 1 ;
}

static char const *domain_of (char const *addr)
{
  char const *at = strrchr(addr, '@') ;
  return at && at[1] ? at + 1 : 0 ;
}

 /* "NEVER", or a comma-separated subset of SUCCESS, FAILURE, DELAY
    (RFC 3461 4.1). */
static int notify_valid (char const *s)
{
  if (!strcmp(s, "NEVER")) return 1 ;
  for (;;)
  {
    size_t n = str_chr(s, ',') ;
    if (!((n == 7 && !memcmp(s, "SUCCESS", 7)) || (n == 7 && !memcmp(s, "FAILURE", 7)) || (n == 5 && !memcmp(s, "DELAY", 5))))
      return 0 ;
    if (!s[n]) return 1 ;
    s += n + 1 ;
  }
}

#define FAIL(reason) do { *why = (reason) ; return 0 ; } while (0)

static int xfield (char const *f, remote_req *req, char const **why)
{
  char const *v ;
  if (!strncmp(f, "XNOTIFY=", 8) || !strncmp(f, "XORCPT=", 7))
  {
    remote_rcpt *r ;
    if (!req->n) FAIL("recipient field before any recipient") ;
    r = &req->rcpt[req->n - 1] ;
    if (f[1] == 'O')
    {
      v = f + 7 ;
      if (r->orcpt) FAIL("XORCPT twice") ;
      if (!esmtp_value(v) || !strchr(v, ';')) FAIL("invalid XORCPT") ;
      r->orcpt = v ;
    }
    else
    {
      v = f + 8 ;
      if (r->notify) FAIL("XNOTIFY twice") ;
      if (!notify_valid(v)) FAIL("invalid XNOTIFY") ;
      r->notify = v ;
    }
    return 1 ;
  }
  if (!strncmp(f, "XFORWARD=", 9))
  {
    /* the alias of ours this recipient was added by: the request is
     * ARC-sealed as the first such alias's domain (remote_arc.c) */
    v = f + 9 ;
    if (!reqhead_addr_valid(v, strlen(v)) || !strchr(v, '@')) FAIL("invalid XFORWARD") ;
    if (!req->forward) req->forward = v ;
    return 1 ;
  }
  if (!strncmp(f, "XENVID=", 7))
  {
    v = f + 7 ;
    if (!esmtp_value(v) || strlen(v) > 100) FAIL("invalid XENVID") ;   /* RFC 3461 4.4: 100 */
    req->envid = v ;
  }
  else if (!strncmp(f, "XRET=", 5))
  {
    v = f + 5 ;
    if (strcmp(v, "FULL") && strcmp(v, "HDRS")) FAIL("invalid XRET") ;
    req->ret = v ;
  }
  else if (!strncmp(f, "XBODY=", 6))
  {
    v = f + 6 ;
    if (strcmp(v, "8BITMIME") && strcmp(v, "BINARYMIME") && strcmp(v, "7BIT")) FAIL("invalid XBODY") ;
    req->body = v ;
  }
  else if (!strncmp(f, "XSMTPUTF8=", 10)) req->smtputf8 = !strcmp(f + 10, "1") ;
  else if (!strncmp(f, "XREQUIRETLS=", 12)) req->requiretls = !strcmp(f + 12, "1") ;
  return 1 ;   /* unknown X fields are ignored */
}

int remote_req_parse (char const *s, size_t len, remote_req *req, char const **why)
{
  reqhead h ;
  size_t pos ;
  size_t dlen = 0 ;
  req->qid = req->sender = req->domain = req->envid = req->ret = req->body = req->forward = 0 ;
  req->smtputf8 = req->requiretls = 0 ;
  req->n = 0 ;
  if (!reqhead_parse(s, len, REMOTEREQ_MAX, &h, why)) return 0 ;
  req->qid = h.qid ;
  req->sender = h.sender ;
  pos = h.pos ;
  while (pos < len)
  {
    char const *f = s + pos ;
    size_t flen = strlen(f) ;   /* bounded: s[len-1] is NUL */
    pos += flen + 1 ;
    if (!flen) FAIL("empty field") ;
    if (f[0] == 'T')
    {
      char const *d ;
      remote_rcpt *r ;
      if (req->n >= REMOTEREQ_RCPTS) FAIL("too many recipients") ;
      if (!reqhead_addr_valid(f + 1, flen - 1)) FAIL("invalid recipient") ;
      d = domain_of(f + 1) ;
      if (!d) FAIL("recipient without a domain") ;
      if (!req->n) { req->domain = d ; dlen = strlen(d) ; }
      else if (strlen(d) != dlen || case_diffb(d, dlen, req->domain)) FAIL("recipients of different domains") ;
      r = &req->rcpt[req->n++] ;
      r->addr = f + 1 ;
      r->notify = r->orcpt = 0 ;
    }
    else if (f[0] == 'X')
    {
      if (flen > REMOTEREQ_XFIELD_MAX) FAIL("X field too long") ;
      if (!req->n) FAIL("X field before any recipient") ;
      if (!xfield(f, req, why)) return 0 ;
    }
    else FAIL("unknown field") ;
  }
  if (!req->n) FAIL("no recipient") ;
  return 1 ;
}
