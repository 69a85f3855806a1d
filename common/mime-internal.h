/* ISC license. */

#ifndef POSTHASTE_MIME_INTERNAL_H
#define POSTHASTE_MIME_INTERNAL_H

/* Shared pieces of common/mime*.c (and imapd's ENVELOPE/BODYSTRUCTURE
 * writers, which need the same lexing of structured header values). */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>
#include "common/mime.h"

/* ---- RFC 5322 §3.2 / RFC 2045 §5.1 lexing, lenient ---- */

/* Skips white space, folds and (nested) comments from pos; returns the new position. */
extern size_t mime_skip_cfws (char const *s, size_t len, size_t pos) ;
/* RFC 2045 token (no tspecials, no space, no CTL); returns its end (== pos if none). */
extern size_t mime_token_end (char const *s, size_t len, size_t pos) ;
/* quoted-string starting at s[pos] == '"': the unescaped content is
 * appended to sa (if not 0); returns the position after the closing quote
 * (or len if it is missing). */
extern size_t mime_quoted (stralloc *sa, char const *s, size_t len, size_t pos) ;

/* One parameter as written: "name" (lower-cased), value (unquoted). */
typedef struct mime_rawparam_s mime_rawparam ;
struct mime_rawparam_s
{
  size_t name ;      /* offsets in the caller's stralloc, NUL-terminated */
  size_t value ;
} ;

/* Parses "type/subtype; a=b; c="d"" (or "inline; filename=x" when
 * notype: the first word is a single token). Appends NUL-terminated
 * lower-cased type and subtype (subtype empty for notype), then the
 * parameter names and values, to sa, and the parameters' offsets to ga
 * (mime_rawparam). Returns 1 if the leading type is valid, 0 if not
 * (parameters are still collected), -1 on allocation failure. */
extern int mime_ctype_parse (stralloc *sa, genalloc *ga, char const *v, size_t vlen, int notype, size_t *type, size_t *subtype) ;

/* RFC 2231 §3/§4: joins "name*0", "name*1*"... and decodes
 * "charset'lang'%xx" values to UTF-8. From raw params (offsets in src),
 * appends name\0value\0 pairs to out; returns the number of pairs, or
 * -1 on allocation failure. */
extern int mime_params_decode (stralloc *out, char const *src, mime_rawparam const *p, unsigned int n) ;
/* The same joining, but the values of extended parameters are left as
 * written (name "x*", value "charset'lang'%xx..."), as Dovecot and
 * most IMAP servers send them in BODYSTRUCTURE. */
extern int mime_params_joined (stralloc *out, char const *src, mime_rawparam const *p, unsigned int n) ;

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (1-4), 0 if invalid. */
extern unsigned int mime_utf8_seq (unsigned char const *s, size_t len, uint32_t *cp) ;
extern int mime_utf8_put (stralloc *sa, uint32_t cp) ;
/* Appends s as UTF-8: valid UTF-8 as is, else every byte as Latin-1. */
extern int mime_raw_to_utf8 (stralloc *sa, char const *s, size_t len) ;

/* ---- case folding (RFC 5051) ---- */

/* The i;unicode-casemap form of one code point: appends up to 18 code
 * points to out, returns their number. */
extern unsigned int mime_fold_cp (uint32_t cp, uint32_t *out) ;

#endif
