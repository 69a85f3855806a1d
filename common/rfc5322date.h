/* ISC license. */

#ifndef POSTHASTE_RFC5322DATE_H
#define POSTHASTE_RFC5322DATE_H

/* RFC 5322 section 3.3 date-time, in local time with its numeric zone:
 * "Tue, 1 Jul 2003 10:52:37 +0200". For Date: headers (sendmail,
 * submitd) and the date at the end of Received headers (smtpd, submitd,
 * sendmail): one formatter, so every header posthaste writes reads the
 * same. */

#include <stddef.h>
#include <time.h>

#define RFC5322DATE_FMT 40   /* room for the longest date, with a NUL */

/* Writes t's date to s (RFC5322DATE_FMT bytes), NUL-terminated, and
 * returns its length. A time the C library cannot convert (or a year
 * beyond 9999) gives "Thu, 1 Jan 1970 00:00:00 +0000": an unusable
 * clock must still give a well-formed header. */
extern size_t rfc5322date_fmt (char *s, time_t t) ;

#endif
