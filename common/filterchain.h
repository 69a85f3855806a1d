/* ISC license. */

#ifndef POSTHASTE_FILTERCHAIN_H
#define POSTHASTE_FILTERCHAIN_H

/* A filter chain setting (PH_FILTERS_INBOUND, PH_FILTERS_OUTBOUND;
 * docs/filters.md "Chains"): a ';'-separated list of commands, each
 * words separated by spaces or tabs, an absolute program path first; no
 * shell, no quoting. queued (which drives the chain) and filterrun
 * (which runs one of its programs, as phfilter) parse it with this same
 * code, so that both agree on what stage N is. */

#define FILTERCHAIN_MAX 16
#define FILTERCHAIN_ARGS_MAX 32
#define FILTERCHAIN_COMMAND_MAX 4096   /* a command's words joined by single spaces */

typedef struct filterchain_s filterchain, *filterchain_ref ;
struct filterchain_s
{
  unsigned int n ;
  char const *argv[FILTERCHAIN_MAX][FILTERCHAIN_ARGS_MAX + 1] ;
} ;

/* Parses spec (0: an empty chain) into *c, whose argv point into a copy
 * kept for the program's life. 1, or 0 with *why (a configuration
 * error). */
extern int filterchain_parse (char const *spec, filterchain *c, char const **why) ;

/* Writes command stage of c, its words joined by single spaces, into
 * buf (FILTERCHAIN_COMMAND_MAX + 1 bytes), NUL-terminated: how queued
 * names a command to filterrun, which compares it with its own. */
extern void filterchain_command (filterchain const *c, unsigned int stage, char *buf) ;

#endif
