/* ISC license. */

#ifndef POSTHASTE_AUTHMASTER_H
#define POSTHASTE_AUTHMASTER_H

/* The client of $PH_RUN_DIR/auth-master.sock (authd -m): a session
 * spawner turns a ticket into the account it stands for
 * (docs/internals.md, "Tickets"; authd/README.md).
 *
 *   C: REQUEST <id> <ticket> service=<imap|pop3> [rip=<client address>]
 *   S: USER <id> <address> maildir=<domain/user> [quota=<bytes>]
 *   S: FAIL <id> reason=<text> [temp]
 *
 * One request per connection here: a spawner checks one ticket. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/tai.h>

#define AUTHMASTER_LINE_MAX 1024
#define AUTHMASTER_USER_MAX 512
#define AUTHMASTER_MAILDIR_MAX 1024
#define AUTHMASTER_REASON_MAX 256

#define AUTHMASTER_ERROR 0
#define AUTHMASTER_USER 1
#define AUTHMASTER_FAIL 2

typedef struct authmaster_user_s authmaster_user, *authmaster_user_ref ;
struct authmaster_user_s
{
  char user[AUTHMASTER_USER_MAX + 1] ;        /* the address, lower case */
  char maildir[AUTHMASTER_MAILDIR_MAX + 1] ;  /* relative to PH_MAILROOT, checked with maildir_path_valid */
  uint64_t quota ;                            /* bytes, 0 = none */
  unsigned int temp : 1 ;                     /* FAIL ... temp: authd's trouble, not the ticket's */
  char reason[AUTHMASTER_REASON_MAX + 1] ;    /* FAIL: the reason, printable */
} ;

/* Connects to path, asks about ticket (64 lower-case hex) for service
 * ("imap", "pop3"), reads the answer. Returns AUTHMASTER_USER with *u
 * filled, AUTHMASTER_FAIL with u->reason and u->temp, or
 * AUTHMASTER_ERROR (0) with errno: ENOENT/ECONNREFUSED, ETIMEDOUT,
 * EPROTO (a malformed answer), EPIPE, EINVAL (a malformed ticket or
 * service, nothing sent). */
extern int authmaster_request (char const *path, char const *ticket, char const *service, authmaster_user *u, tain const *deadline) ;

/* The same, also naming the client the session is for (rip, the
 * handover's rip=; 0 or "" for none): authd -m refuses a ticket issued
 * for another client address. A rip longer than AUTHMASTER_RIP_MAX or
 * holding a TAB, CR, LF or space is EINVAL, nothing sent. */
#define AUTHMASTER_RIP_MAX 63
extern int authmaster_request_rip (char const *path, char const *ticket, char const *service, char const *rip, authmaster_user *u, tain const *deadline) ;

/* Parses one answer line (without its LF) to request id. Returns
 * AUTHMASTER_USER or AUTHMASTER_FAIL with *u filled, or 0 with errno
 * EPROTO. No I/O (tests/fuzz/authmaster_parse.c). */
extern int authmaster_reply_parse (char const *line, size_t len, uint32_t id, authmaster_user *u) ;

#endif
