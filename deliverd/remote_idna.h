/* ISC license. */

#ifndef POSTHASTE_DELIVERD_REMOTE_IDNA_H
#define POSTHASTE_DELIVERD_REMOTE_IDNA_H

/* Addresses for a server without SMTPUTF8 (RFC 6531 3.2): a domain
 * has an ASCII form, its A-labels (RFC 5891), a local part has none.
 * So an address whose only non-ASCII part is its domain goes out with
 * that domain in A-labels; one with a non-ASCII local part cannot go. */

#include <skalibs/stralloc.h>

/* 1 if the local part of addr (what is before its last '@') is ASCII. */
extern int remote_addr_local_ascii (char const *addr) ;

/* Appends addr to out with its domain in A-label form. Returns 1; 0 if
 * out could not grow (ENOMEM); -1 if the domain cannot be converted,
 * with *why a short static reason. */
extern int remote_addr_alabel (char const *addr, stralloc *out, char const **why) ;

#endif
