/* ISC license. */

#ifndef POSTHASTE_LOG_INTERNAL_H
#define POSTHASTE_LOG_INTERNAL_H

#include <stddef.h>

#include "common/log.h"

/* The last byte of buf is kept for the final '\n'; when text does not
 * fit, the line is cut and "..." takes the last three content bytes. */
#define LOG_CONTENT_MAX (LOGLINE_MAX - 1)
#define LOG_CUT_AT (LOG_CONTENT_MAX - 3)

extern void log_append (logline *, char const *s, size_t n) ;
extern void log_append_value (logline *, char const *s, size_t n) ;

#endif
