/* ISC license. */

#ifndef POSTHASTE_POLICYCLIENT_H
#define POSTHASTE_POLICYCLIENT_H

/* The client side of Postfix's SMTP access policy delegation protocol
 * (Postfix SMTPD_POLICY_README, "Protocol description"): a request is
 * "name=value" lines ended by an empty line; the reply is "name=value"
 * lines ended by an empty line, of which "action" is the answer (any
 * action of Postfix's access(5)). The connection stays open for the next
 * request. Used by smtpd (at RCPT) and by submitd.
 *
 * The service is trusted to answer, not trusted to behave: every reply
 * is read with a deadline and a size cap, and anything it sends that is
 * not one well-formed reply closes the connection. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/ip46.h>
#include <skalibs/tai.h>

#define POLICYCLIENT_PATH_MAX 107      /* sun_path, without its NUL */
#define POLICYCLIENT_REQUEST_MAX 8192  /* one request, all lines */
#define POLICYCLIENT_REPLY_MAX 4096    /* one reply, all lines */

typedef struct policyclient_s policyclient, *policyclient_ref ;
struct policyclient_s
{
  int isunix ;
  char path[POLICYCLIENT_PATH_MAX + 1] ;  /* unix: */
  ip46 ip ;                                /* inet: */
  uint16_t port ;
  int fd ;                 /* -1 when not connected */
  unsigned int requests ;  /* answered on the current connection */
} ;

typedef struct policyattr_s policyattr, *policyattr_ref ;
struct policyattr_s
{
  char const *name ;
  char const *value ;      /* 0 is sent as an empty value */
} ;

/* Reads a service address: "unix:/absolute/path" or "inet:IPv4:port" or
 * "inet:[IPv6]:port" (addresses only: no name is looked up). Returns 1,
 * or 0 with errno EINVAL. Does not connect. */
extern int policyclient_init (policyclient *, char const *spec) ;

/* Sends one request (the n attributes; a name or value holding a
 * newline or NUL, or a name holding "=", is EINVAL) and reads the reply
 * before the deadline, connecting first when needed. A connection that
 * the service closed while idle, or on which it sent anything unasked,
 * is replaced by a new one; one that turns out closed when used again is
 * opened again once. On success, writes the "action"
 * value (NUL-terminated, cut to max - 1 bytes) and returns 1. Returns 0
 * with errno (ETIMEDOUT, ECONNREFUSED, EPROTO for a bad reply, ...) and
 * the connection closed. */
extern int policyclient_query (policyclient *, policyattr const *attrs, unsigned int n, char *action, size_t max, tain const *deadline) ;

/* The reply parser, without I/O (fuzzed by tests/fuzz/smtp_policy.c):
 * s[0..len) holds bytes received so far. Returns 0 if no empty line has
 * arrived yet; else the length of the reply through its empty line, or
 * -1 with errno EPROTO if the reply has no usable "action=" attribute
 * or a line that is not name=value. Lines end in LF; a CR before the LF
 * is dropped. The first action attribute counts. max must be at least
 * 2 (EINVAL). */
extern ssize_t policyclient_reply_parse (char const *s, size_t len, char *action, size_t max) ;

extern int policyclient_connect (policyclient *, tain const *deadline) ;
extern void policyclient_close (policyclient *) ;

#endif
