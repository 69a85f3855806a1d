/* ISC license. */

#ifndef POSTHASTE_RCPT_H
#define POSTHASTE_RCPT_H

/* Recipient resolution, shared by smtpd (may we accept it?) and deliverd
 * (where does it go?); the rules are in docs/internals.md. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/cdbmap.h"
#include "common/regexpmap.h"

typedef struct rcptmaps_s rcptmaps, *rcptmaps_ref ;
struct rcptmaps_s
{
  cdbmap domains ;
  cdbmap users ;
  cdbmap aliases ;
  regexpmap regexps ;   /* regexp.map: postfix-regexp.cf, checked by mailctl */
  stralloc paths ;
} ;
#define RCPTMAPS_ZERO { .domains = CDBMAP_ZERO, .users = CDBMAP_ZERO, .aliases = CDBMAP_ZERO, .regexps = REGEXPMAP_ZERO, .paths = STRALLOC_ZERO }

/* Opens domains.cdb, users.cdb, aliases.cdb and regexp.map in dir. 1 or 0 (errno).
 * A missing file does not make it fail (the daemons may start before
 * mailctl writes the maps), but every lookup that needs domains.cdb or
 * users.cdb while it is missing is an error (-1, ENOENT): temporary, not
 * "remote" or "unknown". A missing aliases.cdb or regexp.map means no
 * aliases; a regexp.map that does not parse is an error at lookup. */
extern int rcptmaps_open (rcptmaps *, char const *dir) ;
extern void rcptmaps_close (rcptmaps *) ;

/* cdbmap_find on a map that must exist: 1 found, 0 not found, -1 error
 * (errno; ENOENT when the file is missing). */
extern int rcptmaps_find_required (cdbmap *, char const *key, size_t keylen, cdb_data *data) ;

/* Is the domain of key (after its last '@') in domains.cdb? 1 yes, 0 no,
 * -1 lookup error (errno; ENOENT when domains.cdb is missing). */
extern int rcpt_domain_local (rcptmaps *, char const *key, size_t keylen) ;

#define RCPT_REMOTE 0    /* domain is not ours */
#define RCPT_LOCAL 1     /* deliverable here: account, alias or catch-all */
#define RCPT_UNKNOWN 2   /* our domain, no such user */

/* Classifies key (an addr_key() lower-cased address). Returns RCPT_*,
 * or -1 on a lookup error (errno): the caller answers 4xx. */
extern int rcpt_classify (rcptmaps *, char const *key, size_t keylen) ;

/* One final destination of a recipient. */
typedef struct rcptdest_s rcptdest, *rcptdest_ref ;
struct rcptdest_s
{
  int kind ;            /* RCPT_LOCAL: a Maildir here; RCPT_REMOTE: forward */
  size_t addr ;         /* offset in storage: the final address, NUL-terminated */
  size_t maildir ;      /* RCPT_LOCAL: offset of the Maildir path relative to PH_MAILROOT */
  size_t folder ;       /* RCPT_LOCAL: offset of the folder name from +tag, "" for INBOX */
  uint64_t quota ;      /* RCPT_LOCAL: the Maildir's quota in bytes (users.cdb "quota="), 0 for none */
} ;

/* Reads the "quota=<bytes>" field of a users.cdb value v[0..len) (text0
 * fields; docs/internals.md): 1 to 20 decimal digits that fit 64 bits.
 * Returns 1 with *quota (0 when the value has no such field: no quota),
 * or 0 (errno EINVAL) when the field is malformed or given twice. */
extern int rcpt_user_quota (char const *v, size_t len, uint64_t *quota) ;

/* Expands key into final destinations (aliases followed, duplicates
 * removed), appending rcptdest records to *dests and strings to *storage.
 * Returns the number of destinations (0 = unknown user), or -1 on error
 * (errno: ELOOP for an alias loop or depth > 10, or a lookup error). */
extern int rcpt_expand (rcptmaps *, char const *key, size_t keylen, genalloc *dests, stralloc *storage) ;

/* Details of the rules (docs/internals.md, Compiled maps), as implemented:
 * - The recipient delimiter is PH_RECIPIENT_DELIMITER (default "+"; each
 *   of its characters is a delimiter, as in Postfix). "local+tag" splits at
 *   the first one; a local part that starts with it or is quoted has no tag.
 * - Rule 2 asks aliases.cdb for "local+tag@domain", then regexp.map
 *   with the same full address (Postfix asks every virtual_alias_maps
 *   table for one form before the next form; a regexp table only ever
 *   sees the full address), then aliases.cdb for "local@domain". A
 *   regexp result is split at commas and white space into targets, each
 *   lower-cased and needing an '@' (else EINVAL).
 * - Rule 2: when "local+tag@domain" has no alias but "local@domain" has,
 *   the unmatched "+tag" is added to each target without a tag of its own
 *   (Postfix's propagate_unmatched_extensions default, which
 *   docker-mailserver keeps). Catch-all targets are used as they are.
 * - Rule 3: users.cdb is asked for the full address first, then (if it
 *   has a tag) for the address without it, as Postfix does for
 *   virtual_mailbox_maps: an account whose name holds a delimiter
 *   ("first+last", or "dash-name" with "+-") is found, and wins over the
 *   tag-stripped account. The destination's address is the key itself,
 *   tag included (what Delivered-To shows); folder is the tag when the
 *   tag-stripped address matched, else "". Whether the tag selects a
 *   folder is deliverd's decision (PH_TAG_TO_FOLDER).
 * - A target equal to an address being expanded (alias "a -> a, b": keep
 *   a copy and forward) is resolved by rule 3 only; if it is no account,
 *   that is a loop: ELOOP. Deeper than RCPT_DEPTH_MAX: ELOOP.
 * - A target in a local domain that resolves to nothing is dropped (and
 *   reported by rcpt_expand_report); if nothing is left, the recipient is
 *   unknown (0).
 * - Duplicates: a Maildir+folder or a remote address appears once.
 * - More than RCPT_DESTS_MAX destinations or RCPT_STEPS_MAX lookups:
 *   E2BIG. A malformed map value (users.cdb without a valid "maildir=",
 *   or with a malformed "quota=",
 *   an alias target without '@', a value not ending in NUL): EINVAL. A
 *   maildir value that could leave PH_MAILROOT is malformed.
 * - rcpt_classify runs the whole expansion for a local domain: RCPT_LOCAL
 *   if it yields any destination (a Maildir or a forward), RCPT_UNKNOWN if
 *   none, -1 on any error above (so a loop is a 4xx, as Postfix defers). */
/* The targets of the first regexp.map rule matching key: appended to
 * *targets, each a lower-cased address followed by NUL. 1 matched, 0 no
 * rule matched, -1 error (errno). */
extern int rcpt_regexp_targets (rcptmaps *, char const *key, size_t keylen, stralloc *targets) ;

#define RCPT_DEPTH_MAX 10
#define RCPT_DESTS_MAX 1000
#define RCPT_STEPS_MAX 10000
#define RCPT_KEY_MAX 512

/* rcpt_expand, also appending each unknown address met on the way (an
 * alias target in a local domain with no account, alias or catch-all),
 * NUL-terminated, to *unknown when it is not 0. */
extern int rcpt_expand_report (rcptmaps *, char const *key, size_t keylen, genalloc *dests, stralloc *storage, stralloc *unknown) ;

#endif
