/* ISC license. */

#ifndef POSTHASTE_DELIVERD_DELIVER_H
#define POSTHASTE_DELIVERD_DELIVER_H

/* One delivery request: resolve the recipient, write each local copy,
 * build the reply for queued. Shared by deliverd (requests from queued)
 * and lmtpd (one call per LMTP recipient), which reads the same reply. */

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/rcpt.h"
#include "delivreq.h"

#define DELIVER_MAXHOPS 50   /* Postfix's hopcount_limit */
#define DELIVER_QUOTA_GRACE 10   /* percent: Dovecot's quota_grace, as docker-mailserver sets it */

typedef struct deliverctx_s deliverctx, *deliverctx_ref ;
struct deliverctx_s
{
  rcptmaps maps ;
  int rootfd ;          /* PH_MAILROOT */
  char const *host ;    /* escaped for Maildir names */
  int tag_to_folder ;   /* PH_TAG_TO_FOLDER: may a +tag select a folder? */
  int noforward ;       /* no way to forward (lmtpd): an alias target outside makes the recipient fail, before any copy is written */
  int quotafd ;         /* $PH_STATE/quota, the quota status for smtpd; -1: none kept */
  unsigned int maxhops ; /* PH_MAX_HOPS: more Received + Delivered-To fields is a loop */
  unsigned int quotagrace ; /* PH_QUOTA_GRACE: percent of a quota the last message may go over */
  int dedupe ;          /* duplicate suppression: -1 not set up yet (deliver.c reads PH_DEDUPE_WINDOW at the first request), 0 off, 1 on */
  unsigned int dedupe_window ;  /* seconds the tmp/ records are kept */
   /* work space, reused from request to request */
  genalloc dests ;      /* rcptdest */
  stralloc storage ;
  stralloc unknown ;
  stralloc header ;     /* the message's header section, for the loop check */
  stralloc added ;      /* Return-Path and Delivered-To */
  stralloc folder ;
  stralloc where ;
  stralloc oncekey ;    /* what names a copy for duplicate suppression */
} ;
#define DELIVERCTX_ZERO { .maps = RCPTMAPS_ZERO, .rootfd = -1, .host = 0, .tag_to_folder = 0, .noforward = 0, .quotafd = -1, .maxhops = DELIVER_MAXHOPS, .quotagrace = DELIVER_QUOTA_GRACE, .dedupe = -1, .dedupe_window = 0, .dests = GENALLOC_ZERO, .storage = STRALLOC_ZERO, .unknown = STRALLOC_ZERO, .header = STRALLOC_ZERO, .added = STRALLOC_ZERO, .folder = STRALLOC_ZERO, .where = STRALLOC_ZERO, .oncekey = STRALLOC_ZERO }

/* Handles req, the message being msgfd (read with pread only), and puts
 * the reply body (text0: R<addr>* then one K, Z or D) in *reply. Every
 * outcome is logged. Returns 1, or 0 if out of memory (the caller exits
 * and queued retries). */
extern int deliver_request (deliverctx *, delivreq const *req, int msgfd, stralloc *reply) ;

#endif
