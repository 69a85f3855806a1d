/* ISC license. */

/* CAPABILITY, NOOP / CHECK, LOGOUT, NAMESPACE: no arguments. */

#include "imapd/imap_session-internal.h"

int imap_cmd_capability (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  if (!imap_end(c)) return imap_bad(s, tag, c) ;
  return imap_outs(s, "* CAPABILITY ") && imap_outs(s, imap_capability(s)) && imap_out(s, "\r\n", 2)
      && imap_tagged(s, tag, "OK CAPABILITY completed") ;
}

/* NOOP, and CHECK (RFC 3501 §6.4.1; gone in IMAP4rev2, still accepted):
 * the point of both is the untagged updates. Every change is on disk
 * already, so CHECK has nothing more to do. */
int imap_cmd_noop (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  if (!imap_end(c)) return imap_bad(s, tag, c) ;
  return imap_done(s, tag, "OK Completed") ;
}

int imap_cmd_logout (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  if (!imap_end(c)) return imap_bad(s, tag, c) ;
  imap_untagged(s, "BYE Logging out") ;
  imap_tagged(s, tag, "OK LOGOUT completed") ;
  s->state = IMAP_STATE_LOGOUT ;
  return 0 ;
}

/* RFC 2342: one personal namespace, no prefix, '.' as delimiter (Maildir++). */
int imap_cmd_namespace (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  if (!imap_end(c)) return imap_bad(s, tag, c) ;
  return imap_untagged(s, "NAMESPACE ((\"\" \".\")) NIL NIL") && imap_done(s, tag, "OK NAMESPACE completed") ;
}
