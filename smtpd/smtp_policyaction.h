/* ISC license. */

#ifndef POSTHASTE_SMTP_POLICYACTION_H
#define POSTHASTE_SMTP_POLICYACTION_H

/* What a policy service's "action=" means (Postfix access(5), the
 * actions that make sense at RCPT). Pure: fuzzed by
 * tests/fuzz/smtp_policy.c. */

#include <stddef.h>

#define SMTP_PA_ACCEPT 0    /* OK, DUNNO, DEFER_IF_REJECT (nothing rejects after it) */
#define SMTP_PA_REFUSE 1    /* REJECT, DEFER, DEFER_IF_PERMIT, 4NN text, 5NN text */
#define SMTP_PA_PREPEND 2   /* PREPEND header: value */
#define SMTP_PA_WARN 3      /* WARN text, INFO text: logged */
#define SMTP_PA_HOLD 4      /* HOLD text: recorded in the envelope */
#define SMTP_PA_DISCARD 5   /* DISCARD text: accept, then drop the message */
#define SMTP_PA_BAD 6       /* not an action we know or carry out: the service failed */

typedef struct smtp_policyaction_s smtp_policyaction, *smtp_policyaction_ref ;
struct smtp_policyaction_s
{
  unsigned int kind ;    /* SMTP_PA_* */
  unsigned int code ;    /* SMTP_PA_REFUSE: 4xx or 5xx */
  char enh[12] ;         /* SMTP_PA_REFUSE: its RFC 3463 code */
  char const *text ;     /* the action's text (in the action string), maybe "" */
  size_t textlen ;
} ;

/* Interprets action (NUL-terminated). Always fills *r; returns r->kind. */
extern unsigned int smtp_policyaction_parse (char const *action, smtp_policyaction *r) ;

/* Is s[0..len) one header field for PREPEND: "Name: value", the name
 * printable ASCII without ":", the value without control octets but
 * TAB? */
extern int smtp_policyaction_header_valid (char const *s, size_t len) ;

#endif
