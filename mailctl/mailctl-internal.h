/* ISC license. */

#ifndef POSTHASTE_MAILCTL_INTERNAL_H
#define POSTHASTE_MAILCTL_INTERNAL_H

/* What the verbs share with main(). */

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "mailctl.h"

typedef struct mcctx_s mcctx, *mcctx_ref ;
struct mcctx_s
{
  char const *confdir ;
  char const *cdbdir ;
  stralloc accpath ;    /* PH_CONFIG_DIR/postfix-accounts.cf */
  stralloc virtpath ;   /* PH_CONFIG_DIR/postfix-virtual.cf */
  stralloc quotapath ;  /* PH_CONFIG_DIR/dovecot-quotas.cf */
  mcfile accounts ;
  mcfile virtual ;
  mcfile quotas ;
} ;
#define MCCTX_ZERO { .confdir = 0, .cdbdir = 0, .accpath = STRALLOC_ZERO, .virtpath = STRALLOC_ZERO, .quotapath = STRALLOC_ZERO, .accounts = MCFILE_ZERO, .virtual = MCFILE_ZERO, .quotas = MCFILE_ZERO }

#define MC_USAGE_EMAIL "mailctl email add|update ADDRESS [PASSWORD] | email del ADDRESS | email list"
#define MC_USAGE_ALIAS "mailctl alias add|del ALIAS TARGET | alias list"
#define MC_USAGE_QUOTA "mailctl quota set ADDRESS SIZE | quota del ADDRESS"
#define MC_USAGE_TLS "mailctl tls selfsigned [-f] [-k ec|rsa] [FQDN] | tls ticketkey [-f]"

/* Takes the edit lock (held until exit). Dies 111. */
extern void mc_lock (mcctx *) ;
/* Reads and parses the text files. Dies 100 or 111. */
extern void mc_load (mcctx *) ;

/* The verbs; argv starts after "email" / "alias". They exit on error
 * (1 refusal, 100 usage, 111 system) and return on success. */
extern void mc_email (mcctx *, int argc, char const *const *argv) ;
extern void mc_alias (mcctx *, int argc, char const *const *argv) ;
extern void mc_tls (mcctx *, int argc, char const *const *argv) ;
extern void mc_quota (mcctx *, int argc, char const *const *argv) ;
extern void mc_dkim (mcctx *, int argc, char const *const *argv) ;   /* dkim.c */

/* `email del`: the account's lines of dovecot-quotas.cf go too, as with
 * docker-mailserver; the file is rewritten if it had any. */
extern void mc_quota_drop (mcctx *, char const *key, size_t keylen) ;

/* Reads a password from stdin: one line, without echo on a terminal.
 * Dies 100 if it is empty or too long, 111 on read errors. */
extern void mc_password_read (char *buf, size_t max, size_t *len) ;

#endif
