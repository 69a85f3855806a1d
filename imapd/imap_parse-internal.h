/* ISC license. */

#ifndef POSTHASTE_IMAP_PARSE_INTERNAL_H
#define POSTHASTE_IMAP_PARSE_INTERNAL_H

/* Private helpers of the IMAP syntax layer (imap_parse*.c, imap_reader*.c,
 * imap_seqset*.c, imap_search_parse*.c, imap_fmt*.c). */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_parse.h"

/* Character classes of RFC 9051 §9. */
extern int imap_is_atom_char (unsigned char ch) ;      /* ATOM-CHAR */
extern int imap_is_astring_char (unsigned char ch) ;   /* ATOM-CHAR / resp-specials */
extern int imap_is_list_char (unsigned char ch) ;      /* ATOM-CHAR / list-wildcards / resp-specials */
extern int imap_is_tag_char (unsigned char ch) ;       /* astring chars except '+' */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 §4), or 0. */
extern size_t imap_utf8_seq (unsigned char const *s, size_t len) ;

/* Fails the cursor with a fixed text; always returns 0. */
extern int imap_fail (imap_cursor *c, char const *text) ;

/* Reads a run of chars accepted by class (at least one); *start, *len
 * point into the command. */
extern int imap_run (imap_cursor *c, int (*class) (unsigned char), char const **start, size_t *len) ;

/* quoted or literal (literal8 too when binary_ok), without copying: the
 * raw quoted body is returned with *quoted set so the caller unescapes. */
extern int imap_string_raw (imap_cursor *c, char const **s, size_t *len, int *quoted, int *binary) ;
/* Appends the unescaped body of a quoted string. */
extern int imap_unquote_cat (stralloc *sa, char const *s, size_t len) ;

/* Case-insensitive compare of s[0..len) with the NUL-terminated word. */
extern int imap_word_is (char const *s, size_t len, char const *word) ;

/* Parses a literal header "{n}" / "{n+}" / "~{n}" at the end of a line
 * body s[0..len) (CRLF excluded). Returns 1 with *n, *nonsync, *binary
 * set, 0 when the line does not end in a literal header, -1 when it
 * ends in a malformed one. */
extern int imap_literal_header (char const *s, size_t len, uint64_t *n, int *nonsync, int *binary) ;

/* Civil date to days since 1970-01-01 (proleptic Gregorian), and back. */
extern int64_t imap_days_from_civil (int64_t y, unsigned int m, unsigned int d) ;
extern void imap_civil_from_days (int64_t days, int64_t *y, unsigned int *m, unsigned int *d) ;
extern char const imap_month_names[12][4] ;

#endif
