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

/* ESMTP parameters (smtp_params.c). MAIL: RFC 1870 SIZE, RFC 6152 BODY,
 * RFC 6531 SMTPUTF8, RFC 3461 RET and ENVID, RFC 8689 REQUIRETLS, RFC 4954
 * AUTH (xtext, or "<>"; only where AUTH is offered). RCPT:
 * RFC 3461 NOTIFY and ORCPT. Values are checked for syntax only; whether
 * a parameter is allowed in this session (REQUIRETLS needs TLS) is the
 * session's business. */
#define SMTP_BODY_NONE 0
#define SMTP_BODY_7BIT 1
#define SMTP_BODY_8BITMIME 2

#define SMTP_RET_NONE 0
#define SMTP_RET_FULL 1
#define SMTP_RET_HDRS 2

#define SMTP_ENVID_MAX 100   /* RFC 3461 4.4: xtext-encoded, at most 100 characters */
#define SMTP_ORCPT_MAX 500   /* RFC 3461 4.2: addr-type ";" xtext (RFC 6533: or unitext), at most 500 */

typedef struct smtp_mailparams_s smtp_mailparams, *smtp_mailparams_ref ;
struct smtp_mailparams_s
{
  uint64_t size ;        /* declared SIZE=, 0 if absent */
  unsigned int body ;    /* SMTP_BODY_* */
  unsigned int ret ;     /* SMTP_RET_* */
  char envid[SMTP_ENVID_MAX + 1] ;  /* the xtext as received, "" if absent */
  unsigned int hassize : 1 ;
  unsigned int hasenvid : 1 ;
  unsigned int smtputf8 : 1 ;
  unsigned int requiretls : 1 ;
  unsigned int hasauth : 1 ;   /* RFC 4954 5 AUTH=, checked, never kept */
} ;

#define SMTP_NOTIFY_NEVER 0x01
#define SMTP_NOTIFY_SUCCESS 0x02
#define SMTP_NOTIFY_FAILURE 0x04
#define SMTP_NOTIFY_DELAY 0x08

typedef struct smtp_rcptparams_s smtp_rcptparams, *smtp_rcptparams_ref ;
struct smtp_rcptparams_s
{
  unsigned int notify ;  /* SMTP_NOTIFY_*, 0 if absent */
  char orcpt[SMTP_ORCPT_MAX + 1] ;  /* "addr-type;xtext" (or "utf-8;unitext") as received, "" if absent */
  unsigned int hasorcpt : 1 ;
} ;

enum smtp_param_err_e
{
  SMTP_PARAM_OK = 0,
  SMTP_PARAM_UNKNOWN,     /* 555 5.5.4: not supported */
  SMTP_PARAM_BADVALUE,    /* 501 5.5.4: bad value */
  SMTP_PARAM_DUPLICATE    /* 501 5.5.4: given twice */
} ;

/* Interprets p's parameters as MAIL (RCPT) parameters. Returns an
 * smtp_param_err_e; *bad is set to the offending parameter's index. */
extern unsigned int smtp_cmd_mailparams (smtp_path const *p, smtp_mailparams *mp, unsigned int *bad) ;
extern unsigned int smtp_cmd_rcptparams (smtp_path const *p, smtp_rcptparams *rp, unsigned int *bad) ;

/* RFC 3461 4: xtext = *( xchar / hexchar ), xchar = "!".."~" except "+"
 * and "=", hexchar = "+" 2HEXDIG. Is s[0..len) one? */
extern int smtp_xtext_valid (char const *s, size_t len) ;

/* Writes the NOTIFY value for flags ("NEVER", "SUCCESS,FAILURE", ...)
 * into s (room for 24 bytes), NUL-terminated; returns its length. */
extern size_t smtp_notify_fmt (char *s, unsigned int flags) ;

/* RFC 3030 2: the BDAT argument, "chunk-size [SP end-marker]", chunk-size
 * 1*DIGIT (at most 20, no overflow), end-marker "LAST" in any case.
 * Returns 1 and fills *size and *last, or 0 on bad syntax. */
extern int smtp_cmd_bdat (char const *arg, size_t arglen, uint64_t *size, int *last) ;

#endif
