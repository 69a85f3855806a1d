/* ISC license. */

#ifndef POSTHASTE_MAILDIRSIZE_H
#define POSTHASTE_MAILDIRSIZE_H

/* Maildir++ quota, as Courier's README.maildirquota defines it and
 * Dovecot's "maildir" quota backend implements it, so that either side
 * can keep the count:
 * - the file "maildirsize" in the Maildir root holds on its first line
 *   the limits, a comma-separated list of <number><letter> ("S" bytes,
 *   "C" messages; e.g. "10485760S" or "10485760S,1000C"), then lines of
 *   two blank-separated integers "<bytes> <count>", either one may be
 *   negative (a message moved to Trash or removed): the usage is their
 *   sum;
 * - a writer appends one line per message it adds (O_APPEND, one write);
 * - a reader recalculates the file from the Maildir when it is missing,
 *   is MAILDIRSIZE_MAX bytes or more, or says the Maildir is over quota
 *   while it has more than one line or is MAILDIRSIZE_STALE seconds old.
 *   Here it also recalculates when the file does not parse or its limits
 *   are not ours (Dovecot keeps the header equal to its configuration
 *   the same way), and "over quota" means "this message would not fit".
 * The recalculation sums the ",S=<size>" of every message file in cur/
 * and new/ of the Maildir and of each of its folders (".Name"; Trash
 * too, as Dovecot counts it), or its stat size when the name has none;
 * writes the result to tmp/ and renames it to maildirsize; then, if a
 * cur/ or new/ changed meanwhile, removes the file again (its numbers
 * may miss a message), as the specification says.
 * The file is written by Dovecot, Courier, maildrop, other tools and by
 * hand: it is only semi-trusted. Whatever does not parse, overflows or
 * sums to a negative usage makes a recalculation, never a failure.
 * Nothing here fsyncs: maildirsize is a cache that a crash can only
 * make unparsable, which means a recalculation. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MAILDIRSIZE_MAX 5120       /* bytes: at this size, recalculate */
#define MAILDIRSIZE_STALE 900      /* seconds: an "over quota" this old is checked */
#define MAILDIRSIZE_LINE_MAX 44    /* "-<19 digits> -<19 digits>\n" and a NUL */
#define MAILDIRSIZE_HEADER_MAX 24  /* "<20 digits>S\n" and a NUL */

typedef struct maildirsize_s maildirsize, *maildirsize_ref ;
struct maildirsize_s
{
  uint64_t limit_bytes ;   /* the "S" limit of the first line; 0: none */
  uint64_t limit_count ;   /* the "C" limit; 0: none */
  uint64_t bytes ;         /* usage */
  uint64_t count ;
  unsigned int lines ;     /* lines after the first */
  int recalculated ;       /* maildirsize_usage: the numbers come from a scan */
} ;
#define MAILDIRSIZE_ZERO { .limit_bytes = 0, .limit_count = 0, .bytes = 0, .count = 0, .lines = 0, .recalculated = 0 }

/* Parses the contents s[0..len) of a maildirsize file into *m. Every
 * line must end with LF; the first holds the limits (it may be empty:
 * no limits; a letter other than S and C is ignored; a letter given
 * twice is an error); each other line is blanks, an optional '-', 1 to
 * 19 digits, blanks, an optional '-', 1 to 19 digits, blanks (spaces or
 * tabs; Courier pads lines to 14 bytes). The sums must fit in 63 bits
 * and not be negative. Returns 1, or 0 (errno EINVAL) when the file is
 * malformed. */
extern int maildirsize_parse (char const *s, size_t len, maildirsize *m) ;

/* Formats the first line for a byte limit ("<limit>S\n") into s
 * (MAILDIRSIZE_HEADER_MAX bytes), NUL-terminated; returns its length. */
extern size_t maildirsize_fmt_header (char *s, uint64_t limit) ;

/* Formats one line "<bytes> <count>\n" into s (MAILDIRSIZE_LINE_MAX
 * bytes), NUL-terminated; returns its length. */
extern size_t maildirsize_fmt_line (char *s, int64_t bytes, int64_t count) ;

/* Sums the messages of the Maildir open at mdfd (see above) into *bytes
 * and *count. Directories that are missing or symlinks are skipped, and
 * so are files removed during the scan. *latest gets the latest mtime of
 * the cur/ and new/ directories read. Returns 1, or 0 on a read error
 * (errno). */
extern int maildirsize_scan (int mdfd, uint64_t *bytes, uint64_t *count, struct timespec *latest) ;

/* Recalculates: scans, writes "maildirsize" for limit (a byte limit,
 * 0 for none) and fills *m (recalculated = 1). Failing to write the file
 * (a full disk, a read-only Maildir) is not an error: the numbers are
 * still right, the next reader scans again. Returns 1, or 0 when the
 * scan failed (errno). */
extern int maildirsize_recalc (int mdfd, uint64_t limit, maildirsize *m) ;

/* The usage of the Maildir at mdfd, for a message of incoming bytes and
 * a quota of limit bytes (not 0): reads maildirsize, and recalculates by
 * the rules above when they say so. now is the time (0: the clock).
 * Returns 1 with *m filled, or 0 (errno) when the Maildir could not be
 * read: a temporary failure. The message fits when
 * m->bytes + incoming <= limit. */
extern int maildirsize_usage (int mdfd, uint64_t limit, uint64_t incoming, time_t now, maildirsize *m) ;

/* Appends "<bytes> <count>\n" to the maildirsize of the Maildir at mdfd
 * in one write with O_APPEND, if the file exists (a Maildir without one
 * has nobody counting; nothing to do). If the write fails or is short,
 * the file is removed, so the next reader recalculates rather than trust
 * a count that misses this change. Returns 1, or 0 (errno) if the file
 * could not be updated (it is then gone, or was never there). */
extern int maildirsize_append (int mdfd, int64_t bytes, int64_t count) ;


/* The quota status for smtpd (docs/internals.md, "Quotas"): smtpd runs
 * as phsmtpd and cannot read a Maildir, so deliverd (vmail) keeps, in
 * $PH_STATE/quota/ (made by mailctl, owner vmail, mode 0755), one file
 * per Maildir that is over quota, named by the SHA-256 of its path
 * relative to PH_MAILROOT in lower-case hex, holding "<usage> <limit>\n"
 * (bytes; the limit it was measured against), and removes it when a
 * delivery leaves the Maildir under its quota. A file older than
 * MAILDIRSIZE_STALE seconds is not believed: by then a message is let
 * through to deliverd, which measures again (and renews the file). */

#define MAILDIRSIZE_STATUS_NAME 65   /* 64 hex digits and a NUL */
#define MAILDIRSIZE_STATUS_MAX 64    /* bytes read from a status file */

/* Opens $PH_STATE/quota (PH_STATE defaulting to /var/mail-state/posthaste),
 * read-only, close-on-exec. Returns the fd or -1 (errno). */
extern int maildirsize_status_open (void) ;

/* The file name for maildir into name (MAILDIRSIZE_STATUS_NAME bytes). */
extern void maildirsize_status_name (char *name, char const *maildir) ;

/* Parses a status file's contents: "<usage> <limit>\n", decimal. Returns
 * 1, or 0 (EINVAL). */
extern int maildirsize_status_parse (char const *s, size_t len, uint64_t *usage, uint64_t *limit) ;

/* deliverd: records that maildir is at usage bytes of limit (written to a
 * temporary name, then renamed: a reader sees all of it or nothing).
 * Returns 1, or 0 (errno). */
extern int maildirsize_status_set (int dirfd, char const *maildir, uint64_t usage, uint64_t limit) ;

/* deliverd: maildir is under its quota. Returns 1 (also when there was no
 * file), or 0 (errno). */
extern int maildirsize_status_clear (int dirfd, char const *maildir) ;

/* smtpd: is maildir over limit (its quota now, from users.cdb), by a
 * status file younger than MAILDIRSIZE_STALE seconds at now? A quota of
 * 0 is no quota. Returns 1 over, 0 not (no file, stale, unreadable or
 * malformed, under the limit), -1 on an error other than ENOENT (errno). */
extern int maildirsize_status_over (int dirfd, char const *maildir, uint64_t limit, time_t now) ;

#endif
