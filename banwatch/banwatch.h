/* ISC license. */

#ifndef BANWATCH_H
#define BANWATCH_H

/* banwatch's private modules (banwatch/README.md). One process, one
 * loop: the modules keep their state in file-scope variables. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <skalibs/stralloc.h>

#include "common/banevent.h"
#include "smtpd/smtp_relaynet.h"

/* A client key: IPv4 as a host (/32), IPv6 by its /64 (one customer's
 * network; an attacker has 2^64 addresses in it). IPv4-mapped IPv6 is
 * taken as IPv4. */
typedef struct bw_addr_s bw_addr, *bw_addr_ref ;
struct bw_addr_s
{
  char ip[16] ;
  uint8_t is6 ;
  uint8_t bits ;
} ;

/* Parses "addr" or "addr/bits" (bits only when allowbits). The address
 * is masked to bits, the default being 32 (v4) or 64 (v6). 1 or 0. */
extern int bw_addr_scan (char const *s, int allowbits, bw_addr *a) ;
/* Does network n hold address a (a->bits >= n->bits, same family)? */
extern int bw_addr_within (bw_addr const *a, bw_addr const *n) ;
extern int bw_addr_same (bw_addr const *a, bw_addr const *b) ;
/* The bans.cdb key (common/accessrules.h); s has ACCESSRULES_KEY_MAX. */
extern size_t bw_addr_key (char *s, bw_addr const *a) ;
/* Parses a key back ("ip4/192.0.2.0_24"). 1 or 0. */
extern int bw_addr_key_scan (char const *s, size_t len, bw_addr *a) ;

/* bw_track.c: failure counters per client, at most cap clients (the
 * least recently seen one is forgotten first), at most maxretry
 * timestamps each. */
extern void bw_track_init (uint32_t cap, unsigned int maxretry, unsigned int findtime) ;
/* Counts one failure at now. Returns 1 when the client reached
 * maxretry failures within findtime (its counter is then cleared). */
extern int bw_track_hit (bw_addr const *, uint32_t now) ;
extern void bw_track_forget (bw_addr const *) ;
extern uint32_t bw_track_count (void) ;

/* bw_bans.c: the bans, bans.cdb and the state file. */
typedef struct bw_config_s bw_config, *bw_config_ref ;
struct bw_config_s
{
  uint64_t bantime ;
  uint64_t maxtime ;
  uint32_t maxbans ;
  char const *cdbpath ;
  char const *statepath ;
} ;
extern void bw_bans_init (bw_config const *) ;
/* Reads the state file (a missing one is no bans). Dies 111 on a read
 * error; a malformed line is logged and skipped. */
extern void bw_bans_load (uint64_t now) ;
/* A client reached the threshold: bans it for bantime doubled for each
 * earlier ban it had, up to maxtime. When the table is full, the oldest
 * ended record, else the live ban ending soonest, makes room (logged
 * event=ban_evicted). Returns the ban's end (0 if it could not be
 * recorded: every record a permanent ban). */
extern uint64_t bw_bans_add_auto (bw_addr const *, uint64_t now, char const *reason) ;
/* An admin's ban: duration 0 = permanent. 1, or 0 if full. */
extern int bw_bans_add_manual (bw_addr const *, uint64_t now, uint64_t duration) ;
/* Lifts every live ban that covers a (exactly a, with exact set): it
 * ends now, its record is kept for the repeat count. Returns the number
 * lifted. */
extern unsigned int bw_bans_remove (bw_addr const *, int exact, uint64_t now) ;
/* Is a under a live ban now? */
extern int bw_bans_live (bw_addr const *, uint64_t now) ;
/* Drops records of no more use (ended more than maxtime ago); writes
 * bans.cdb and the state file when something changed or force is set.
 * Returns 1, or 0 (logged; retried at the next flush). */
extern int bw_bans_flush (uint64_t now, int force) ;
extern void bw_bans_dirty (void) ;
extern uint32_t bw_bans_count (void) ;
/* The next flush rebuilds the nftables set whole (at start, and after
 * the helper reported a failed batch). */
extern void bw_bans_nft_resync (void) ;

/* bw_nft.c: the optional nftables sets (PH_BAN_NFT_SETS), main side.
 * Operations are queued in memory and written to the helper's pipe
 * when it is writable, never waited for. */
#define BW_NFT_CHECK_SECS 60   /* ended or uncovered bans reach the set within this */
#define BW_NFT_LINE_MAX 128    /* one operation on the helper's pipe */
typedef struct bw_nftspec_s bw_nftspec, *bw_nftspec_ref ;
struct bw_nftspec_s
{
  char family[8] ;     /* inet, ip or ip6 */
  char table[65] ;
  char set4[65] ;      /* empty: no IPv4 set (family ip6) */
  char set6[65] ;      /* empty: no IPv6 set (family ip) */
} ;
/* "family table set4 set6" (inet), "ip table set4", "ip6 table set6".
 * Names are [A-Za-z_][A-Za-z0-9_]{0,63}. 1, or 0 with *why. */
extern int bw_nft_spec_scan (char const *s, bw_nftspec *spec, char const **why) ;
/* As root, before the privilege drop: forks the helper (bw_nfthelper.c)
 * that alone keeps CAP_NET_ADMIN. 1, or 0 (logged). */
extern int bw_nft_start (bw_nftspec const *spec, uid_t uid, gid_t gid) ;
/* Takes fd (non-blocking) as the helper's command pipe; -1 for none.
 * statusfd: the helper's reports, or -1. */
extern void bw_nft_attach (int fd, int statusfd) ;
extern int bw_nft_active (void) ;
/* The queue's bound, bytes (default 1 MiB; banwatch sets room for a
 * whole re-sync of PH_BAN_MAX bans) */
extern void bw_nft_setmax (size_t) ;
/* Queue: "R" (re-sync: empty the sets), "A addr/bits seconds" (0 =
 * permanent), "D addr/bits". */
extern void bw_nft_reset (void) ;
extern void bw_nft_add (bw_addr const *, uint64_t seconds) ;
extern void bw_nft_del (bw_addr const *) ;
/* The loop: the fds to watch (-1 when none) and what to do. */
extern int bw_nft_wfd (void) ;
extern int bw_nft_rfd (void) ;
extern void bw_nft_write (void) ;
/* Reads the helper's reports; a failed batch asks for a re-sync at the
 * next periodic check; end of file means the helper is gone. */
extern void bw_nft_read (void) ;
/* bw_nftscript.c: one operation line (without its newline, at most
 * BW_NFT_LINE_MAX bytes) into nft commands: "R" (set up, empty the sets)
 * and "D" go to dels, "A" to adds; a family the spec has no set for is
 * skipped. 1, 0 for a line that is not a valid operation, -1 (errno) on
 * a memory error. */
typedef struct bw_nftscript_s bw_nftscript, *bw_nftscript_ref ;
struct bw_nftscript_s
{
  bw_nftspec spec ;
  stralloc dels ;
  stralloc adds ;
} ;
#define BW_NFTSCRIPT_ZERO { .spec = { .family = "" }, .dels = STRALLOC_ZERO, .adds = STRALLOC_ZERO }
extern int bw_nftscript_line (bw_nftscript *, char const *s, size_t len) ;
/* The helper's process: never returns. */
extern void bw_nfthelper_main (bw_nftspec const *spec, uid_t uid, gid_t gid) ;

/* bw_rules.c: the log-line face's rules (banwatch -l). */
#define BW_RULES_MAX 64
extern int bw_rules_load (char const *path) ;
/* bw_loglines.c: the -l face: stdin lines to events on sock. */
extern int bw_loglines_main (char const *rulespath, char const *sock) ;
/* Matches one log line against the rules, in order; on a match, formats
 * the event into out (BANEVENT_MAX) and returns its length, else 0. */
extern size_t bw_rules_match (char const *line, char *out) ;
/* Adds one rule "event service pattern". 1, or 0 with *why. */
extern int bw_rules_add (char const *s, char const **why) ;

#endif
