/* ISC license. */

#include <string.h>
#include <unistd.h>

#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/preauth.h"
#include "common/ucspitls.h"
#include "imapd/imapd.h"

/* The not-authenticated state (RFC 9051 §3.1, §6.1, §6.2): CAPABILITY,
 * NOOP, LOGOUT, STARTTLS, AUTHENTICATE, LOGIN, and ID (RFC 2971, any
 * state). Every other command is a protocol error here: BAD (§7.1.5). */

#define ID_PAIRS_MAX 30   /* RFC 2971 §3.3 */

/* Commands of the later states: named in the answer, so a client that
 * forgot to log in is told so rather than "unknown". */
static char const *const later[] =
{
  "APPEND", "CHECK", "CLOSE", "COMPRESS", "COPY", "CREATE", "DELETE", "ENABLE",
  "EXAMINE", "EXPUNGE", "FETCH", "GETQUOTA", "GETQUOTAROOT", "IDLE", "LIST",
  "LSUB", "MOVE", "NAMESPACE", "RENAME", "SEARCH", "SELECT", "SETQUOTA", "SORT",
  "STATUS", "STORE", "SUBSCRIBE", "THREAD", "UID", "UNSELECT", "UNSUBSCRIBE", 0
} ;

char const *imapd_capability (imapd const *d)
{
  static stralloc cap = STRALLOC_ZERO ;
  cap.len = 0 ;
  /* RFC 9051 §7.2.2 / RFC 3501 §6.2.1: STARTTLS only while it can be
   * done; AUTH= only when credentials may be sent, else LOGINDISABLED. */
  if (!stralloc_cats(&cap, "IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ ID ENABLE IDLE")
   || (!d->p.tls && ucspitls_available() && !stralloc_cats(&cap, " STARTTLS"))
   || !stralloc_cats(&cap, preauth_plain_ok(&d->p) ? " AUTH=PLAIN AUTH=LOGIN" : " LOGINDISABLED")
   || !stralloc_0(&cap))
    return "IMAP4rev1 IMAP4rev2" ;
  return cap.s ;
}

void imapd_bad (imapd *d, char const *tag, char const *name, char const *text)
{
  imapd_tagged(d, tag, text) ;
  if (preauth_bad(&d->p, name)) imapd_bye(d, "Too many invalid commands", 1) ;
}

void imapd_bad_cursor (imapd *d, char const *tag, char const *name, imap_cursor const *c)
{
  char text[256] ;
  char const *e = c->error ? c->error : "Syntax error" ;
  size_t n = strlen(e) ;
  if (n > sizeof(text) - 5) n = sizeof(text) - 5 ;
  memcpy(text, "BAD ", 4) ;
  memcpy(text + 4, e, n) ;
  text[4 + n] = 0 ;
  imapd_bad(d, tag, name, text) ;
}

static void do_capability (imapd *d, char const *tag, imap_cursor *c)
{
  char const *cap ;
  if (!imap_end(c)) { imapd_bad_cursor(d, tag, "CAPABILITY", c) ; return ; }
  cap = imapd_capability(d) ;
  imapd_puts(d, "* CAPABILITY ") ;
  imapd_puts(d, cap) ;
  imapd_puts(d, "\r\n") ;
  imapd_tagged(d, tag, "OK CAPABILITY completed") ;
}

static void do_id (imapd *d, char const *tag, imap_cursor *c)
{
  stralloc sa = STRALLOC_ZERO ;
  if (!imap_sp(c)) goto bad ;
  if (!imap_try_word(c, "NIL"))
  {
    unsigned int n = 0 ;
    if (!imap_lparen(c)) goto bad ;
    while (imap_peek(c) != ')')
    {
      int isnil ;
      if (n && !imap_sp(c)) goto bad ;
      if (++n > ID_PAIRS_MAX) { c->error = "Too many ID fields" ; goto bad ; }
      sa.len = 0 ;
      if (!imap_string(c, &sa) || !imap_sp(c) || !imap_nstring(c, &sa, &isnil)) goto bad ;
    }
    if (!imap_rparen(c)) goto bad ;
  }
  if (!imap_end(c)) goto bad ;
  stralloc_free(&sa) ;
  /* the name only: a version helps attackers more than clients */
  imapd_untagged(d, "ID (\"name\" \"posthaste\")") ;
  imapd_tagged(d, tag, "OK ID completed") ;
  return ;
 bad:
  stralloc_free(&sa) ;
  imapd_bad_cursor(d, tag, "ID", c) ;
}

static void do_starttls (imapd *d, char const *tag, imap_cursor *c)
{
  if (!imap_end(c)) { imapd_bad_cursor(d, tag, "STARTTLS", c) ; return ; }
  if (d->p.tls) { imapd_bad(d, tag, "STARTTLS", "BAD TLS is already active") ; return ; }
  if (!ucspitls_available()) { imapd_tagged(d, tag, "NO [UNAVAILABLE] TLS is not available") ; return ; }
  /* queued, not sent: ucspitls_start sends it, then drops whatever the
   * client pipelined after STARTTLS (RFC 3501 §6.2.1, RFC 9051 §6.2.1:
   * nothing sent in clear is run inside TLS) */
  {
    size_t tl = strlen(tag) ;
    if (!buffer_putnoflush(&d->out, tag, tl) || buffer_putnoflush(&d->out, " OK Begin TLS negotiation now\r\n", 31) != 31)
      imapd_bye(d, "Internal error", 111) ;
  }
  preauth_starttls(&d->p, &d->in, &d->out) ;
  imap_reader_reset(&d->rd) ;
}

void imapd_command (imapd *d)
{
  imap_cursor c ;
  char const *t = 0 ;
  size_t taglen = 0 ;
  char name[32] ;
  char tag[IMAP_TAG_MAX + 1] ;
  int uid = 0 ;
  name[0] = 0 ;
  if (!imap_cursor_start(&c, d->rd.cmd.s, d->rd.cmd.len, &t, &taglen, name, &uid))
  {
    if (t && taglen && taglen <= IMAP_TAG_MAX) { memcpy(tag, t, taglen) ; tag[taglen] = 0 ; }
    else memcpy(tag, "*", 2) ;
    imapd_bad_cursor(d, tag, name, &c) ;
    return ;
  }
  memcpy(tag, t, taglen) ;
  tag[taglen] = 0 ;
  if (uid) { imapd_bad(d, tag, "UID", "BAD Command not valid before login") ; return ; }
  if (!strcmp(name, "CAPABILITY")) do_capability(d, tag, &c) ;
  else if (!strcmp(name, "NOOP"))
  {
    if (!imap_end(&c)) imapd_bad_cursor(d, tag, name, &c) ;
    else imapd_tagged(d, tag, "OK NOOP completed") ;
  }
  else if (!strcmp(name, "LOGOUT"))
  {
    if (!imap_end(&c)) { imapd_bad_cursor(d, tag, name, &c) ; return ; }
    imapd_untagged(d, "BYE Logging out") ;
    imapd_tagged(d, tag, "OK LOGOUT completed") ;
    _exit(0) ;
  }
  else if (!strcmp(name, "STARTTLS")) do_starttls(d, tag, &c) ;
  else if (!strcmp(name, "LOGIN")) imapd_login(d, tag, &c) ;
  else if (!strcmp(name, "AUTHENTICATE")) imapd_authenticate(d, tag, &c) ;
  else if (!strcmp(name, "ID")) do_id(d, tag, &c) ;
  else
  {
    for (unsigned int i = 0 ; later[i] ; i++)
      if (!strcmp(name, later[i])) { imapd_bad(d, tag, name, "BAD Command not valid before login") ; return ; }
    imapd_bad(d, tag, name, "BAD Unknown command") ;
  }
}
