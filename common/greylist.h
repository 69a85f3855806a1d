/* ISC license. */

#ifndef POSTHASTE_GREYLIST_H
#define POSTHASTE_GREYLIST_H

/* Greylisting (RFC 6647) by triplet: (client network, envelope sender,
 * recipient), as postgrey does, with its auto-whitelisting of clients
 * that retried (docs/spam.md, "Greylisting").
 *
 * State: one small file per triplet and per client network under a
 * directory the policy server owns:
 *   <dir>/t/<h>/<hash>   "<first seen> <last seen> <passed 0|1>\n"
 *   <dir>/c/<h>/<hash>   "<retries that passed> <last seen>\n"
 * <hash> is 16 lower-case hex digits (FNV-1a 64 of the key), <h> its
 * first digit (16 subdirectories keep directories small). Files are
 * replaced by rename (never half-written) and not fsynced: the state
 * is a hint, and losing it costs one more delay (RFC 6647 §5). Records
 * not touched for max_age are removed by greylist_sweep. */

#include <stddef.h>
#include <stdint.h>

#define GREYLIST_NET_MAX 48

typedef struct greylist_settings_s greylist_settings ;
struct greylist_settings_s
{
  uint64_t delay ;          /* POSTGREY_DELAY: seconds before a retry is accepted */
  uint64_t max_age ;        /* POSTGREY_MAX_AGE (days, as seconds here): a record unused that long is forgotten */
  uint64_t retry_window ;   /* seconds after the first attempt during which a retry counts */
  uint64_t auto_whitelist ; /* POSTGREY_AUTO_WHITELIST_CLIENTS: retries that passed before a client skips greylisting; 0 never */
} ;

enum greylist_e
{
  GREYLIST_DEFER = 0,       /* new or too early: try again later */
  GREYLIST_PASS,            /* retried after the delay, or known */
  GREYLIST_CLIENT_OK        /* the client network is auto-whitelisted */
} ;

/* The client network of an address: "a.b.c" (/24) for IPv4, the first
 * four groups (/64) for IPv6, into out (GREYLIST_NET_MAX bytes).
 * Returns the length, 0 if ip does not parse. */
extern size_t greylist_net (char *out, char const *ip) ;

/* The decision for one attempt at time now; *wait gets the seconds
 * left before a retry passes (GREYLIST_DEFER). Returns an enum
 * greylist_e, or -1 with errno on a file system error (callers let
 * the mail through: greylisting must fail open). */
extern int greylist_check (char const *dir, greylist_settings const *set, char const *ip, char const *sender, char const *rcpt, uint64_t now, uint64_t *wait) ;

/* Removes records older than max_age from one of the 32
 * subdirectories (chosen from now, so each is visited in turn), at most
 * max entries examined. Returns the number removed, -1 on error. */
extern int greylist_sweep (char const *dir, greylist_settings const *set, uint64_t now, unsigned int max) ;

#endif
