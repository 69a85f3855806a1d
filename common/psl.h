/* ISC license. */

#ifndef POSTHASTE_PSL_H
#define POSTHASTE_PSL_H

/* The Public Suffix List (https://publicsuffix.org/list/, Debian's
 * publicsuffix package) and the Organizational Domain of RFC 7489 §3.2.
 *
 * The list is read once per process, from $PH_PSL_FILE or
 * PSL_FILE_DEFAULT, bounded (PSL_FILE_MAX bytes, PSL_RULES_MAX rules).
 * Its Unicode rules are turned into A-labels (punycode, RFC 3492) at
 * load time, so that names as they travel in mail (A-labels) match.
 *
 * Matching is the list's own algorithm: an exception rule ("!") wins;
 * else the matching rule with the most labels ("*" matches any one
 * label); else the default rule "*" (the last label alone). */

#include <stddef.h>

#define PSL_FILE_DEFAULT "/usr/share/publicsuffix/public_suffix_list.dat"
#define PSL_FILE_MAX ((size_t)4 << 20)
#define PSL_RULES_MAX 50000
#define PSL_NAME_MAX 253

/* Loads the list if it is not loaded yet. Returns 1, or 0 with errno
 * (the file cannot be read, is too big (EFBIG), or holds too many rules
 * (E2BIG)). Called by the lookups below; callers may call it early to
 * die on a missing list. */
extern int psl_load (void) ;

/* The same from a given file or text (the tests); replaces any list
 * loaded before. */
extern int psl_load_file (char const *path) ;
extern int psl_load_text (char const *s, size_t len) ;

/* Normalizes a domain into out (PSL_NAME_MAX + 1 bytes): ASCII
 * lower-cased, leading and trailing dots dropped, U-labels turned into
 * A-labels. 0 if it is empty, too long, has an empty label or a byte
 * that cannot be in a host name. */
extern int psl_normalize (char const *domain, char *out) ;

/* How many labels of the normalized name are its public suffix (at
 * least 1). -1 if the list cannot be loaded (errno). */
extern int psl_suffix_labels (char const *name) ;

/* The Organizational Domain (RFC 7489 §3.2: the public suffix and one
 * more label) of domain, normalized, into out (PSL_NAME_MAX + 1 bytes).
 * Returns 1; 0 if domain is itself a public suffix or not a valid name
 * (it has none: nothing aligns with it); -1 if the list cannot be
 * loaded (errno). */
extern int psl_org_domain (char const *domain, char *out) ;

/* RFC 3492 punycode of one label given in UTF-8 (s[0..len)), without
 * the "xn--" prefix, appended to out (room for max bytes, NUL
 * included). Returns the length written, or 0 (bad UTF-8, overflow). */
extern size_t psl_punycode (char const *s, size_t len, char *out, size_t max) ;

#endif
