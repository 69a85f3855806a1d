/* ISC license. */

#ifndef POSTHASTE_CONFIG_INTERNAL_H
#define POSTHASTE_CONFIG_INTERNAL_H

/* The env file is read at most this large: it is a few KiB in practice,
 * and a bound keeps a wrong PH_ENVFILE (a device, a log) from eating
 * memory. */
#define CONFIG_ENVFILE_MAX (1024 * 1024)

#endif
