/* ISC license. */

#ifndef POSTHASTE_MIME_H
#define POSTHASTE_MIME_H

/* RFC 5322 + MIME (RFC 2045-2049, 2047, 2231) parsing of a whole message
 * held in memory, for imap-session (BODYSTRUCTURE, sections, SEARCH) and
 * policyd (body text for scoring). Real-world mail is broken: nothing
 * here fails on bad MIME; it degrades the way RFC 3501 and Dovecot do
 * (a multipart without a usable boundary is one text part, an unknown
 * encoding is returned as is), and every loop is bounded by
 * MIME_DEPTH_MAX and MIME_PARTS_MAX.
 *
 * Offsets are into the message as given. imap-session gives the message
 * with CRLF line ends (mail is stored with LF; IMAP serves CRLF, and
 * every size and offset IMAP reports is in that form), so sizes and
 * line counts come out as RFC 3501 wants them. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#define MIME_DEPTH_MAX 32
#define MIME_PARTS_MAX 1000
#define MIME_NONE UINT32_MAX

typedef struct mime_part_s mime_part, *mime_part_ref ;
struct mime_part_s
{
  size_t hstart, hlen ;     /* the header section, with its terminating empty line */
  size_t bstart, blen ;     /* the body */
  size_t blines ;           /* lines in the body (RFC 3501 body-fld-lines) */
  uint32_t parent ;         /* MIME_NONE for the top */
  uint32_t child ;          /* first child: a multipart's first part, or the top part of a message/rfc822's encapsulated message */
  uint32_t next ;           /* next sibling in a multipart */
  uint32_t nchildren ;
  unsigned int depth ;
  unsigned int multipart : 1 ;
  unsigned int message : 1 ;   /* message/rfc822 or message/global with an encapsulated message */
  /* Content-Type as parsed, lower-cased (defaults per RFC 2045 §5.2,
   * and text/plain or message/rfc822 in a multipart/digest); offsets
   * into mime_tree.strings, NUL-terminated. */
  size_t type, subtype ;
  size_t params ;           /* nparams pairs name\0value\0, RFC 2231 continuations joined and decoded to UTF-8 */
  unsigned int nparams ;
  size_t boundary ;         /* offset in strings, 0 if none */
  size_t encoding ;         /* Content-Transfer-Encoding, lower-cased; "7bit" by default */
} ;

typedef struct mime_tree_s mime_tree, *mime_tree_ref ;
struct mime_tree_s
{
  genalloc parts ;          /* mime_part; part 0 is the message itself */
  stralloc strings ;        /* starts with one NUL so offset 0 means "none" */
  char const *msg ;         /* the message the offsets refer to */
  size_t len ;
} ;
#define MIME_TREE_ZERO { .parts = GENALLOC_ZERO, .strings = STRALLOC_ZERO, .msg = 0, .len = 0 }

#define mime_at(t, i) (genalloc_s(mime_part, &(t)->parts) + (i))
#define mime_str(t, off) ((t)->strings.s + (off))

/* Parses msg (kept by reference; it must outlive the tree). Returns 1,
 * 0 on allocation failure only. */
extern int mime_parse (mime_tree *t, char const *msg, size_t len) ;
extern void mime_free (mime_tree *t) ;

/* The part at an IMAP section path (RFC 9051 §6.4.5: "1.2.3"; for a
 * message/rfc822 part, its number then names the encapsulated message's
 * parts; a non-multipart has part 1 = itself). MIME_NONE if absent. */
extern uint32_t mime_section (mime_tree const *t, uint32_t const *path, unsigned int n) ;

/* ---- header fields ---- */

/* Finds the n-th (from 0) field named name (case-insensitive) in the
 * header block h (hlen bytes). *v and *vlen: the raw value after the colon,
 * folding included, without the final CRLF. Returns 1 or 0. */
extern int mime_header_get (char const *h, size_t hlen, char const *name, unsigned int n, char const **v, size_t *vlen) ;
/* Iterates fields: *pos starts at 0; returns 1 with name/value spans, 0 at the end. */
extern int mime_header_next (char const *h, size_t hlen, size_t *pos, char const **name, size_t *namelen, char const **v, size_t *vlen) ;
/* Unfolds (drops CRLF before WSP) and trims, appending to sa. */
extern int mime_unfold (stralloc *sa, char const *v, size_t vlen) ;
/* RFC 2047 encoded words decoded, every charset converted to UTF-8
 * (iconv; unknown charsets and bad bytes become U+FFFD), unfolded,
 * appended to sa. Raw 8-bit text is taken as UTF-8 when valid, else
 * Latin-1. */
extern int mime_decode_header (stralloc *sa, char const *v, size_t vlen) ;
/* Value of parameter name of a structured field value (Content-Type,
 * Content-Disposition), RFC 2045 §5.1 and RFC 2231 (charset, language,
 * continuations), as UTF-8. Returns 1, 0 if absent. */
extern int mime_param (stralloc *sa, char const *v, size_t vlen, char const *name) ;

/* ---- bodies ---- */

/* Decodes a body by its Content-Transfer-Encoding ("base64",
 * "quoted-printable"; anything else is copied). Returns 1, or 0 if the
 * encoding is unknown (RFC 3516 §4.2: BINARY then answers
 * [UNKNOWN-CTE]); bad base64 characters are skipped as RFC 2045 §6.8
 * says. */
extern int mime_decode_body (stralloc *sa, char const *body, size_t len, char const *encoding) ;
/* Converts text in charset to UTF-8 (iconv), replacing what does not
 * convert with U+FFFD. */
extern int mime_to_utf8 (stralloc *sa, char const *s, size_t len, char const *charset) ;

/* ---- searching and sorting (RFC 5256, RFC 9051 §6.4.4) ---- */

/* Case-insensitive (i;unicode-casemap, RFC 5051: simple case folding of
 * UTF-8) substring test. */
extern int mime_text_contains (char const *hay, size_t haylen, char const *needle, size_t needlelen) ;
/* Appends the folded form of UTF-8 text (for repeated matching). */
extern int mime_fold (stralloc *sa, char const *s, size_t len) ;
/* RFC 5256 §2.1 base subject, from the raw Subject value. */
extern int mime_base_subject (stralloc *sa, char const *v, size_t vlen, int *is_reply_or_fwd) ;
/* RFC 5322 §3.3 date-time (and the obsolete forms) to Unix time; *tz
 * gets the zone in minutes. Returns 0 if it does not parse. */
extern int mime_parse_date (char const *v, size_t vlen, int64_t *t, int *tz) ;
/* Message-IDs in a References / In-Reply-To / Message-ID value, each
 * "<...>" appended NUL-terminated; returns the count. */
extern unsigned int mime_msgids (stralloc *sa, char const *v, size_t vlen) ;

#endif
