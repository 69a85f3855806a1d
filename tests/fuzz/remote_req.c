/* ISC license. */

/* libFuzzer harness for deliverd-remote's request parser
 * (deliverd/remote_req.c): every pointer it returns stays inside the
 * input, and no value that goes into an SMTP command can carry a
 * control byte (a CR or LF would inject a command) or, for the ESMTP
 * parameters, a space or '=' (a parameter). */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "deliverd/remote_req.h"

static remote_req req ;

static void inside (char const *p, char const *s, size_t size)
{
  if (p && (p < s || p >= s + size)) __builtin_trap() ;
}

static void clean (char const *p, int param)
{
  if (!p) return ;
  for (; *p ; p++)
  {
    unsigned char c = (unsigned char)*p ;
    if (c < 0x20 || c == 0x7f) __builtin_trap() ;
    if (param && (c == ' ' || c == '=')) __builtin_trap() ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  char const *why = 0 ;
  if (!remote_req_parse(s, size, &req, &why))
  {
    if (!why) __builtin_trap() ;
    return 0 ;
  }
  if (!req.n || req.n > REMOTEREQ_RCPTS) __builtin_trap() ;
  inside(req.qid, s, size) ; inside(req.sender, s, size) ; inside(req.domain, s, size) ;
  inside(req.envid, s, size) ; inside(req.ret, s, size) ; inside(req.body, s, size) ;
  clean(req.sender, 0) ;
  clean(req.envid, 1) ; clean(req.ret, 1) ; clean(req.body, 1) ;
  for (unsigned int i = 0 ; i < req.n ; i++)
  {
    inside(req.rcpt[i].addr, s, size) ;
    inside(req.rcpt[i].notify, s, size) ;
    inside(req.rcpt[i].orcpt, s, size) ;
    clean(req.rcpt[i].addr, 0) ;
    clean(req.rcpt[i].notify, 1) ;
    clean(req.rcpt[i].orcpt, 1) ;
    if (!strchr(req.rcpt[i].addr, '@')) __builtin_trap() ;
  }
  return 0 ;
}
