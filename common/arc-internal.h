/* ISC license. */

#ifndef POSTHASTE_ARC_INTERNAL_H
#define POSTHASTE_ARC_INTERNAL_H

/* What arc_verify and arc_seal share. */

#include "common/arc.h"

/* Finds the sets in the split header: sets[1..*n] (sets[0] unused),
 * sigs[kind - 1][i] parsed (ARC_KIND_AMS, ARC_KIND_AS). Returns 1, or
 * 0 with *why: a malformed ARC field, an instance twice, a gap, more
 * than ARC_INSTANCES_MAX. No ARC field: 1 and *n = 0. */
extern int arc_sets_collect (char const *msg, dkim_field const *f, size_t nf, arc_set *sets, arc_sig (*sigs)[ARC_INSTANCES_MAX + 1], unsigned int *n, char const **why) ;

/* The ARC-Seal hash (§5.1.1): every set 1..i, AAR, AMS, AS in that
 * order, relaxed, then AS(i) with its b= value taken out and no final
 * CRLF. asfield/aslen/bstart/bend: the seal being made or checked (for
 * the seal being made, it is not in the message yet). */
extern int arc_seal_digest (char const *msg, dkim_field const *f, arc_set const *sets, unsigned int i, char const *aarfield, size_t aarlen, char const *amsfield, size_t amslen, char const *asfield, size_t aslen, size_t bstart, size_t bend, unsigned char *digest) ;

#endif
