/* ISC license. */

#ifndef POSTHASTE_IMAP_PARSE_H
#define POSTHASTE_IMAP_PARSE_H

/* IMAP command syntax (RFC 3501 §9, RFC 9051 §9 and the extensions'
 * ABNF), shared by imapd (pre-auth) and imap-session.
 *
 * Two layers:
 * - imap_reader assembles one complete command from untrusted input:
 *   the line plus every literal it announces ({n}, {n+} LITERAL+, ~{n}
 *   BINARY literal8), with the continuation request the caller must
 *   send for a synchronizing literal, and every limit enforced. It is
 *   incremental (the session is an iopause loop: IDLE waits on input and
 *   inotify at once).
 * - a cursor walks the assembled command: tag, command name, then the
 *   arguments, each parsed by the function for its grammar element.
 *   Literal bytes stay inside the command buffer, so a cursor can hand
 *   out pointers into it without copying.
 *
 * Every parse function returns 1 on success and advances the cursor, or
 * 0 and leaves c->error set to a short text for "BAD <text>" (the cursor
 * is then unusable). Nothing here allocates beyond the stralloc/genalloc
 * arguments given. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

/* ---- limits ---- */

#define IMAP_LINE_MAX 65536          /* one line of a command, CRLF included */
#define IMAP_COMMAND_MAX (1u << 20)  /* a whole command, literals except APPEND's message */
#define IMAP_NEST_MAX 32             /* parenthesised lists, search keys */
#define IMAP_SECTION_DEPTH_MAX 32    /* BODY[1.2.3...] */
#define IMAP_TAG_MAX 64

/* ---- reader ---- */

typedef struct imap_reader_s imap_reader, *imap_reader_ref ;
struct imap_reader_s
{
  stralloc cmd ;            /* the assembled command, CRLFs and literal data included */
  size_t literal_left ;     /* bytes of the current literal still to read */
  uint64_t literal_max ;    /* largest literal accepted (APPENDLIMIT for APPEND) */
  size_t scanned ;          /* how far cmd has been scanned for a literal header */
  unsigned int state ;
  unsigned int want_continuation : 1 ;  /* send "+ ..." now, then call again */
  unsigned int literal_plus_ok : 1 ;    /* LITERAL+ offered (else only LITERAL-: {n+} ≤ 4096) */
  int error ;               /* IMAP_READER_* when imap_reader_get() returned -1 */
} ;
#define IMAP_READER_ZERO { .cmd = STRALLOC_ZERO, .literal_left = 0, .literal_max = 0, .scanned = 0, .state = 0, .want_continuation = 0, .literal_plus_ok = 1, .error = 0 }

#define IMAP_READER_TOOLONG 1     /* a line over IMAP_LINE_MAX or a command over IMAP_COMMAND_MAX: "BAD" then resync at the next line */
#define IMAP_READER_LITERAL_TOOBIG 2  /* literal over literal_max: tagged "NO [TOOBIG]" (RFC 7889) if synchronizing, else BAD and close (RFC 7888 §4) */
#define IMAP_READER_BADLITERAL 3  /* malformed {n} header */
#define IMAP_READER_BARELINE 4    /* NUL in a line, or a line not ended by CRLF (bare LF is tolerated as CRLF, RFC 9051 §2.2) */

/* Reads from b (non-blocking, already filled by the caller's iopause
 * loop or buffer_fill) and assembles a command into r->cmd.
 * Returns 1: a complete command is in r->cmd (call imap_reader_reset()
 * after handling it); 0: need more input (or, if r->want_continuation,
 * send "+ Ready" first); -1: r->error says why; the tag, when already
 * read, is in r->cmd up to the first space. */
extern int imap_reader_get (imap_reader *r, buffer *b) ;
extern void imap_reader_reset (imap_reader *r) ;
extern void imap_reader_free (imap_reader *r) ;
/* Added: after -1, must the connection be closed (a {n+} literal was
 * refused: its bytes are on their way and cannot be told from commands,
 * RFC 7888 §4; or memory ran out)? Else answer and call get again: a
 * refused line is skipped to its end first. */
extern int imap_reader_must_close (imap_reader const *r) ;
/* Added: was the last literal header (the one refused with
 * IMAP_READER_LITERAL_TOOBIG) non-synchronizing? */
extern int imap_reader_nonsync (imap_reader const *r) ;
/* Added: with literal_max == 0, a literal may reach IMAP_COMMAND_MAX.
 * For APPEND each literal may reach literal_max and the whole command
 * literal_max + IMAP_COMMAND_MAX; for other commands the whole command
 * stays within IMAP_COMMAND_MAX. After a return of 0 with
 * want_continuation set, send "+ ..." before calling again (the flag is
 * cleared by the next call). */

/* ---- cursor ---- */

typedef struct imap_cursor_s imap_cursor, *imap_cursor_ref ;
struct imap_cursor_s
{
  char const *s ;
  size_t len ;
  size_t pos ;
  unsigned int depth ;
  unsigned int utf8 : 1 ;    /* UTF8=ACCEPT enabled: quoted strings may hold UTF-8 */
  char const *error ;
} ;

/* Sets up a cursor on an assembled command and reads "tag SP command":
 * tag (RFC 3501 "tag": astring chars but no '+'), then the command
 * name, upper-cased into name (≤ 31 chars), and for "UID <cmd>" sets
 * *uid and reads the next name. Returns 1 or 0 (error; *tag may still
 * be set, else "*" must be used). */
extern int imap_cursor_start (imap_cursor *c, char const *cmd, size_t len, char const **tag, size_t *taglen, char *name, int *uid) ;

extern int imap_sp (imap_cursor *c) ;          /* exactly one space */
extern int imap_end (imap_cursor *c) ;         /* at CRLF: the command is complete */
extern int imap_peek (imap_cursor const *c) ;  /* next byte or -1 */
extern int imap_peek_sp_or_end (imap_cursor const *c) ;

/* atom (RFC 3501 atom), copied and NUL-terminated into sa (appended). */
extern int imap_atom (imap_cursor *c, stralloc *sa) ;
/* astring/string/nstring: value appended to sa, NUL-terminated; *isnil for NIL (nstring). Literals are returned as their bytes. */
extern int imap_astring (imap_cursor *c, stralloc *sa) ;
extern int imap_string (imap_cursor *c, stralloc *sa) ;
extern int imap_nstring (imap_cursor *c, stralloc *sa, int *isnil) ;
/* The literal of APPEND (literal or literal8 with ~): points into the
 * command buffer, no copy. *binary is set for literal8. */
extern int imap_literal_ref (imap_cursor *c, char const **data, size_t *len, int *binary) ;
/* mailbox name: astring; "INBOX" in any case becomes "INBOX". The name
 * stays in the client's encoding (modified UTF-7, or UTF-8 when
 * c->utf8); see common/mutf7.h. */
extern int imap_mailbox (imap_cursor *c, stralloc *sa) ;
/* list-mailbox (LIST patterns: '%' and '*' allowed unquoted). */
extern int imap_list_mailbox (imap_cursor *c, stralloc *sa) ;
extern int imap_number (imap_cursor *c, uint32_t *n) ;      /* number, 32 bits */
extern int imap_nz_number (imap_cursor *c, uint32_t *n) ;   /* non-zero */
extern int imap_number64 (imap_cursor *c, uint64_t *n) ;    /* mod-sequence values, RFC 7162 (63 bits) */
extern int imap_lparen (imap_cursor *c) ;                   /* '(' with depth check */
extern int imap_rparen (imap_cursor *c) ;
extern int imap_try (imap_cursor *c, char ch) ;             /* consumes ch if next */
/* Case-insensitive keyword: consumes it if the next atom is exactly word. */
extern int imap_try_word (imap_cursor *c, char const *word) ;
/* date: "DD-Mon-YYYY" (quoted or not) as a day number; date-time: "DD-Mon-YYYY HH:MM:SS +ZZZZ" as Unix time. */
extern int imap_date (imap_cursor *c, int64_t *day_unix_midnight_utc) ;
extern int imap_date_time (imap_cursor *c, int64_t *t) ;
/* flag-list "(\Seen foo)" or a single flag; system flags as IMAP_FLAG_*
 * bits (\Recent refused where the grammar refuses it), keywords appended
 * to kw as NUL-terminated atoms, *nkw counted. */
extern int imap_flag_list (imap_cursor *c, uint32_t *flags, stralloc *kw, unsigned int *nkw, int allow_paren_less) ;

#define IMAP_FLAG_SEEN 0x01
#define IMAP_FLAG_ANSWERED 0x02
#define IMAP_FLAG_FLAGGED 0x04
#define IMAP_FLAG_DELETED 0x08
#define IMAP_FLAG_DRAFT 0x10
#define IMAP_FLAG_RECENT 0x20

/* ---- sequence sets (RFC 9051 §9 sequence-set, RFC 5182 "$") ---- */

typedef struct imap_range_s imap_range ;
struct imap_range_s { uint32_t lo, hi ; } ;   /* lo ≤ hi after parsing; 0 stands for '*' until resolved */

typedef struct imap_seqset_s imap_seqset, *imap_seqset_ref ;
struct imap_seqset_s
{
  genalloc ranges ;          /* imap_range */
  unsigned int saved : 1 ;   /* "$": the SEARCHRES saved result */
} ;
#define IMAP_SEQSET_ZERO { .ranges = GENALLOC_ZERO, .saved = 0 }

extern int imap_seqset_parse (imap_cursor *c, imap_seqset *set) ;
/* n in set, with '*' meaning max (RFC 9051: "*" is the largest number in use; "n:*" with n > max still contains max). */
extern int imap_seqset_contains (imap_seqset const *set, uint32_t n, uint32_t max) ;
/* Writes a set compactly ("1:3,7") from a sorted array. */
extern int imap_seqset_fmt (stralloc *sa, uint32_t const *sorted, size_t n) ;
extern void imap_seqset_free (imap_seqset *set) ;

/* ---- FETCH (RFC 9051 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ/CHANGEDSINCE/VANISHED) ---- */

#define IMAP_FETCH_UID 0x0001
#define IMAP_FETCH_FLAGS 0x0002
#define IMAP_FETCH_INTERNALDATE 0x0004
#define IMAP_FETCH_RFC822_SIZE 0x0008
#define IMAP_FETCH_ENVELOPE 0x0010
#define IMAP_FETCH_BODY 0x0020            /* BODY without section: non-extensible BODYSTRUCTURE */
#define IMAP_FETCH_BODYSTRUCTURE 0x0040
#define IMAP_FETCH_MODSEQ 0x0080
#define IMAP_FETCH_RFC822 0x0100          /* = BODY[] but named RFC822 in the answer; sets \Seen */
#define IMAP_FETCH_RFC822_HEADER 0x0200   /* = BODY.PEEK[HEADER] */
#define IMAP_FETCH_RFC822_TEXT 0x0400     /* = BODY[TEXT]; sets \Seen */
#define IMAP_FETCH_SAVEDATE 0x0800        /* RFC 8514, optional */

#define IMAP_SECTION_BODY 1          /* BODY[...] */
#define IMAP_SECTION_BODY_PEEK 2     /* BODY.PEEK[...] */
#define IMAP_SECTION_BINARY 3        /* BINARY[...] */
#define IMAP_SECTION_BINARY_PEEK 4
#define IMAP_SECTION_BINARY_SIZE 5   /* BINARY.SIZE[...] */

#define IMAP_TEXT_NONE 0             /* BODY[] or BODY[1.2] */
#define IMAP_TEXT_HEADER 1
#define IMAP_TEXT_HEADER_FIELDS 2
#define IMAP_TEXT_HEADER_FIELDS_NOT 3
#define IMAP_TEXT_TEXT 4
#define IMAP_TEXT_MIME 5

typedef struct imap_section_s imap_section ;
struct imap_section_s
{
  uint8_t kind ;             /* IMAP_SECTION_* */
  uint8_t text ;             /* IMAP_TEXT_* */
  unsigned int nparts ;
  uint32_t part[IMAP_SECTION_DEPTH_MAX] ;
  size_t fields ;            /* offset in imap_fetch.strings: nfields NUL-terminated field names, as sent */
  unsigned int nfields ;
  unsigned int partial : 1 ;
  uint32_t offset ;          /* <offset.count> */
  uint32_t count ;
  size_t echo ;              /* offset in strings: the response item name, e.g. "BODY[HEADER.FIELDS (From To)]<0>", NUL-terminated */
} ;

typedef struct imap_fetch_s imap_fetch, *imap_fetch_ref ;
struct imap_fetch_s
{
  uint32_t items ;           /* IMAP_FETCH_* */
  genalloc sections ;        /* imap_section, in the order asked */
  stralloc strings ;
  unsigned int sets_seen : 1 ;      /* some item implies \Seen (non-PEEK BODY/BINARY, RFC822, RFC822.TEXT) */
  unsigned int changedsince : 1 ;   /* (CHANGEDSINCE n) modifier */
  unsigned int vanished : 1 ;       /* (VANISHED) modifier, UID FETCH only with QRESYNC */
  uint64_t changedsince_value ;
} ;
#define IMAP_FETCH_ZERO { .items = 0, .sections = GENALLOC_ZERO, .strings = STRALLOC_ZERO, .sets_seen = 0, .changedsince = 0, .vanished = 0, .changedsince_value = 0 }

/* Parses the fetch-att list or macro (ALL, FAST, FULL) and the optional
 * fetch modifiers. */
extern int imap_fetch_parse (imap_cursor *c, imap_fetch *f) ;
extern void imap_fetch_free (imap_fetch *f) ;

/* ---- SEARCH program (RFC 9051 §6.4.4, RFC 3501 §6.4.4, RFC 7162 MODSEQ, RFC 4731/5182 RETURN, RFC 5032 OLDER/YOUNGER) ---- */

enum imap_search_op_e
{
  IMAP_SK_AND,          /* children a..: list of nodes (first child a, count n) */
  IMAP_SK_OR,           /* children a, b */
  IMAP_SK_NOT,          /* child a */
  IMAP_SK_ALL,
  IMAP_SK_FLAG,         /* num = IMAP_FLAG_* bit set (ANSWERED DELETED DRAFT FLAGGED SEEN RECENT) */
  IMAP_SK_UNFLAG,       /* UNANSWERED ... UNSEEN; OLD = UNFLAG RECENT */
  IMAP_SK_NEW,          /* RECENT and UNSEEN */
  IMAP_SK_KEYWORD,      /* str */
  IMAP_SK_UNKEYWORD,    /* str */
  IMAP_SK_BCC, IMAP_SK_CC, IMAP_SK_FROM, IMAP_SK_TO, IMAP_SK_SUBJECT,   /* str: substring of the decoded field */
  IMAP_SK_BODY, IMAP_SK_TEXT,                                          /* str */
  IMAP_SK_HEADER,       /* str = field name, str2 = substring (empty: field present) */
  IMAP_SK_BEFORE, IMAP_SK_ON, IMAP_SK_SINCE,                 /* num = day (Unix midnight UTC), internal date */
  IMAP_SK_SENTBEFORE, IMAP_SK_SENTON, IMAP_SK_SENTSINCE,     /* the Date: field */
  IMAP_SK_LARGER, IMAP_SK_SMALLER,   /* num */
  IMAP_SK_OLDER, IMAP_SK_YOUNGER,    /* num seconds, RFC 5032 */
  IMAP_SK_SEQSET,       /* set */
  IMAP_SK_UIDSET,       /* set */
  IMAP_SK_MODSEQ,       /* num; str = entry name (ignored but parsed), RFC 7162 §3.1.5 */
} ;

typedef struct imap_search_node_s imap_search_node ;
struct imap_search_node_s
{
  uint8_t op ;
  uint32_t a, n ;            /* AND: first child index and count; OR: a, b=n; NOT: a */
  uint64_t num ;
  size_t str, strlen ;       /* in imap_search.strings (UTF-8 after charset conversion) */
  size_t str2, str2len ;
  imap_seqset set ;
} ;

#define IMAP_SEARCH_RETURN_MIN 0x01
#define IMAP_SEARCH_RETURN_MAX 0x02
#define IMAP_SEARCH_RETURN_ALL 0x04
#define IMAP_SEARCH_RETURN_COUNT 0x08
#define IMAP_SEARCH_RETURN_SAVE 0x10

typedef struct imap_search_s imap_search, *imap_search_ref ;
struct imap_search_s
{
  genalloc nodes ;           /* imap_search_node; the root is node 0, an AND */
  stralloc strings ;
  unsigned int has_return : 1 ;   /* RETURN (...) given: answer ESEARCH (RFC 4731) */
  unsigned int return_opts ;      /* IMAP_SEARCH_RETURN_*; RETURN () means ALL */
  unsigned int uses_modseq : 1 ;  /* a MODSEQ key: answer with (MODSEQ n), RFC 7162 §3.1.5 */
  unsigned int uses_saved : 1 ;   /* "$" appears */
} ;
#define IMAP_SEARCH_ZERO { .nodes = GENALLOC_ZERO, .strings = STRALLOC_ZERO, .has_return = 0, .return_opts = 0, .uses_modseq = 0, .uses_saved = 0 }

/* Parses [RETURN (...)] [CHARSET x] search-key... to the end of the
 * command. Strings in other charsets than UTF-8 and US-ASCII are
 * converted with iconv; an unknown charset fails with c->error =
 * "[BADCHARSET (UTF-8)]" (the caller answers NO, RFC 9051 §6.4.4).
 * SORT (RFC 5256) parses its criteria first, then calls this with
 * charset_required set. */
extern int imap_search_parse (imap_cursor *c, imap_search *s, int charset_required) ;
extern void imap_search_free (imap_search *s) ;

/* ---- SORT / THREAD (RFC 5256) ---- */

#define IMAP_SORT_ARRIVAL 1
#define IMAP_SORT_CC 2
#define IMAP_SORT_DATE 3
#define IMAP_SORT_FROM 4
#define IMAP_SORT_SIZE 5
#define IMAP_SORT_SUBJECT 6
#define IMAP_SORT_TO 7
#define IMAP_SORT_DISPLAYFROM 8   /* RFC 5957 */
#define IMAP_SORT_DISPLAYTO 9
#define IMAP_SORT_REVERSE 0x80    /* or'ed onto the key that follows REVERSE */
#define IMAP_SORT_MAX 16

/* "(REVERSE DATE SUBJECT)": keys[], *n. */
extern int imap_sort_criteria (imap_cursor *c, uint8_t *keys, unsigned int *n) ;

#define IMAP_THREAD_ORDEREDSUBJECT 1
#define IMAP_THREAD_REFERENCES 2
extern int imap_thread_algorithm (imap_cursor *c, int *alg) ;

/* ---- STORE (RFC 9051 §6.4.6, RFC 7162 UNCHANGEDSINCE) ---- */

#define IMAP_STORE_SET 0
#define IMAP_STORE_ADD 1
#define IMAP_STORE_REMOVE 2

typedef struct imap_store_s imap_store ;
struct imap_store_s
{
  int mode ;                 /* IMAP_STORE_* */
  unsigned int silent : 1 ;
  unsigned int unchangedsince : 1 ;
  uint64_t unchangedsince_value ;
  uint32_t flags ;           /* IMAP_FLAG_* (never RECENT) */
  stralloc keywords ;        /* NUL-terminated atoms */
  unsigned int nkeywords ;
} ;
#define IMAP_STORE_ZERO { .mode = 0, .silent = 0, .unchangedsince = 0, .unchangedsince_value = 0, .flags = 0, .keywords = STRALLOC_ZERO, .nkeywords = 0 }

/* "[(UNCHANGEDSINCE n)] FLAGS|+FLAGS|-FLAGS[.SILENT] flag-list" */
extern int imap_store_parse (imap_cursor *c, imap_store *st) ;

/* ---- LIST (RFC 9051 §6.3.9, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154) ---- */

#define IMAP_LIST_SEL_SUBSCRIBED 0x01
#define IMAP_LIST_SEL_REMOTE 0x02
#define IMAP_LIST_SEL_RECURSIVEMATCH 0x04
#define IMAP_LIST_SEL_SPECIALUSE 0x08
#define IMAP_LIST_RET_SUBSCRIBED 0x01
#define IMAP_LIST_RET_CHILDREN 0x02
#define IMAP_LIST_RET_SPECIALUSE 0x04
#define IMAP_LIST_RET_STATUS 0x08

#define IMAP_STATUS_MESSAGES 0x01
#define IMAP_STATUS_RECENT 0x02
#define IMAP_STATUS_UIDNEXT 0x04
#define IMAP_STATUS_UIDVALIDITY 0x08
#define IMAP_STATUS_UNSEEN 0x10
#define IMAP_STATUS_DELETED 0x20          /* RFC 9051 */
#define IMAP_STATUS_SIZE 0x40             /* RFC 8438 */
#define IMAP_STATUS_HIGHESTMODSEQ 0x80    /* RFC 7162 */
#define IMAP_STATUS_APPENDLIMIT 0x100     /* RFC 7889 */

typedef struct imap_list_s imap_list ;
struct imap_list_s
{
  unsigned int extended : 1 ;     /* selection or return options were given, or several patterns */
  unsigned int select_opts ;
  unsigned int return_opts ;
  unsigned int status_items ;     /* with IMAP_LIST_RET_STATUS */
  stralloc reference ;            /* NUL-terminated */
  stralloc patterns ;             /* npatterns NUL-terminated patterns */
  unsigned int npatterns ;
} ;
#define IMAP_LIST_ZERO { .extended = 0, .select_opts = 0, .return_opts = 0, .status_items = 0, .reference = STRALLOC_ZERO, .patterns = STRALLOC_ZERO, .npatterns = 0 }

extern int imap_list_parse (imap_cursor *c, imap_list *l) ;
/* "(MESSAGES UNSEEN ...)" */
extern int imap_status_items (imap_cursor *c, unsigned int *items) ;

/* Does name match the LIST pattern (RFC 9051 §6.3.9: '*' anything,
 * '%' anything but the hierarchy delimiter)? */
extern int imap_list_match (char const *pattern, char const *name, char delim) ;

/* ---- output helpers ---- */

/* Appends s as an IMAP string: atom-safe text as a quoted string with
 * escapes, anything with CR, LF, NUL or 8-bit (when !utf8) as a literal
 * {n}\r\n...; NIL for s == 0. */
extern int imap_fmt_string (stralloc *sa, char const *s, size_t len, int utf8) ;
extern int imap_fmt_nstring (stralloc *sa, char const *s, size_t len, int utf8) ;
extern int imap_fmt_flags (stralloc *sa, uint32_t flags, char const *const *keywords, unsigned int nkeywords) ;
/* "17-Jul-1996 02:44:25 -0700" (RFC 9051 date-time), in the local zone given in minutes east of UTC. */
extern int imap_fmt_date_time (stralloc *sa, int64_t t, int tzmin) ;

/* Added notes on the functions above, for their callers:
 * - imap_cursor_start leaves c->utf8 as the caller set it.
 * - imap_search_parse skips one leading SP if there is one, and checks
 *   that the command ends where the program does.
 * - imap_fetch_parse, imap_store_parse and imap_list_parse start at
 *   their first item (after the SP that precedes it) and stop after the
 *   last one: the caller checks imap_end.
 * - FETCH: CHANGEDSINCE sets IMAP_FETCH_MODSEQ (RFC 7162 §3.1.4.1);
 *   VANISHED without CHANGEDSINCE is refused (RFC 7162 §3.2.6).
 * - LIST: the SUBSCRIBED and SPECIAL-USE selection options also set the
 *   matching return option (RFC 5258 §3.1, RFC 6154 §3).
 * - imap_seqset_contains: "n:*" with n > max is max:n (RFC 9051 §9).
 * - imap_fmt_date_time writes the date-time without its DQUOTEs, the day
 *   as date-day-fixed (" 7-Jul-1996 ..."), years clamped to 0001-9999.
 * - imap_list_match: names over 4096 bytes never match. */

#endif
