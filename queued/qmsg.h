/* ISC license. */

#ifndef POSTHASTE_QUEUED_QMSG_H
#define POSTHASTE_QUEUED_QMSG_H

/* One queued message as queued holds it: the envelope and per-recipient
 * state, never the body (docs/queue.md). Memory per message is bounded
 * by the envelope limits: 10000 recipients of at most 4096 bytes, plus
 * the recipients deliverd adds (QMSG_RCPT_MAX in all). */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "queued/qid.h"

#define QMSG_RCPT_MAX 20000
#define QMSG_ENV_MAX (64U << 20)      /* larger: not an envelope we wrote */
#define QMSG_JOURNAL_MAX (16U << 20)

#define QNONE ((size_t)-1)   /* an absent offset or index */

#define QRCPT_PENDING 0   /* to be delivered, no attempt before due */
#define QRCPT_INFLIGHT 1  /* a request is at deliverd */
#define QRCPT_DONE 2      /* delivered (durably recorded) */
#define QRCPT_FAILED 3    /* failed for good (durably recorded) */

#define QROUTE_UNKNOWN 0  /* not classified since the last attempt */
#define QROUTE_LOCAL 1    /* deliverd.sock */
#define QROUTE_REMOTE 2   /* remote.sock */

/* RFC 3461 NOTIFY, as bits; none set: the parameter was not given. */
#define QNOTIFY_NEVER 1
#define QNOTIFY_SUCCESS 2
#define QNOTIFY_FAILURE 4
#define QNOTIFY_DELAY 8

/* What a message is, for bounces of bounces (the envelope's XDSN=). */
#define QDSN_NONE 0
#define QDSN_BOUNCE 1     /* a DSN we generated: a failure is a double bounce */
#define QDSN_DOUBLE 2     /* a double bounce: a failure is dropped */

/* The filter chain (docs/filters.md), per message. */
#define QFILTER_NONE 0    /* no chain applies: deliver as is */
#define QFILTER_PENDING 1 /* to be filtered when filter_due comes */
#define QFILTER_RUNNING 2 /* a filter program has it */
#define QFILTER_DONE 3    /* the verdict is in the journal */

typedef struct qrcpt_s qrcpt, *qrcpt_ref ;
struct qrcpt_s
{
  size_t addr ;        /* offset in sa of the NUL-terminated address */
  size_t orcpt ;       /* offset in sa of the ORCPT value as received, or QNONE */
  size_t parent ;      /* the recipient an alias added this one for, or QNONE */
  char *last ;         /* the last temporary failure (malloc), or 0 */
  tain due ;           /* PENDING: no attempt before this */
  uint32_t delay ;     /* last retry delay in seconds, 0 before any */
  unsigned char state ;
  unsigned char notify ;
  unsigned char route ;
} ;

typedef struct qmsg_s qmsg, *qmsg_ref ;
struct qmsg_s
{
  char qid[QID_MAX + 1] ;
  stralloc sa ;          /* the sender at offset 0, then recipients and envelope strings */
  genalloc rcpts ;       /* qrcpt */
  uint64_t arrival ;     /* Unix seconds, from the envelope */
  uint64_t size ;        /* bytes in mess */
  uint64_t fsize ;       /* bytes in fmess (filters' headers + mess), 0: no fmess */
  tain expire ;          /* stopwatch time the queue lifetime ends */
  tain nextdue ;         /* earliest due among PENDING recipients */
  tain filter_due ;      /* QFILTER_PENDING: no filter run before this */
  tain warn_at ;         /* the delay warning is due then (infinite: none) */
  uint64_t journal_len ; /* bytes of complete transactions in state */
  size_t envid, helo, client, user, proto ;   /* offsets in sa, or QNONE */
  size_t holdreason ;    /* the envelope's X HOLD=<text> (a policy service's HOLD), or QNONE */
  size_t slot ;           /* index in the scheduler's table */
  size_t rcursor ;        /* where the search for a due recipient resumes */
  unsigned int npending ; /* PENDING or INFLIGHT */
  unsigned int ninflight ;
  uint32_t filter_delay ;
  unsigned char broken ; /* journal unusable: dispatch nothing, reload later */
  unsigned char fstate ;
  unsigned char junk ;   /* a filter said junk: local copies go to Junk */
  unsigned char held ;
  unsigned char holdseen ; /* the journal has an H record: the hold at arrival is done */
  unsigned char deleted ;
  unsigned char warned ;
  unsigned char dsn ;
  unsigned char ret ;    /* 0 not given, 1 FULL, 2 HDRS */
  unsigned char body ;   /* 0 not given or 7BIT, 1 8BITMIME, 2 BINARYMIME */
  unsigned char smtputf8 ;
  unsigned char requiretls ;
  unsigned char outbound ; /* authenticated or local submission */
  unsigned char expiring ; /* the dispatch pass found it expired */
} ;

#define qmsg_rcpt(m, i) (genalloc_s(qrcpt, &(m)->rcpts) + (i))
#define qmsg_nrcpt(m) genalloc_len(qrcpt, &(m)->rcpts)
#define qmsg_sender(m) ((m)->sa.s)
#define qmsg_addr(m, i) ((m)->sa.s + qmsg_rcpt(m, i)->addr)
#define qmsg_str(m, off) ((off) == QNONE ? 0 : (m)->sa.s + (off))

extern qmsg *qmsg_new (void) ;
extern void qmsg_free (qmsg *) ;

/* Appends a PENDING recipient, due at once. 1, or 0 with errno. */
extern int qmsg_add_rcpt (qmsg *, char const *addr, size_t len) ;
/* Appends s[0..len) and a NUL to m->sa; returns its offset, or QNONE. */
extern size_t qmsg_keep (qmsg *, char const *s, size_t len) ;
/* Index of a recipient equal to addr (ASCII case ignored), or -1. */
extern ssize_t qmsg_find_rcpt (qmsg const *, char const *addr, size_t len) ;
/* Recomputes nextdue from the recipients. */
extern void qmsg_refresh (qmsg *) ;
/* Remembers text as recipient i's last temporary failure (best effort). */
extern void qmsg_set_last (qmsg *, size_t i, char const *text) ;
/* The original recipient of i (RFC 3461 ORCPT, RFC 3464 2.3.1): its own
 * ORCPT value as received ("rfc822;xtext", or "utf-8;" with unitext,
 * *isaddr = 0); for a recipient
 * an alias added, the first ORCPT up its parents, else the top parent's
 * address (*isaddr = 1); 0 for a recipient without either. */
extern char const *qmsg_orcpt (qmsg const *, size_t i, int *isaddr) ;
/* The NOTIFY bits in force for i: its own, else its parent's. */
extern unsigned char qmsg_notify (qmsg const *, size_t i) ;

/* Loading a message directory (dir is "queue/<qid>" or "incoming/<qid>",
 * relative to the queue). */
#define QLOAD_OK 1
#define QLOAD_SYSERR 0    /* errno: try again later */
#define QLOAD_CORRUPT (-1) /* *why says what: keep the files aside */
#define QLOAD_GONE (-2)   /* a removal was interrupted: finish it */
extern int qmsg_load (qmsg *, char const *dir, char const *qid, uint64_t lifetime, char const **why) ;

/* Appends one transaction (records ending with E0:,) to dir/state and
 * fsyncs it (and dir, when state is new). 1 when durable; 0 with errno
 * and the file cut back to its last transaction, or m->broken set. */
extern int qmsg_journal (qmsg *, char const *dir, char const *s, size_t len) ;

/* "queue/<qid>" into dir (7 + QID_MAX bytes). */
extern void qmsg_dir (qmsg const *, char *dir) ;

#endif
