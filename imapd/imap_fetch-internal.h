/* ISC license. */

#ifndef POSTHASTE_IMAP_FETCH_INTERNAL_H
#define POSTHASTE_IMAP_FETCH_INTERNAL_H

/* Private helpers shared by the FETCH, STORE, SEARCH, SORT and THREAD
 * code (imap_msg.c, imap_fetch*.c, imap_search.c, imap_sort.c,
 * imap_thread.c, imap_cmd_fetch.c, imap_cmd_store.c, imap_cmd_search.c). */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "common/mime.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"
#include "imapd/imap_session.h"

#define IMAP_MSG_SIZE_MAX (1ull << 30)   /* a message over 1 GiB is refused (EFBIG) */
#define IMAP_MSG_HEADER_MAX (256u << 10) /* SORT/THREAD read at most this much header */

/* The header block of message index i of box, CRLF line ends, read
 * from its file up to the empty line (bounded by IMAP_MSG_HEADER_MAX),
 * into sa (replaced). Returns 1, or 0 (errno). */
extern int imap_msg_read_header (mbox *box, size_t i, stralloc *sa) ;

/* The top-level header block of msg (CRLF, with its empty line): from
 * the loaded text, else from the folder's header cache (mbox_header),
 * loading the message only for a header too long for it. *h is valid
 * until the next call or load. Returns 1, or 0 (errno; ENOENT:
 * expunged meanwhile). */
extern int imap_msg_header (imap_msg *msg, char const **h, size_t *hlen) ;

/* "(\Seen \Recent kw)" appended to sa. */
extern int imap_fetch_fmt_flags (stralloc *sa, uint32_t flags, int recent, uint32_t keywords, char const *const *names, unsigned int nnames) ;
/* "\"17-Jul-1996 02:44:25 -0700\"" (RFC 9051 date-time, quoted). */
extern int imap_fetch_fmt_date (stralloc *sa, int64_t t, int tzmin) ;
/* The data as a literal "{n}\r\n..." (literal8 "~{n}" when binary is
 * set and the data holds a NUL, RFC 3516 §4.2), "" when empty. */
extern int imap_fetch_fmt_literal (stralloc *sa, char const *s, size_t len, int binary) ;

/* Message indexes of box named by a sequence set: set->saved ("$",
 * RFC 5182) is the saved UIDs; '*' is the largest number in use.
 * Returns 1 with idx (size_t, ascending) filled, 0 with errno EINVAL
 * when a sequence number is beyond the mailbox (RFC 9051 §9: BAD), or
 * ENOMEM. */
extern int imap_fetch_resolve (mbox *box, imap_seqset const *set, int byuid, uint32_t const *saved, size_t nsaved, genalloc *idx) ;

/* The ranges of set resolved ('*' = max), sorted and merged, into out
 * (imap_range). Returns 0 with EINVAL for a sequence number beyond max
 * when !byuid, or ENOMEM. */
extern int imap_fetch_ranges (imap_seqset const *set, uint32_t max, int byuid, genalloc *out) ;
/* First index of box whose UID is >= uid. */
extern size_t imap_fetch_uid_lower_bound (mbox *box, uint32_t uid) ;

/* One BODY[...] / BINARY[...] / BINARY.SIZE[...] item, "<echo> <data>"
 * appended to sa; the message is loaded. errno EILSEQ: BINARY of an
 * unknown Content-Transfer-Encoding. */
extern int imap_fetch_section (stralloc *sa, imap_msg *msg, imap_fetch const *f, imap_section const *sec) ;
/* Can sec be answered from the top-level header alone (HEADER,
 * HEADER.FIELDS, HEADER.FIELDS.NOT of the message itself)? */
extern int imap_fetch_section_header_only (imap_section const *sec) ;
/* The same item from the header block h[0..hlen) only (the message is
 * not loaded). */
extern int imap_fetch_section_header (stralloc *sa, char const *h, size_t hlen, imap_fetch const *f, imap_section const *sec) ;

/* The sent date of a header block (Date:, else fallback), RFC 5256 §2.2. */
extern int64_t imap_msg_sent_date (char const *h, size_t hlen, int64_t fallback) ;

/* Value of parameter name in a part's parsed Content-Type parameters,
 * or 0. */
extern char const *imap_msg_part_param (mime_tree const *t, uint32_t part, char const *name) ;

/* ---- shared by the command handlers ---- */

/* "<tag> BAD <text>" from the cursor's error. */
extern int imap_cmd_bad (imap_session *s, char const *tag, imap_cursor const *c) ;
/* "<tag> <word> <text>" */
extern int imap_cmd_tagged2 (imap_session *s, char const *tag, char const *a, char const *b) ;
/* A CONDSTORE-enabling command (RFC 7162 §3.1) was used: turn CONDSTORE
 * on and, the first time, tell the client the HIGHESTMODSEQ. */
extern int imap_cmd_condstore (imap_session *s) ;
/* Is the selected mailbox writable? */
#define imap_cmd_writable(s) (!(s)->readonly && !(s)->box.readonly)
/* recent as this session shows it: \Recent does not exist in IMAP4rev2 */
#define imap_cmd_recent(s, i) (mbox_at(&(s)->box, (i))->recent && !((s)->enabled & IMAP_ENABLED_REV2))
/* imap_session_notify for FETCH, STORE, SEARCH, SORT and THREAD: the
 * folder is synced only when the last sync is IMAP_FAST_SYNC_SECS old,
 * as Dovecot does for these commands (MAILBOX_SYNC_FLAG_FAST, every
 * MAILBOX_FULL_SYNC_INTERVAL): a rescan of a busy folder costs more
 * than the command. This session's own changes are in its message list
 * already; NOOP, CHECK, IDLE and every other command still sync. */
extern int imap_session_notify_fast (imap_session *s, int allow_expunge) ;
/* Sends s->out as "* <seq> FETCH <s->out>\r\n". */
extern int imap_cmd_fetch_line (imap_session *s, uint32_t seq, char const *items, size_t len) ;

#endif
