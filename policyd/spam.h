/* ISC license. */

#ifndef POSTHASTE_POLICYD_SPAM_H
#define POSTHASTE_POLICYD_SPAM_H

/* policyd-spam (the inbound chain's spam scorer), policyd-learn (the
 * Bayes learner), and the RCPT-time checks policyd runs for them
 * (greylisting, DNSBL refusal). docs/spam.md. */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/bayes.h"
#include "common/dns.h"

#define SPAM_ZONES_MAX 16        /* zones in one of PH_DNSBL_ZONES, PH_DNSWL_ZONES, PH_URIBL_ZONES */
#define SPAM_ZONE_CODES_MAX 8    /* return codes after "=" */
#define SPAM_HITS_MAX 64
#define SPAM_PTR_MAX 4           /* PTR names checked forward */
#define SPAM_URIBL_DOMAINS_MAX 16
#define SPAM_LIST_MAX 4096       /* an allow-list setting */

/* ---- DNS lists (RFC 5782), shared with policyd (spam_zones.c) ---- */

typedef struct spam_zone_s spam_zone ;
struct spam_zone_s
{
  char name[DNS_NAME_MAX + 1] ;
  uint32_t codes[SPAM_ZONE_CODES_MAX] ;   /* A records that count (big-endian value); none: any 127.0.0.0/8 but 127.255.255.0/24 */
  unsigned int ncodes ;
  double score ;                 /* "*score": this zone's own score */
  int has_score ;
} ;

/* "zone[=a.b.c.d[;a.b.c.d...]][*score]" items separated by commas or
 * white space. Returns 1 and *n, or 0 (errno EINVAL) if the list does
 * not parse, has more than max zones, or a zone is not a domain name. */
extern int spam_zones_parse (char const *list, spam_zone *zones, unsigned int max, unsigned int *n) ;

/* ip (text) into a: returns 4 (IPv4, also an IPv4-mapped IPv6
 * address), 16 (IPv6), or 0 if it does not parse. */
extern int spam_ip_parse (char const *ip, char *a) ;
/* The query name for ip (text, IPv4 or IPv6) under zone: IPv4 octets
 * reversed, IPv6 as 32 reversed nibbles (RFC 5782 §2.1, §2.4). Returns
 * the length (out: DNS_NAME_MAX + 1 bytes), 0 if ip does not parse or
 * the name is too long. */
extern size_t spam_dnsbl_name (char *out, char const *ip, char const *zone) ;
/* The name for a domain on a domain list (RFC 5782 §2.3): domain.zone. */
extern size_t spam_uribl_name (char *out, char const *domain, char const *zone) ;
/* 1 if q (an A query) says listed by z's rules, with the first
 * counting address in code (16 bytes, dotted); 0 otherwise. */
extern int spam_zone_listed (spam_zone const *z, dns_query const *q, char *code) ;

/* ---- the scorer's state (policyd-spam) ---- */

typedef struct spam_settings_s spam_settings ;
struct spam_settings_s
{
  double tag, tag2, kill ;        /* SA_TAG, SA_TAG2, SA_KILL */
  int move_to_junk ;              /* MOVE_SPAM_TO_JUNK */
  int spam_to_inbox ;             /* SPAMASSASSIN_SPAM_TO_INBOX: 0 discards at SA_KILL */
  char const *hostname ;
  spam_zone dnsbl[SPAM_ZONES_MAX] ;
  unsigned int ndnsbl ;
  spam_zone dnswl[SPAM_ZONES_MAX] ;
  unsigned int ndnswl ;
  spam_zone uribl[SPAM_ZONES_MAX] ;
  unsigned int nuribl ;
  char const *allow_senders ;     /* PH_SPAM_ALLOW_SENDERS */
  char const *allow_domains ;     /* PH_SPAM_ALLOW_DOMAINS */
  char const *allow_nets ;        /* PH_SPAM_ALLOW_NETS */
  char const *bayes_dir ;         /* PH_BAYES_DIR, default $PH_STATE/bayes */
  uint64_t bayes_min_user ;       /* PH_BAYES_MIN_USER: spam and ham learned before a user's own database counts */
  uint64_t bayes_min_global ;     /* PH_BAYES_MIN_GLOBAL: the same for the shared one */
  uint64_t many_rcpts ;           /* PH_SPAM_MANY_RCPTS */
  uint64_t max_size ;             /* PH_SPAM_MAX_SIZE: bytes of the message read */
  uint64_t dns_ms ;               /* PH_SPAM_DNS_TIMEOUT_MS: all lookups */
  int rdns ;                      /* PH_SPAM_RDNS: the FCrDNS checks */
  char const *spam_subject ;      /* SPAM_SUBJECT (or the older SA_SPAM_SUBJECT): Subject prefix from SA_TAG2 on; 0 none */
} ;

typedef struct spam_hit_s spam_hit ;
struct spam_hit_s
{
  char const *name ;
  double score ;
} ;

typedef struct spam_s spam ;
struct spam_s
{
  stralloc msg ;
  int truncated ;
  size_t hlen ;                   /* the top header section, with its empty line */
  char const *qid, *ip, *helo, *sender ;
  char const *recipients ;
  unsigned int nrecipients ;
  spam_hit hits[SPAM_HITS_MAX] ;
  unsigned int nhits ;
  double score ;
  double bayes_prob ;
  char const *bayes_db ;          /* "user", "global" or 0 */
  char dnsbl_zone[DNS_NAME_MAX + 1] ;   /* the first DNSBL that listed the client */
} ;

/* spam_settings.c: reads the settings; dies 100 on a bad one. */
extern void spam_settings_load (spam_settings *) ;

/* spam_rules.c: the rules' default scores and PH_SPAM_SCORE_<NAME>
 * overrides; spam_hit_add records a hit with its score (a score of 0
 * still lists the test). name must be a static string. */
extern double spam_rule_score (char const *name) ;
extern void spam_hit_add (spam *s, char const *name) ;
extern void spam_hit_add_score (spam *s, char const *name, double score) ;
extern int spam_rules_valid (void) ;

/* spam_input.c: the message on stdin, at most max bytes kept. */
extern void spam_read (spam *s, size_t max) ;
/* The length of the header section at s, its empty line included (all
 * of s if there is none). */
extern size_t spam_header_length (char const *s, size_t len) ;

/* spam_allow.c: 1 if the envelope is on an allow-list. */
extern int spam_allowed (spam_settings const *set, spam const *s) ;
/* 1 if addr (sender address) matches one of list's addresses or
 * domains; for tests and policyd. */
extern int spam_list_match_address (char const *list, char const *addr) ;
extern int spam_list_match_domain (char const *list, char const *addr) ;

/* spam_header.c: header sanity (Date, Message-ID, From, recipients). */
extern void spam_check_header (spam_settings const *set, spam *s) ;
/* spam_helo.c: the HELO name. */
extern void spam_check_helo (spam_settings const *set, spam *s) ;
/* spam_authres.c: our own Authentication-Results (spf, dkim, dmarc). */
extern void spam_check_authres (spam_settings const *set, spam *s) ;
/* spam_dns.c: FCrDNS, DNSBL, DNSWL and URI blocklists, in two rounds of
 * parallel lookups, within set->dns_ms. */
extern void spam_check_dns (spam_settings const *set, spam *s, bayes_tokens const *t) ;
/* spam_bayes.c: the Bayes rule for the recipient (docs/spam.md). */
extern void spam_check_bayes (spam_settings const *set, spam *s, bayes_tokens const *t) ;

/* spam_answer.c: the X-Spam fields and the verdict. */
extern char const *spam_verdict (spam_settings const *set, spam const *s) ;
extern int spam_fields (stralloc *sa, spam_settings const *set, spam const *s) ;
/* spam_rewrite.c: with queued's remove lines (FILTER_REMOVE=1): the
 * SPAM_SUBJECT Subject appended to fields, and the remove lines (the
 * original Subject, the message's own X-Spam-* fields) to removes. */
extern int spam_rewrite (spam_settings const *set, spam const *s, stralloc *fields, stralloc *removes) ;
/* a score with at most two decimals: "7.3", "-1.9", "6.31" */
extern int spam_cat_score (stralloc *sa, double d) ;

/* spam_user.c: the database file of a recipient (lower-cased, without
 * its +tag): dir/users/<bayes_user_file>.db. 0 if it does not fit. */
extern int spam_user_db_path (stralloc *sa, char const *dir, char const *user) ;
extern int spam_global_db_path (stralloc *sa, char const *dir) ;

/* ---- RCPT-time checks in policyd (policy_dnsbl.c, policy_greylist.c) ---- */

/* 1 and action set ("554 5.7.1 ...") when PH_DNSBL_REJECT=1 and the
 * client is listed on one of PH_DNSBL_ZONES; 0 otherwise (not listed,
 * not configured, or the lookup failed: never refuse on a failure).
 * The answer for the last client is kept (one per RCPT otherwise). */
extern int policy_dnsbl_check (char const *ip, char *action, size_t max) ;

/* 1 and action set ("DEFER_IF_PERMIT 4.7.1 ...") when greylisting is
 * on (PH_GREYLIST or ENABLE_POSTGREY) and the (client network, sender,
 * recipient) triplet must wait; 0 to let it through. */
extern int policy_greylist_check (char const *ip, char const *sender, char const *recipient, char *action, size_t max) ;

#endif
