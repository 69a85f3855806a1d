/* ISC license. */

#ifndef POSTHASTE_SMTP_ACCESS_H
#define POSTHASTE_SMTP_ACCESS_H

/* docker-mailserver's access tables, compiled by mailctl (mailctl/dms.h):
 * $PH_CDB_DIR/rcptaccess.cdb (postfix-receive-access.cf, checked by
 * smtpd and submitd at RCPT for local recipients) and sendaccess.cdb
 * (postfix-send-access.cf, checked by submitd at MAIL FROM). Values are
 * "OK" or "NNN x.y.z [text]". Lookup forms, as Postfix's access(5) for
 * an address: local+ext@domain, local@domain, domain and each parent
 * domain, local+ext@, local@; "<>" for the null sender. The first form
 * found decides. */

#include <stddef.h>
#include "smtp_session.h"

#define SMTP_ACCESS_SENDER 0
#define SMTP_ACCESS_RCPT 1

/* key: the lower-cased address (addr_key), "" for the null sender.
 * Returns 1 and fills *v when the table refuses it (or on a lookup
 * error: 451 4.3.0), 0 when it may go on. */
extern int smtp_access_check (int which, char const *key, size_t keylen, smtp_verdict *v) ;

#endif
