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

#endif
