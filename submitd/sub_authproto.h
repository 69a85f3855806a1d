/* ISC license. */

#ifndef POSTHASTE_SUB_AUTHPROTO_H
#define POSTHASTE_SUB_AUTHPROTO_H

/* The client's side of an SMTP AUTH exchange (RFC 4954 section 4), as
 * pure functions (no I/O, no allocation; tests/fuzz/submit_auth.c):
 *
 *   AUTH mechanism [SP initial-response]
 *   initial-response = base64 / "="        ("=": present but empty)
 *   then, after each "334 challenge": a line of base64, or "*" to cancel
 *
 * submitd does not decode SASL to authenticate (authd does, and gets
 * the base64 as sent); it decodes only to name the user in its own log
 * lines, so that banwatch sees who was tried from where. */

#include <stddef.h>

#define SUB_MECH_MAX 20         /* RFC 4422 3.1: sasl-mech is 1 to 20 characters */
#define SUB_AUTHUSER_MAX 255    /* a user name kept for the log */

#define SUB_MECH_PLAIN 1        /* RFC 4616 */
#define SUB_MECH_LOGIN 2        /* draft-murchison-sasl-login */

typedef struct sub_authcmd_s sub_authcmd, *sub_authcmd_ref ;
struct sub_authcmd_s
{
  char mech[SUB_MECH_MAX + 1] ;  /* upper-cased */
  unsigned int mechid ;          /* SUB_MECH_*, 0 for one we do not speak */
  int hasresp ;                  /* an initial response was given */
  char const *resp ;             /* in the caller's line; "" for "=" */
  size_t resplen ;
} ;

#define SUB_AUTHCMD_OK 0
#define SUB_AUTHCMD_SYNTAX 1     /* 501 5.5.4: no mechanism, not a sasl-mech, junk after */
#define SUB_AUTHCMD_BASE64 2     /* 501 5.5.2: the initial response is no base64 */

/* Parses AUTH's argument arg[0..len). Returns SUB_AUTHCMD_*. */
extern unsigned int sub_authcmd_parse (char const *arg, size_t len, sub_authcmd *a) ;

/* Is s[0..len) RFC 4648 section 4 base64, canonical padding (length a
 * multiple of 4, "=" only at the end)? The empty string is. */
extern int sub_base64_valid (char const *s, size_t len) ;

/* Decodes valid base64 s[0..len) into out (room for max bytes). Returns
 * 1 and *outlen, 0 if it is not valid or does not fit. */
extern int sub_base64_decode (char const *s, size_t len, char *out, size_t max, size_t *outlen) ;

/* The user name a client tried, for the log, from a base64 response:
 * PLAIN (RFC 4616: [authzid] NUL authcid NUL passwd): the authcid;
 * LOGIN: the first response is the user name. Writes it to user (room
 * for SUB_AUTHUSER_MAX + 1), NUL-terminated, cut at SUB_AUTHUSER_MAX,
 * and returns its length; 0 and "" when there is none to find. The
 * decoded password never leaves the function (it is wiped). */
extern size_t sub_auth_user (unsigned int mechid, char const *b64, size_t len, char *user) ;

#endif
