/* ISC license. */

#ifndef POSTHASTE_IMAP_MSG_H
#define POSTHASTE_IMAP_MSG_H

/* One message as the FETCH, SEARCH, SORT and THREAD code sees it. The
 * session (imap_session.c and friends) fills the cheap fields from
 * common/mbox.h and loads the text only when an item needs it:
 * imap_msg_load() reads the file once, converts it to CRLF and parses
 * its MIME tree; ENVELOPE and BODYSTRUCTURE are computed from the tree.
 *
 * imap_fetch.c, imap_search.c, imap_sort.c, imap_thread.c,
 * imap_envelope.c and imap_bodystructure.c use only this interface and
 * common/mime.h; they never touch the Maildir or the client. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "common/mime.h"
#include "imapd/imap_parse.h"

typedef struct imap_msg_s imap_msg, *imap_msg_ref ;
struct imap_msg_s
{
  mbox *box ;
  size_t index ;             /* in box->msgs; seq = index + 1 */
  uint32_t seq ;
  mbox_msg const *m ;        /* box->msgs entry: uid, flags, keywords, modseq, size, internaldate */
  unsigned int recent : 1 ;  /* \Recent in this session */
  unsigned int loaded : 1 ;
  stralloc text ;            /* the message, CRLF line ends, once loaded */
  mime_tree tree ;
} ;
#define IMAP_MSG_ZERO { .box = 0, .index = 0, .seq = 0, .m = 0, .recent = 0, .loaded = 0, .text = STRALLOC_ZERO, .tree = MIME_TREE_ZERO }

/* Sets msg to message index of box (dropping what was loaded for
 * another one, keeping the allocations). */
extern void imap_msg_set (imap_msg *msg, mbox *box, size_t index, int recent) ;
/* Reads and parses the text. Returns 1, 0 on error (errno; ENOENT: the
 * message was expunged elsewhere). */
extern int imap_msg_load (imap_msg *msg) ;
extern void imap_msg_free (imap_msg *msg) ;

/* ENVELOPE and BODY/BODYSTRUCTURE (RFC 9051 §7.5.2), appended to sa.
 * utf8: UTF8=ACCEPT is on (8-bit header text may be sent as quoted
 * strings, RFC 6855), else it goes as literals. */
extern int imap_envelope (stralloc *sa, mime_tree const *t, uint32_t part, int utf8) ;
extern int imap_bodystructure (stralloc *sa, mime_tree const *t, uint32_t part, int extensible, int utf8) ;

/* The FETCH response items for one message: "(UID 4 FLAGS (\Seen) ...)"
 * appended to sa, without "* n FETCH " and without CRLF. The session
 * sets \Seen itself before calling when f->sets_seen (and the mailbox
 * is writable) and asks for FLAGS to be included then. Errors: ENOENT
 * (expunged meanwhile: the session answers "NO [EXPUNGEISSUED]" or
 * skips, RFC 9051 §7.4.1), EILSEQ for BINARY of an unknown encoding
 * ([UNKNOWN-CTE]). */
typedef struct imap_fetch_ctx_s imap_fetch_ctx ;
struct imap_fetch_ctx_s
{
  int uid_command ;          /* UID FETCH: UID is always returned */
  int force_flags ;          /* \Seen was just set: include FLAGS */
  int force_modseq ;         /* CONDSTORE enabled and (CHANGEDSINCE) or a MODSEQ item: include MODSEQ */
  int utf8 ;
  char const *const *keywords ;   /* keyword names of the folder */
  unsigned int nkeywords ;
  int tzmin ;                /* zone for INTERNALDATE, minutes east of UTC */
} ;
extern int imap_fetch_item_list (stralloc *sa, imap_msg *msg, imap_fetch const *f, imap_fetch_ctx const *ctx) ;

/* SEARCH: does msg match node i of the program? (loads the text only
 * for keys that need it). saved: the SEARCHRES result (sorted UIDs) for
 * "$". maxseq/maxuid resolve '*'. now: for OLDER/YOUNGER. */
typedef struct imap_search_ctx_s imap_search_ctx ;
struct imap_search_ctx_s
{
  uint32_t maxseq ;
  uint32_t maxuid ;
  uint32_t const *saved ;
  size_t nsaved ;
  int64_t now ;
  char const *const *keywords ;
  unsigned int nkeywords ;
} ;
extern int imap_search_match (imap_search const *s, uint32_t node, imap_msg *msg, imap_search_ctx const *ctx) ;

/* SORT (RFC 5256 §3): orders the indexes in idx[0..n) of box by keys. Returns 1 or 0 (ENOMEM). */
extern int imap_sort (mbox *box, size_t *idx, size_t n, uint8_t const *keys, unsigned int nkeys) ;
/* THREAD: appends the thread list "(1)(2 3 (4)(5))" to sa, numbers being
 * UIDs if byuid else sequence numbers. */
extern int imap_thread (stralloc *sa, mbox *box, size_t const *idx, size_t n, int algorithm, int byuid) ;

#endif
