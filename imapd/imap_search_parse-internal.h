/* ISC license. */

#ifndef POSTHASTE_IMAP_SEARCH_PARSE_INTERNAL_H
#define POSTHASTE_IMAP_SEARCH_PARSE_INTERNAL_H

#include <stddef.h>
#include <iconv.h>
#include <skalibs/stralloc.h>

/* The CHARSET of a SEARCH, SORT or THREAD: strings are converted to
 * UTF-8 (RFC 9051 §6.4.4); UTF-8 and US-ASCII need no conversion. */
typedef struct imap_search_cs_s imap_search_cs ;
struct imap_search_cs_s
{
  iconv_t cd ;
  int identity ;
} ;
#define IMAP_SEARCH_CS_ZERO { .cd = (iconv_t)-1, .identity = 1 }

/* 1 ready, 0 unknown charset, -1 out of memory. */
extern int imap_search_charset_open (imap_search_cs *cs, char const *name) ;
/* Appends in[0..len) as UTF-8 to sa: 1, 0 invalid input, -1 out of memory. */
extern int imap_search_charset_convert (imap_search_cs *cs, char const *in, size_t len, stralloc *sa) ;
extern void imap_search_charset_close (imap_search_cs *cs) ;

#endif
