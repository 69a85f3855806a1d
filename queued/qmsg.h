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

#define QRCPT_PENDING 0   /* to be delivered, no attempt before due */
#define QRCPT_INFLIGHT 1  /* a request is at deliverd */
#define QRCPT_DONE 2      /* delivered (durably recorded) */
#define QRCPT_FAILED 3    /* failed for good (durably recorded) */

typedef struct qrcpt_s qrcpt, *qrcpt_ref ;
struct qrcpt_s
{
  size_t addr ;        /* offset in sa of the NUL-terminated address */
  tain due ;           /* PENDING: no attempt before this */
  uint32_t delay ;     /* last retry delay in seconds, 0 before any */
  unsigned char state ;
} ;

typedef struct qmsg_s qmsg, *qmsg_ref ;
struct qmsg_s
{
  char qid[QID_MAX + 1] ;
  stralloc sa ;          /* the sender at offset 0, then recipients */
  genalloc rcpts ;       /* qrcpt */
  uint64_t arrival ;     /* Unix seconds, from the envelope */
  uint64_t size ;        /* bytes in mess */
  tain expire ;          /* stopwatch time the queue lifetime ends */
  tain nextdue ;         /* earliest due among PENDING recipients */
  uint64_t journal_len ; /* bytes of complete transactions in state */
  size_t slot ;           /* index in the scheduler's table */
  size_t rcursor ;        /* where the search for a due recipient resumes */
  unsigned int npending ; /* PENDING or INFLIGHT */
  unsigned int ninflight ;
  unsigned char broken ; /* journal unusable: dispatch nothing, reload later */
} ;

#define qmsg_rcpt(m, i) (genalloc_s(qrcpt, &(m)->rcpts) + (i))
#define qmsg_nrcpt(m) genalloc_len(qrcpt, &(m)->rcpts)
#define qmsg_sender(m) ((m)->sa.s)
#define qmsg_addr(m, i) ((m)->sa.s + qmsg_rcpt(m, i)->addr)

extern qmsg *qmsg_new (void) ;
extern void qmsg_free (qmsg *) ;

/* Appends a PENDING recipient, due at once. 1, or 0 with errno. */
extern int qmsg_add_rcpt (qmsg *, char const *addr, size_t len) ;
/* Index of a recipient equal to addr (ASCII case ignored), or -1. */
extern ssize_t qmsg_find_rcpt (qmsg const *, char const *addr, size_t len) ;
/* Recomputes nextdue from the recipients. */
extern void qmsg_refresh (qmsg *) ;

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

#endif
