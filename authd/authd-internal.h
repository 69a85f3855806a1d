/* ISC license. */

#ifndef POSTHASTE_AUTHD_INTERNAL_H
#define POSTHASTE_AUTHD_INTERNAL_H

/* Shared between the dispatcher (authd_proto.c), the mechanisms
 * (authd_mech.c) and the answer queue (authd_reply.c). */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/tai.h>

#include "authd.h"

/* Queues one answer line made of the n strings in parts (the LF is
 * added), not to be sent before when. Returns 1, or 0 if there is no free
 * slot or the line would not fit (a bug: callers make sure of both). */
extern int authd_reply_queue (authd *, tain const *when, char const *const *parts, unsigned int n) ;

/* Answers CONT id challenge (challenge is raw, encoded here). */
extern int authd_reply_cont (authd *, tain const *now, uint32_t id, char const *challenge, size_t len) ;

/* Answers OK id user=... [ticket=...] (ticket may be 0) */
extern int authd_reply_ok (authd *, tain const *now, uint32_t id, char const *user, char const *ticket) ;

/* Answers FAIL id [user=...] [reason=...] [temp], held back by the
 * failure delay: each FAIL goes out faildelay after the later of now and
 * the previous FAIL, so pipelining requests does not buy faster guesses. */
extern int authd_reply_fail (authd *, tain const *now, uint32_t id, char const *user, char const *reason, int temp) ;

/* Ends request r with a FAIL and logs event=auth_fail (reason as logged
 * and, if answer is set, as sent to the client). Returns as
 * authd_reply_fail. */
extern int authd_req_fail (authd *, authd_req *r, tain const *now, char const *user, size_t userlen, char const *logreason, char const *answer) ;

/* The mechanisms. data is the decoded client response (hasdata says
 * whether there was one at all). They queue exactly one answer and end
 * the request unless the answer is a CONT. Return 1, or 0 on a bug. */
extern int authd_mech_start (authd *, authd_req *r, tain const *now, char *data, size_t len, int hasdata) ;
extern int authd_mech_continue (authd *, authd_req *r, tain const *now, char *data, size_t len) ;

/* Checks a name and password against passwd.cdb (via a->lookup) and
 * answers OK or FAIL, logging the event. authzid (may be 0) must be
 * empty or name the same account. Returns as authd_reply_*. */
extern int authd_check (authd *, authd_req *r, tain const *now, char const *authzid, size_t authzlen, char const *name, size_t namelen, char const *password, size_t pwlen) ;

/* Master users (authd_masteruser.c): "user@domain*master", or PLAIN with
 * authcid master and authzid user. Returns 0 not a master login (go on
 * as usual), 1 accepted (key, *keylen: the user's key), 2 refused (*why),
 * -1 lookup error (errno). */
extern int authd_masteruser (authd *, authd_req const *r, char const *authzid, size_t authzlen, char const *name, size_t namelen, char const *password, size_t pwlen, char *key, size_t *keylen, char const **why) ;

#endif
