/* ISC license. */

#ifndef POSTHASTE_SENDMAIL_H
#define POSTHASTE_SENDMAIL_H

/* Shared by the parts of sendmail(8): options, reading the message,
 * its header section, the addresses, the added headers, injection. */

#include <stddef.h>
#include <stdint.h>
#include <sysexits.h>
#include <sys/types.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#define SM_RCPT_MAX 10000          /* queued-inject's limit */
#define SM_UNLIMITED_MAX (512UL << 20)  /* when the size limit is 0 */

#define SM_MODE_DELIVER 0   /* -bm, the default */
#define SM_MODE_LIST 1      /* -bp, mailq */
#define SM_MODE_ALIASES 2   /* -bi, -I, newaliases */

typedef struct sm_opts_s sm_opts, *sm_opts_ref ;
struct sm_opts_s
{
  int mode ;
  int extract ;           /* -t */
  int ignoredots ;        /* -i, -oi */
  int verbose ;           /* -v */
  char const *sender ;    /* -f, -r; 0 when not given */
  char const *fullname ;  /* -F */
  char const *body ;      /* -B: "7BIT" or "8BITMIME" */
  char const *notify ;    /* -N, as given */
  char const *ret ;       /* -R: "FULL" or "HDRS" */
  char const *envid ;     /* -V, as given */
  char const *const *rcpt ;   /* the operands */
  unsigned int nrcpt ;
} ;

/* Parses the command line (argv[0]'s name picks mailq or newaliases
 * behaviour). Exits 64 on an unknown or unsupported option. */
extern void sm_opts_parse (int argc, char const *const *argv, sm_opts *o) ;

/* Reads the whole message from fd 0 into sa in the queue's canonical
 * form: CR LF becomes LF, the last line gets its LF, a leading mbox
 * "From " line is dropped, and unless ignoredots a line holding a lone
 * "." ends the input. Returns 1, or 0 with errno: EFBIG (more than max
 * bytes), EILSEQ (a NUL byte), or the read error. */
extern int sm_read (stralloc *sa, size_t max, int ignoredots) ;

typedef struct sm_field_s sm_field, *sm_field_ref ;
struct sm_field_s
{
  size_t start ;      /* the field's first byte in the message */
  size_t len ;        /* through the LF of its last line */
  size_t namelen ;
  size_t value ;      /* offset of the value, just after the ':' */
} ;

typedef struct sm_msg_s sm_msg, *sm_msg_ref ;
struct sm_msg_s
{
  stralloc text ;
  genalloc fields ;   /* sm_field, in order */
  size_t body ;       /* where the body starts (after the blank line) */
  unsigned int has_from : 1 ;
  unsigned int has_date : 1 ;
  unsigned int has_msgid : 1 ;
  unsigned int has_resent : 1 ;   /* a Resent-To, -Cc or -Bcc */
  unsigned int eightbit : 1 ;     /* a byte >= 0x80 anywhere */
} ;

/* Splits m->text into header fields and body (RFC 5322 2.2: a field is
 * a name of printable ASCII but ':', then ':', continued by lines that
 * start with white space; the section ends at an empty line or at the
 * first line that is no field). Returns 1, or 0 on ENOMEM. */
extern int sm_msg_scan (sm_msg *m) ;

/* Is f the field called name (case-insensitive)? */
extern int sm_field_is (sm_msg const *m, sm_field const *f, char const *name) ;

/* A list of envelope addresses, canonical and without duplicates. */
typedef struct sm_addrs_s sm_addrs, *sm_addrs_ref ;
struct sm_addrs_s
{
  stralloc list ;     /* canonical forms, each NUL-terminated */
  stralloc keys ;     /* their lookup keys, each NUL-terminated */
  unsigned int n ;
  unsigned int utf8 : 1 ;
} ;
#define SM_ADDRS_ZERO { .list = STRALLOC_ZERO, .keys = STRALLOC_ZERO, .n = 0, .utf8 = 0 }

/* Parses s[0..len) as an RFC 5322 address list and adds each mailbox,
 * qualifying a bare local part with domain. Returns 1, or 0 with errno:
 * EINVAL (syntax), ENAMETOOLONG, EILSEQ (bad UTF-8), E2BIG (more than
 * SM_RCPT_MAX), ENOMEM; the offending text then goes into bad
 * (NUL-terminated, cut at badmax - 1 bytes). */
extern int sm_addrs_add (sm_addrs *, char const *s, size_t len, char const *domain, char *bad, size_t badmax) ;

/* The headers sendmail adds, each ending with LF. */
typedef struct sm_origin_s sm_origin, *sm_origin_ref ;
struct sm_origin_s
{
  char const *user ;      /* the invoking user's login name */
  uid_t uid ;
  char const *host ;      /* this host's name, for trace and ids */
  char const *id ;        /* a unique token: Received id, Message-ID */
  time_t when ;
} ;
extern int sm_received (stralloc *sa, sm_origin const *o) ;
extern int sm_date (stralloc *sa, time_t t) ;
extern int sm_messageid (stralloc *sa, sm_origin const *o) ;
/* From: [fullname] <address>; fullname may be 0. Returns 0 with EINVAL
 * for a fullname with control characters. */
extern int sm_from (stralloc *sa, char const *fullname, char const *address) ;

/* One injection through queued's socket (docs/internals.md, Injection). */
typedef struct sm_job_s sm_job, *sm_job_ref ;
struct sm_job_s
{
  char const *path ;          /* inject.sock */
  char const *sender ;        /* canonical, "" for the null sender */
  sm_addrs const *rcpts ;
  stralloc const *mparams ;   /* M field values, each NUL-terminated */
  char const *notify ;        /* the N field of every recipient, or 0 */
  char const *user ;
  uid_t uid ;
  stralloc const *top ;       /* written before the message's headers */
  sm_msg const *m ;
  stralloc const *added ;     /* written after them */
  int verbose ;
} ;

/* Injects the message. Returns 0 when the queue has it (saying so with
 * verbose); else dies saying why, with EX_TEMPFAIL (queue unreachable,
 * Z answer, a local error on the socket), EX_NOPERM (D 5.7.1: this uid
 * may not inject), EX_DATAERR (D 5.3.4: too big, D 5.6.x: bad content)
 * or EX_UNAVAILABLE (any other D). */
extern int sm_inject (sm_job const *) ;

#endif
