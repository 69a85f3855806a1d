/* ISC license. */

#ifndef POSTHASTE_SPAMLEARN_H
#define POSTHASTE_SPAMLEARN_H

/* The client of policyd-learn ($PH_RUN_DIR/learn.sock, docs/spam.md,
 * "Learning"): imap-session when a message is moved into or out of
 * Junk, and `mailctl spam learn`.
 *
 * Protocol: the client sends one line "learn spam <user>\n" or
 * "learn ham <user>\n" (<user>: the account's address, or "-" for the
 * shared database alone), then the message (at most
 * SPAMLEARN_MESSAGE_MAX bytes; the learner ignores the rest), then
 * shuts its writing side down. The learner answers one line:
 * "K<text>\n" learned, "Z<text>\n" temporary failure, "D<text>\n"
 * refused (not allowed, bad request). The learner accepts root and the
 * uids in PH_LEARN_UIDS (imap-session's, vmail) only. */

#include <stddef.h>

#include <skalibs/tai.h>

#include "common/mbox.h"

#define SPAMLEARN_USER_MAX 320
#define SPAMLEARN_MESSAGE_MAX ((size_t)2 << 20)
#define SPAMLEARN_ANSWER_MAX 256

/* Sends fd's content (read from its current position until EOF, at most
 * SPAMLEARN_MESSAGE_MAX bytes) to be learned as spam or ham for user,
 * everything before the deadline (callers in a session give a short one:
 * a learning must never hold a client long). Returns 1 when the learner
 * answered K; 0 with errno otherwise (ETIMEDOUT; ECONNREFUSED or ENOENT
 * when the service is down; EPROTO for a Z or D answer or a bad one).
 * The answer's text is left in spamlearn_answer either way ("" if
 * none). */
extern int spamlearn_send (char const *user, int is_spam, int fd, tain const *deadline) ;
extern char spamlearn_answer[SPAMLEARN_ANSWER_MAX] ;

/* The IMAP side (imap-session's COPY and MOVE, after the copies are
 * made): messages idx[0..n) of src copied into the folder target of
 * the Maildir at root are learned for user as spam when target is the
 * Junk folder (RFC 6154 \Junk), as ham when src is Junk and target is
 * not Trash (\Trash: deleting is no verdict). Everything within
 * PH_LEARN_IMAP_TIMEOUT_MS (default 2000) for the whole command, so a
 * learner that is down or slow costs the client at most that; the
 * messages left when it runs out are not learned. Logs one event
 * (spam_learn) with the counts; returns the number learned, -1 if the
 * folders are not a learning case. */
extern int spamlearn_moved (mbox *src, size_t const *idx, size_t n, char const *root, char const *target, char const *user) ;

#endif
