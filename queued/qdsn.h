/* ISC license. */

#ifndef POSTHASTE_QUEUED_QDSN_H
#define POSTHASTE_QUEUED_QDSN_H

/* Reading back the DSN data an envelope keeps (RFC 3461): the ESMTP
 * parameters as the client gave them (env records M and N), and the
 * enhanced status code at the start of a delivery agent's text (RFC
 * 3463). The bytes come from the injection client and from the delivery
 * agents: every function is bounded, allocates nothing but the output it
 * is given, and says no to anything that is not exactly the grammar
 * (tests/fuzz/dsn_fields.c). */

#include <stddef.h>
#include <skalibs/stralloc.h>

#define QDSN_XTEXT_MAX 1024   /* longest ENVID/ORCPT value we use */

/* If s[0..len) is the parameter key (ASCII case ignored), alone or
 * followed by '=', returns 1 and points *val at the value (empty when
 * there is no '='); else 0. */
extern int qdsn_param (char const *s, size_t len, char const *key, char const **val, size_t *vlen) ;

/* NOTIFY=: "NEVER" alone, or a comma-separated non-empty set of SUCCESS,
 * FAILURE, DELAY (any case, each once). Sets QNOTIFY_* bits; 0 if the
 * value is not that. */
extern int qdsn_notify (char const *s, size_t len, unsigned char *bits) ;

/* xtext (RFC 3461 4): printable ASCII 33..126 except '+' and '=', and
 * "+HH" for any other byte (two hex digits; we also take lower case).
 * qdsn_xtext_decode appends the decoded bytes to *out, 0 on bad xtext or
 * ENOMEM. */
extern int qdsn_xtext_valid (char const *s, size_t len) ;
extern int qdsn_xtext_decode (char const *s, size_t len, stralloc *out) ;

/* ORCPT=: "<addr-type>;<xtext>", addr-type an atom (RFC 3461 4.2), or
 * "utf-8;<utf-8-addr-unitext>" (RFC 6533 3: raw UTF-8). Points *type
 * (and *tlen) at the type and *addr at the value. 0 if malformed. */
extern int qdsn_orcpt (char const *s, size_t len, char const **type, size_t *tlen, char const **addr, size_t *alen) ;

/* The length of the RFC 3463 enhanced status code that starts text:
 * class 2, 4 or 5, '.', subject 1-3 digits, '.', detail 1-3 digits,
 * followed by a space or the end. 0 if there is none. */
extern size_t qdsn_status (char const *text) ;

/* Appends s[0..len) to *out with every byte outside printable ASCII
 * (and every CR/LF/TAB) written as '?', cut to max bytes: for text
 * that goes into a header line of a notification. 0 on ENOMEM. */
extern int qdsn_printable (stralloc *out, char const *s, size_t len, size_t max) ;

#endif
