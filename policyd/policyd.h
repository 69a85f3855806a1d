/* ISC license. */

#ifndef POSTHASTE_POLICYD_H
#define POSTHASTE_POLICYD_H

/* policyd: the Postfix SMTP access policy delegation server (SPF at
 * RCPT). The content-filter face (DMARC, ARC, Authentication-Results) is
 * a separate program, policyd-filter, with its own main; it shares
 * common/spf and may use what is declared here. */

#include <stddef.h>
#include <skalibs/tai.h>

#include "common/dns.h"
#include "common/spf.h"

#define POLICY_LINE_MAX 4096    /* one "name=value" line, without its LF */
#define POLICY_ATTRS_MAX 100    /* attributes in one request */
#define POLICY_CACHE_MAX 16     /* SPF answers kept per connection */
#define POLICY_KEY_MAX 1024     /* a cache key; longer requests are not cached */
#define POLICY_INSTANCE_MAX 128
#define POLICY_ACTION_MAX 1024  /* smtpd's and Postfix's policy clients read more */

/* The settings, read once (policy_settings_load dies 100 on a bad one). */
typedef struct policy_settings_s policy_settings ;
struct policy_settings_s
{
  int reject_fail ;          /* PH_SPF_REJECT_FAIL: 550 5.7.23 for fail */
  int defer_temperror ;      /* PH_SPF_DEFER_TEMPERROR: 451 4.7.24 for temperror */
  int prepend ;              /* PH_SPF_PREPEND: Received-SPF for what is let through */
  unsigned int timeout ;     /* PH_SPF_TIMEOUT: seconds for one SPF check */
  unsigned int idle ;        /* PH_POLICY_IDLE_TIMEOUT: seconds between requests */
  char const *skip ;         /* PH_SPF_SKIP_ADDRESSES: CIDR list never checked */
  char const *receiver ;     /* our host name, %{r} and Received-SPF */
} ;

extern void policy_settings_load (policy_settings *) ;

/* 1 if ip (text) is inside one of the comma- or space-separated CIDR
 * blocks of list ("none" or empty: no block). -1 if the list does not
 * parse. */
extern int policy_skip_match (char const *list, char const *ip) ;

/* dns_init, and with a forwarder (PH_DNS_RESOLVER) the reverse zones
 * that libunbound would otherwise answer itself (RFC 1918, RFC 6303
 * documentation ranges) asked of the forwarder too. */
extern int policy_dns_init (dns *) ;

/* The SMTP access policy protocol on fds 0/1 until EOF (policy_serve.c).
 * Returns the exit code. */
extern int policy_serve (policy_settings const *) ;

/* One request's attributes that policyd reads (the others are counted
 * and ignored); 0 when absent. */
typedef struct policy_request_s policy_request ;
struct policy_request_s
{
  char const *request ;
  char const *protocol_state ;
  char const *client_address ;
  char const *helo_name ;
  char const *sender ;
  char const *recipient ;
  char const *instance ;
} ;

/* What a connection keeps between requests: the resolver (made at the
 * first check) and the answers already found (Postfix asks once per
 * recipient; a connection may carry several SMTP sessions). */
typedef struct policy_cache_s policy_cache ;
struct policy_cache_s
{
  char key[POLICY_KEY_MAX] ;     /* ip NUL helo NUL sender NUL; empty slot: "" */
  size_t keylen ;
  spf_answer answer ;
} ;

typedef struct policy_conn_s policy_conn ;
struct policy_conn_s
{
  dns d ;
  int dnsready ;
  unsigned int next ;                      /* slot to overwrite next */
  policy_cache cache[POLICY_CACHE_MAX] ;
  char prepended[POLICY_INSTANCE_MAX + 1] ; /* the instance already given its Received-SPF */
} ;

/* The action for one request (NUL-terminated, at most max bytes), and
 * its log line. */
extern void policy_decide (policy_settings const *, policy_conn *, policy_request const *, char *action, size_t max) ;

/* policyd -t: one check from the command line (policy_test.c). */
extern int policy_test (policy_settings const *, int identity, char const *ip, char const *helo, char const *sender) ;

#endif
