/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/lineio.h"
#include "common/log.h"
#include "policyd.h"

/* The server side of Postfix's policy delegation protocol
 * (SMTPD_POLICY_README, "Protocol description"): "name=value" lines, an
 * empty line ends the request; the answer is "action=..." and an empty
 * line; the connection carries any number of requests. The peer is
 * trusted for nothing: lines are at most POLICY_LINE_MAX bytes, requests
 * at most POLICY_ATTRS_MAX attributes, a NUL byte or a line without "="
 * is a protocol error, and the connection waits at most
 * PH_POLICY_IDLE_TIMEOUT for a request (then 60 s for each of its lines).
 * A protocol error closes the connection without an answer (Postfix
 * then logs a policy failure and applies its own default). */

#define LINE_TIMEOUT 60

enum slot_e { S_REQUEST, S_STATE, S_CLIENT, S_HELO, S_SENDER, S_RCPT, S_INSTANCE, S_N } ;

static char const *const names[S_N] =
{
  "request", "protocol_state", "client_address", "helo_name", "sender", "recipient", "instance"
} ;

static char values[S_N][POLICY_LINE_MAX + 1] ;
static int present[S_N] ;

static int protocol_error (char const *reason, unsigned int requests)
{
  logline l ;
  log_begin(&l, "policy_protocol_error") ;
  log_kv(&l, "reason", reason) ;
  log_kvu(&l, "requests", requests) ;
  log_commit(&l) ;
  return 1 ;
}

static void store (char const *line, size_t len)
{
  char const *eq = memchr(line, '=', len) ;
  size_t nl = (size_t)(eq - line) ;
  for (unsigned int i = 0 ; i < S_N ; i++)
    if (strlen(names[i]) == nl && !memcmp(line, names[i], nl))
    {
      memcpy(values[i], eq + 1, len - nl - 1) ;
      values[i][len - nl - 1] = 0 ;
      present[i] = 1 ;
      return ;
    }
}

int policy_serve (policy_settings const *set)
{
  static policy_conn conn ;
  static char line[POLICY_LINE_MAX + 1] ;
  unsigned int attrs = 0, requests = 0 ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "set the connection non-blocking") ;
  for (;;)
  {
    tain deadline ;
    size_t len ;
    unsigned int flags ;
    int r ;
    tain_now_g() ;
    tain_addsec_g(&deadline, attrs ? LINE_TIMEOUT : set->idle) ;
    r = lineio_get(buffer_0, line, sizeof(line), &len, &flags, &deadline) ;
    if (!r)
    {
      if (attrs) return protocol_error("end of input inside a request", requests) ;
      if (conn.dnsready) dns_free(&conn.d) ;
      return 0 ;
    }
    if (r < 0)
    {
      switch (errno)
      {
        case ETIMEDOUT :
          if (attrs) return protocol_error("timeout inside a request", requests) ;
        {
          logline l ;
          log_begin(&l, "policy_idle_timeout") ;
          log_kvu(&l, "requests", requests) ;
          log_commit(&l) ;
          return 0 ;
        }
        case ERANGE : return protocol_error("line too long", requests) ;
        case EPIPE : return protocol_error("end of input inside a line", requests) ;
        default : strerr_diefu1sys(111, "read from the client") ;
      }
    }
    if (flags & (LINEIO_NUL | LINEIO_BARECR)) return protocol_error("NUL or bare CR in a line", requests) ;
    if (len)
    {
      if (++attrs > POLICY_ATTRS_MAX) return protocol_error("too many attributes", requests) ;
      if (!memchr(line, '=', len) || line[0] == '=') return protocol_error("line is not name=value", requests) ;
      store(line, len) ;
      continue ;
    }
    if (!attrs) return protocol_error("empty request", requests) ;
    {
      char action[POLICY_ACTION_MAX] ;
      policy_request req =
      {
        .request = present[S_REQUEST] ? values[S_REQUEST] : 0,
        .protocol_state = present[S_STATE] ? values[S_STATE] : 0,
        .client_address = present[S_CLIENT] ? values[S_CLIENT] : 0,
        .helo_name = present[S_HELO] ? values[S_HELO] : 0,
        .sender = present[S_SENDER] ? values[S_SENDER] : 0,
        .recipient = present[S_RCPT] ? values[S_RCPT] : 0,
        .instance = present[S_INSTANCE] ? values[S_INSTANCE] : 0,
      } ;
      policy_decide(set, &conn, &req, action, sizeof(action)) ;
      tain_now_g() ;
      tain_addsec_g(&deadline, LINE_TIMEOUT) ;
      {
        char reply[POLICY_ACTION_MAX + 9] ;
        size_t n = strlen(action) ;
        memcpy(reply, "action=", 7) ;
        memcpy(reply + 7, action, n) ;
        memcpy(reply + 7 + n, "\n\n", 2) ;
        if (!lineio_put(buffer_1, reply, 9 + n, &deadline))
          return protocol_error(errno == ETIMEDOUT ? "timeout writing the answer" : "unable to write the answer", requests) ;
      }
    }
    requests++ ;
    attrs = 0 ;
    memset(present, 0, sizeof(present)) ;
  }
}
