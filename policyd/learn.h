/* ISC license. */

#ifndef POSTHASTE_POLICYD_LEARN_H
#define POSTHASTE_POLICYD_LEARN_H

/* policyd-learn's parts (docs/spam.md, "Learning"). */

#include <stddef.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/spamlearn.h"

typedef struct learn_request_s learn_request ;
struct learn_request_s
{
  int is_spam ;
  char user[SPAMLEARN_USER_MAX + 1] ;   /* "-": the shared database alone */
  stralloc msg ;
  int truncated ;
} ;

/* learn_peer.c: 1 if the peer (IPCREMOTEEUID) is root or in
 * PH_LEARN_UIDS. */
extern int learn_peer_allowed (char const **uid) ;

/* learn_read.c: the request line and the message, before the
 * deadline. Returns 1, or 0 with a reason for the client ("D..." or
 * "Z..." text in *why). */
extern int learn_read (learn_request *r, tain const *deadline, char const **why) ;

/* learn_store.c: the tokens into the shared database and the user's.
 * Returns 1 and *outcome (BAYES_LEARN_*, the user's database's, or the
 * shared one's for user "-"), or 0 with errno. */
extern int learn_store (learn_request const *r, unsigned int *ntokens, int *outcome) ;

#endif
