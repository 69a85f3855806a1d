/* ISC license. */

#ifndef POSTHASTE_MAILCTL_DMS_H
#define POSTHASTE_MAILCTL_DMS_H

/* docker-mailserver's config files beyond accounts, aliases and quotas,
 * compiled with them at every mailctl compilation (compile.c):
 *   postfix-regexp.cf          -> regexp.map (common/regexpmap.h)
 *   dovecot-masters.cf         -> masters.cdb (authd's master users)
 *   postfix-send-access.cf     -> sendaccess.cdb (submitd, MAIL FROM)
 *   postfix-receive-access.cf  -> rcptaccess.cdb (smtpd, RCPT TO)
 *   postfix-aliases.cf         -> aliases.cdb and domains.cdb entries for
 *                                 name@<host name> and name@localhost
 * mc_dms_load reads and checks them all first (dies 100 with
 * "file:line: reason", so no map is replaced on a bad line);
 * mc_dms_write then replaces each map atomically. */

#include <skalibs/stralloc.h>

extern void mc_dms_load (char const *confdir) ;
extern void mc_dms_write (char const *cdbdir) ;

/* Shared by the readers of these files (dms_*.c). */
typedef struct mcdms_s mcdms, *mcdms_ref ;
struct mcdms_s
{
  int loaded ;
  stralloc regexps ;    /* the validated rules, one per line */
  stralloc masters ;    /* records: name\0{SCHEME}hash\0 */
  stralloc sendaccess ; /* records: key\0action\0 */
  stralloc rcptaccess ;
  stralloc localaliases ; /* records: name\0 target\0 ... \0 (dms_aliases.c) */
} ;
extern mcdms mc_dms ;

/* Reads path (a missing file is empty) and calls f for each logical
 * line (comments and blank lines skipped; with join, a line starting
 * with white space continues the previous one, as Postfix's tables have
 * it), trimmed, with its first physical line number. */
typedef void mc_dms_line_func (char const *path, unsigned int lineno, char const *s, size_t len, stralloc *out) ;
extern void mc_dms_each_line (char const *confdir, char const *name, int join, mc_dms_line_func *f, stralloc *out) ;
extern void mc_dms_die_line (char const *path, unsigned int lineno, char const *why, char const *detail) __attribute__((noreturn)) ;
extern void mc_dms_warn_line (char const *path, unsigned int lineno, char const *why, char const *detail) ;

extern mc_dms_line_func mc_dms_regexp_line ;   /* dms_regexp.c */
extern mc_dms_line_func mc_dms_master_line ;   /* dms_masters.c */
extern mc_dms_line_func mc_dms_access_line ;   /* dms_access.c */
extern mc_dms_line_func mc_dms_alias_line ;    /* dms_aliases.c */

#endif
