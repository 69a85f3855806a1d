/* ISC license. */

#ifndef POSTHASTE_DELIVERD_REMOTE_ARC_H
#define POSTHASTE_DELIVERD_REMOTE_ARC_H

/* ARC sealing of forwarded mail (RFC 8617; docs/internals.md, "DKIM
 * signing"): a request whose recipients an alias of ours added
 * (XFORWARD=<alias>) leaves with a new ARC set on top, made by the
 * signing service, which alone holds the keys. */

#include "remote_req.h"

#define REMOTE_ARC_MSG_MAX ((size_t)64 << 20)   /* dkimsign's DS_MSG_MAX */
#define REMOTE_ARC_ANSWER_MAX 65536

/* The fd to send for req: fd itself when there is nothing to seal or the
 * seal could not be had (logged: event=arc_unsealed; the mail goes out
 * as it is, like mail of a domain without a key), else a new memfd
 * holding the ARC fields then the message, which the caller closes. */
extern int remote_arc (remote_req const *req, int fd) ;

#endif
