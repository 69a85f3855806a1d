/* ISC license. */

#ifndef POSTHASTE_MAILCTL_H
#define POSTHASTE_MAILCTL_H

/* mailctl's private interfaces: the two docker-mailserver text files,
 * held in memory line by line so that an edit rewrites only the lines it
 * touches (comments and the admin's layout survive), and the compiler
 * that turns them into the cdbs of docs/internals.md. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

/* One line of a text file. Offsets point into the file's storage. */
typedef struct mcline_s mcline, *mcline_ref ;
struct mcline_s
{
  size_t raw ;          /* the line as it will be written, without LF */
  size_t rawlen ;
  unsigned int lineno ; /* 1-based in the file as read; 0 for added lines */
  unsigned int data : 1 ;     /* not blank, not a comment */
  unsigned int deleted : 1 ;
  unsigned int hasextra : 1 ; /* accounts: a third field was present */
  size_t key ;          /* lower-cased address or "@domain", NUL-terminated */
  size_t keylen ;
  size_t val ;          /* accounts: the {SCHEME}hash; virtual: targets, text0 */
  size_t vallen ;
  size_t extra ;        /* accounts: everything after the second '|' */
  size_t extralen ;
} ;

typedef struct mcfile_s mcfile, *mcfile_ref ;
struct mcfile_s
{
  char const *path ;
  stralloc storage ;
  genalloc lines ;      /* mcline */
} ;
#define MCFILE_ZERO { .path = 0, .storage = STRALLOC_ZERO, .lines = GENALLOC_ZERO }

#define MC_ACCOUNT 1    /* an account address: the stricter rules */
#define MC_ALIAS 2      /* an alias left side: "@domain" allowed */
#define MC_TARGET 3     /* an alias target */

/* Checks an address of the given kind and writes its lookup key
 * (lower-cased) into key (ADDR_PATH_MAX + 3 bytes). Returns its length,
 * or 0 if the address is not acceptable; *why then says why. */
extern size_t mc_addrkey (char const *s, size_t len, int kind, char *key, char const **why) ;

/* Reads a whole text file into f (a missing file is an empty one).
 * Dies 111 on read errors. */
extern void mc_file_read (mcfile *f, char const *path) ;
/* Adds a line (raw text) and returns its index. Dies 111 on ENOMEM. */
extern size_t mc_file_addline (mcfile *f, char const *s, size_t len) ;
/* Replaces line i's raw text. */
extern void mc_file_setraw (mcfile *f, size_t i, char const *s, size_t len) ;
/* Writes f back atomically (temp, fsync, rename, directory fsync),
 * keeping the old file's owner and mode, or mode for a new file.
 * Dies 111 on failure. */
extern void mc_file_write (mcfile const *f, unsigned int mode) ;

/* Parsers: fill the parsed fields of every data line; die 100 with
 * "path:line: reason" on a line they cannot accept. */
extern void mc_accounts_parse (mcfile *f) ;
extern void mc_virtual_parse (mcfile *f) ;

/* Is t[0..tlen) one of the text0 targets list[0..len)? */
extern int mc_targets_has (char const *list, size_t len, char const *t, size_t tlen) ;

/* The index of the first live data line with this key, or -1. */
extern long mc_file_find (mcfile const *f, char const *key, size_t keylen, size_t from) ;

/* Recompiles domains.cdb, users.cdb, aliases.cdb and passwd.cdb in
 * cdbdir from the parsed files (users.cdb's quota= from quotas, the
 * parsed dovecot-quotas.cf). Dies 111 on failure, 100 on a bad
 * ENABLE_QUOTAS or POSTFIX_MAILBOX_SIZE_LIMIT. */
extern void mc_compile (mcfile const *accounts, mcfile const *virtual, mcfile const *quotas, char const *cdbdir) ;

/* dovecot-quotas.cf (quota.c). The parser stores each line's quota in
 * bytes, in decimal, as its val. */
extern void mc_quotas_parse (mcfile *f) ;
/* A Dovecot size: digits and an optional unit B, k, M, G, T (powers of
 * 1024; any case unless strict; none: bytes). strict is docker-mailserver's
 * `setup quota set` rule: a unit is required but for "0". Returns 1 with
 * *bytes, 0 if it does not parse or overflows. */
extern int mc_quota_size (char const *s, size_t len, int strict, uint64_t *bytes) ;
/* The quota of an account in the parsed file: 1 and *bytes (the last
 * line for it), or 0 if it has none. */
extern int mc_quota_find (mcfile const *f, char const *key, size_t keylen, uint64_t *bytes) ;
/* Makes $PH_STATE/quota (vmail's, 0755) for deliverd and smtpd; warns
 * when it cannot. */
extern void mc_quota_statusdir (void) ;

#define mc_line(f, i) (genalloc_s(mcline, &(f)->lines) + (i))
#define mc_nlines(f) genalloc_len(mcline, &(f)->lines)
#define mc_str(f, off) ((f)->storage.s + (off))

#endif
