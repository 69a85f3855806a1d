/* ISC license. */

#ifndef POSTHASTE_DKIMSIGN_H
#define POSTHASTE_DKIMSIGN_H

/* dkimsign's private interfaces. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/dns.h"

#define DS_KEYS_MAX 8          /* signatures per message */
#define DS_SELECTOR_MAX 63
#define DS_PATH_MAX 1024
#define DS_TABLE_MAX (1 << 20) /* KeyTable, SigningTable, dkim_signing.conf */
#define DS_KEYFILE_MAX 65536
#define DS_MSG_MAX ((size_t)64 << 20)

/* A key to sign with: where it is, what it signs as. */
typedef struct dskey_s dskey, *dskey_ref ;
struct dskey_s
{
  char domain[DNS_NAME_MAX + 1] ;
  char selector[DS_SELECTOR_MAX + 1] ;
  char path[DS_PATH_MAX + 1] ;
} ;

typedef struct dskeys_s dskeys, *dskeys_ref ;
struct dskeys_s
{
  unsigned int n ;
  dskey key[DS_KEYS_MAX] ;
} ;

/* Adds a key unless the same domain and selector is there already. */
extern void ds_keys_add (dskeys *, char const *domain, size_t dlen, char const *selector, size_t slen, char const *path, size_t plen) ;

/* A path written for docker-mailserver's container (/etc/opendkim/...,
 * /tmp/docker-mailserver/...) or relative, made a path of this host
 * under confdir. Returns 0 if it does not fit. */
extern int ds_path_map (char *out, char const *confdir, char const *path, size_t plen, char const *reldir) ;

/* The keys for an address (lower-cased local@domain) in the OpenDKIM
 * tables (keys_opendkim.c) and rspamd's layout (keys_rspamd.c).
 * Return 1, or 0 with errno on a read error (a missing file is none). */
extern int ds_keys_opendkim (dskeys *, char const *confdir, char const *addr) ;
extern int ds_keys_rspamd (dskeys *, char const *confdir, char const *domain) ;

/* The From address of the message's header section, lower-cased, into
 * addr (ADDR size); 1, or 0 with *why. */
#define DS_ADDR_MAX 512
extern int ds_from (char const *msg, size_t len, char *addr, char const **why) ;

/* Signs msg with every key for its From address; appends the fields to
 * fields (eol line ends) and a short summary ("d=... s=..." list, or
 * the reason nothing was signed) to note. Returns the number of
 * signatures (0: no key, or no From), or -1 with note: a key that could
 * not be read (a temporary failure: the admin must fix it). */
extern int ds_sign_message (stralloc *fields, stralloc *note, char const *msg, size_t len, char const *eol, char const *qid) ;

/* Reads and parses a key file (a regular file, at most DS_KEYFILE_MAX
 * bytes); 0 if it cannot be read or parsed. */
extern EVP_PKEY *ds_key_load (char const *path, int *alg, char const *qid) ;

/* ARC (RFC 8617) set for a message an alias of ours forwards: sealed
 * with an RSA key of the alias's domain (alias: lower-cased
 * local@domain, looked up as a From address would be), cv= and the
 * ARC-Authentication-Results from our topmost Authentication-Results
 * (authserv-id config_hostname()). Appends the three fields to fields
 * (eol line ends) and a summary to sum. Returns 1 sealed, 0 not sealed
 * (no RSA key for the domain, the chain is full or failed: sum says
 * why), -1 a key that could not be used (sum says why). */
extern int ds_arc_seal (stralloc *fields, stralloc *sum, char const *msg, size_t len, char const *eol, char const *alias, char const *qid) ;

/* Reads fd until EOF into sa, at most max bytes, before the deadline.
 * 1, or 0 with errno (ETIMEDOUT, EMSGSIZE, ...). */
extern int ds_read_all (int fd, stralloc *sa, size_t max, tain const *deadline) ;
extern int ds_write_all (int fd, char const *s, size_t len, tain const *deadline) ;

/* The three faces (dkimsign.c dispatches). */
extern int ds_filter (void) ;
extern int ds_server (void) ;
extern int ds_client (void) ;
extern int ds_verify (void) ;
extern int ds_verify_at (uint64_t now) ;
extern int ds_bench (char const *keyfile) ;

#endif
