/* ISC license. */

#ifndef POSTHASTE_MAILCTL_SETUP_H
#define POSTHASTE_MAILCTL_SETUP_H

/* The rest of docker-mailserver's `setup` (issue 9): the verbs that
 * edit Postfix-style "key value" tables of the config folder, and the
 * log readers. Each exits on error (1 refusal, 100 usage, 111 system)
 * and returns on success. */

#include <stddef.h>

#include "mailctl-internal.h"

/* `email restrict add|del|list send|receive [ADDRESS]` (restrict.c) */
extern void mc_restrict (mcctx *, int argc, char const *const *argv) ;
/* `relay add-auth|add-domain|exclude-domain ...` (relay.c) */
extern void mc_relay (mcctx *, int argc, char const *const *argv) ;
/* `config dkim [keysize N] [selector S] [domain D[,D...]]` (config.c) */
extern void mc_config (mcctx *, int argc, char const *const *argv) ;
/* `debug show-mail-logs [LINES]` and `log QUEUEID` (logs.c): they need
 * PH_STATE only. */
extern int mc_debug (int argc, char const *const *argv) ;
extern int mc_log (int argc, char const *const *argv) ;

/* Postfix lookup tables held as an mcfile (maptable.c): a data line
 * is "key<white space>value", '#' comments and blank lines kept. The
 * index of the first live line from `from` whose key is key (compared
 * without case), or -1. */
extern long mc_map_find (mcfile const *f, char const *key, size_t from) ;
/* Reads PH_CONFIG_DIR/name into f; path is kept in pathsa. */
extern void mc_map_open (mcctx const *ctx, char const *name, stralloc *pathsa, mcfile *f) ;

/* The domains of postfix-accounts.cf and postfix-virtual.cf (loads
 * them: mc_load), each once, lower-case, NUL-terminated one after the
 * other in names. Returns how many. */
extern size_t mc_domains (mcctx *ctx, stralloc *names) ;

#endif
