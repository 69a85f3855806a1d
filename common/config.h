/* ISC license. */

#ifndef POSTHASTE_CONFIG_H
#define POSTHASTE_CONFIG_H

/* Settings: the process environment first, then the env file named by
 * $PH_ENVFILE (docker-mailserver's mailserver.env syntax), then the
 * caller's default. config_init() reads the file once; the getters never
 * allocate after that. */

#include <stddef.h>
#include <stdint.h>

/* Reads $PH_ENVFILE if set. Returns 1 on success (a missing variable or
 * a missing file is success), 0 on failure with errno set; a syntax error
 * sets EINVAL and config_error_line() tells the line. */
extern int config_init (void) ;
extern unsigned int config_error_line (void) ;

/* config_init for a daemon: on failure, dies with "syntax error in
 * $PH_ENVFILE line N" (100) or "unable to read $PH_ENVFILE" (111). */
extern void config_load (void) ;

/* The value of name, or 0 if unset. An empty value counts as unset, as in
 * docker-mailserver. */
extern char const *config_get (char const *name) ;
extern char const *config_get_default (char const *name, char const *def) ;

/* Numeric and boolean settings. Return 1 and set *out (def when unset),
 * 0 if the value does not parse (errno EINVAL). Sizes accept k/m/g
 * suffixes (powers of 1024). Booleans: 1/0, yes/no, true/false, on/off. */
extern int config_get_uint (char const *name, uint64_t def, uint64_t *out) ;
extern int config_get_size (char const *name, uint64_t def, uint64_t *out) ;
extern int config_get_bool (char const *name, int def, int *out) ;

/* The mail host name: OVERRIDE_HOSTNAME, else PH_HOSTNAME, else
 * gethostname(). Never 0. */
extern char const *config_hostname (void) ;

/* The env-file parser itself, for mailctl and the tests: parses s[0..len)
 * (docker-mailserver mailserver.env syntax: NAME=value lines, '#' comments,
 * blank lines, optional single or double quotes around the value, optional
 * leading "export "), appending "NAME=value\0" records to *out.
 * Returns 1, or 0 with errno EINVAL and *errline set to the 1-based line. */
#include <skalibs/stralloc.h>
extern int envfile_parse (char const *s, size_t len, stralloc *out, unsigned int *errline) ;

#endif
