/* ISC license. */

#ifndef POSTHASTE_SMTP_CMD_H
#define POSTHASTE_SMTP_CMD_H

/* The SMTP command-line parser (RFC 5321 4.1.1, 4.1.2): a line (already
 * stripped of its CRLF and known to contain no bare CR, LF or NUL) is
 * split into a verb and its argument, and the MAIL and RCPT arguments
 * into a path and ESMTP parameters. Pure functions on caller memory: no
 * I/O, no allocation, so the fuzzer calls them directly. */

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

enum smtp_verb_e
{
  SMTP_VERB_UNKNOWN = 0,
  SMTP_VERB_HELO,
  SMTP_VERB_EHLO,
  SMTP_VERB_MAIL,
  SMTP_VERB_RCPT,
  SMTP_VERB_DATA,
  SMTP_VERB_RSET,
  SMTP_VERB_NOOP,
  SMTP_VERB_QUIT,
  SMTP_VERB_VRFY,
  SMTP_VERB_EXPN,
  SMTP_VERB_HELP,
  SMTP_VERB_STARTTLS,
  SMTP_VERB_AUTH,
  SMTP_VERB_BDAT,
  SMTP_VERB_ETRN,
  SMTP_VERB_TURN,
  SMTP_VERB_HTTP,      /* GET, POST, HEAD, PUT, CONNECT: a web client or a cross-protocol attack */
  SMTP_VERB_N
} ;

typedef struct smtp_cmd_s smtp_cmd, *smtp_cmd_ref ;
struct smtp_cmd_s
{
  unsigned int verb ;  /* enum smtp_verb_e */
  char const *arg ;    /* after the verb and the spaces that follow it */
  size_t arglen ;      /* trailing spaces removed */
} ;

/* Splits s[0..len) into verb (case-insensitive) and argument. Returns 1,
 * or 0 if the line is empty or only spaces (verb UNKNOWN). */
extern int smtp_cmd_split (char const *s, size_t len, smtp_cmd *c) ;

/* The verb's name for logs ("UNKNOWN" for SMTP_VERB_UNKNOWN). */
extern char const *smtp_verb_name (unsigned int verb) ;

#define SMTP_PARAM_MAX 16

typedef struct smtp_param_s smtp_param, *smtp_param_ref ;
struct smtp_param_s
{
  char const *key ;    /* esmtp-keyword, in the caller's line */
  size_t keylen ;
  char const *value ;  /* esmtp-value, 0 if there is no "=" */
  size_t valuelen ;
} ;

typedef struct smtp_path_s smtp_path, *smtp_path_ref ;
struct smtp_path_s
{
  mailaddr addr ;
  smtp_param params[SMTP_PARAM_MAX] ;
  unsigned int nparams ;
} ;

/* Why a MAIL or RCPT argument was refused; the session maps these to
 * reply codes. */
enum smtp_path_err_e
{
  SMTP_PATH_OK = 0,
  SMTP_PATH_NOPREFIX,     /* not "FROM:" / "TO:" */
  SMTP_PATH_ADDR,         /* addr_parse_path failed: see errno */
  SMTP_PATH_TRAILING,     /* junk after the path that is not " param" */
  SMTP_PATH_BADPARAM,     /* a parameter that is not esmtp-keyword[=esmtp-value] */
  SMTP_PATH_TOOMANY       /* more than SMTP_PARAM_MAX parameters */
} ;

/* Parses "FROM:<path> [params]" (prefix "from:") or "TO:<path> [params]"
 * (prefix "to:"); prefix is given in lower case and matched
 * case-insensitively; spaces after the colon
 * tolerated (many clients send them). addrflags go to addr_parse_path.
 * Returns SMTP_PATH_OK or an smtp_path_err_e. */
extern unsigned int smtp_cmd_path (char const *arg, size_t arglen, char const *prefix, unsigned int addrflags, smtp_path *p) ;

/* The MAIL parameters this engine understands (RFC 1870 SIZE, RFC 6152
 * BODY). */
#define SMTP_BODY_NONE 0
#define SMTP_BODY_7BIT 1
#define SMTP_BODY_8BITMIME 2

typedef struct smtp_mailparams_s smtp_mailparams, *smtp_mailparams_ref ;
struct smtp_mailparams_s
{
  uint64_t size ;        /* declared SIZE=, 0 if absent */
  unsigned int body ;    /* SMTP_BODY_* */
  unsigned int hassize : 1 ;
} ;

enum smtp_param_err_e
{
  SMTP_PARAM_OK = 0,
  SMTP_PARAM_UNKNOWN,     /* 555 5.5.4: not supported */
  SMTP_PARAM_BADVALUE,    /* 501 5.5.4: bad value */
  SMTP_PARAM_DUPLICATE    /* 501 5.5.4: given twice */
} ;

/* Interprets p's parameters as MAIL parameters. Returns an
 * smtp_param_err_e; *bad is set to the offending parameter's index. */
extern unsigned int smtp_cmd_mailparams (smtp_path const *p, smtp_mailparams *mp, unsigned int *bad) ;

#endif
