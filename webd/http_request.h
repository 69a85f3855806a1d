/* ISC license. */

#ifndef POSTHASTE_WEBD_HTTP_REQUEST_H
#define POSTHASTE_WEBD_HTTP_REQUEST_H

/* An HTTP/1.1 request head (RFC 9112 §2-§5), parsed in place and
 * bounded: the request line at most HTTP_LINE_MAX bytes, the field
 * section at most HTTP_FIELDS_BYTES_MAX bytes and HTTP_FIELDS_MAX
 * fields. Only what webd needs is kept; the parser never allocates and
 * never writes to its input. Untrusted bytes: tests/fuzz/http_request.c. */

#include <stddef.h>
#include <stdint.h>

#define HTTP_LINE_MAX 8192
#define HTTP_FIELDS_BYTES_MAX 32768
#define HTTP_FIELDS_MAX 100
#define HTTP_HEAD_MAX (HTTP_LINE_MAX + HTTP_FIELDS_BYTES_MAX + 4)
#define HTTP_HOST_MAX 255

enum http_method_e
{
  HTTP_GET = 1,
  HTTP_HEAD,
  HTTP_POST,
  HTTP_OTHER      /* a well-formed method webd does not serve: 501 */
} ;

typedef struct http_field_s http_field, *http_field_ref ;
struct http_field_s
{
  size_t name ;        /* offsets into the head */
  size_t namelen ;
  size_t value ;       /* without the surrounding OWS */
  size_t valuelen ;
} ;

typedef struct http_request_s http_request, *http_request_ref ;
struct http_request_s
{
  int method ;              /* enum http_method_e */
  unsigned int minor ;      /* HTTP/1.<minor>: 0 or 1 */
  size_t path ;             /* the path of the target (origin-form, or taken from an absolute-form) */
  size_t pathlen ;
  size_t query ;            /* after the '?', or 0 with querylen 0 */
  size_t querylen ;
  char host[HTTP_HOST_MAX + 1] ;   /* lower-cased, no port, no final dot; "" if none */
  uint64_t content_length ;
  unsigned int has_length : 1 ;
  unsigned int nfields ;
  http_field field[HTTP_FIELDS_MAX] ;
} ;

/* Where the head ends in s[0..len): returns its length (through the
 * empty line) when it is complete, 0 when more bytes are needed, or -1
 * with *status set (414: the request line is longer than HTTP_LINE_MAX;
 * 431: the field section is longer than HTTP_FIELDS_BYTES_MAX; 400: a
 * NUL). */
extern long http_head_end (char const *s, size_t len, unsigned int *status) ;

/* Parses a complete head (as http_head_end measured it). Returns 1, or
 * 0 with *status: 400 (malformed; RFC 9112 §3.2: no Host, or more than
 * one, with HTTP/1.1), 431 (too many fields), 501 (a transfer coding:
 * requests with bodies must use Content-Length here), 505 (not
 * HTTP/1.x). */
extern int http_request_parse (http_request *r, char const *s, size_t len, unsigned int *status) ;

/* The value of the first field named name (case-insensitive), or 0;
 * *vlen its length. */
extern char const *http_request_field (http_request const *r, char const *s, char const *name, size_t *vlen) ;

/* The value of a query parameter, %-decoded into out (max bytes,
 * NUL-terminated). 1 found, 0 absent, -1 malformed or too long. */
extern int http_query_param (http_request const *r, char const *s, char const *name, char *out, size_t max) ;

#endif
