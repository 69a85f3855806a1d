/* ISC license. */

/* command = tag SP (command-any / command-auth / ...) CRLF, RFC 9051 §9.
 * c->utf8 is left as the caller set it. */

#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

#define NAME_MAX_ 31

static int read_name (imap_cursor *c, char *name)
{
  char const *s ;
  size_t len, i ;
  if (!imap_run(c, &imap_is_atom_char, &s, &len)) return imap_fail(c, "Missing command") ;
  if (len > NAME_MAX_) return imap_fail(c, "Unknown command") ;
  for (i = 0 ; i < len ; i++)
    name[i] = s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i] ;
  name[len] = 0 ;
  return 1 ;
}

int imap_cursor_start (imap_cursor *c, char const *cmd, size_t len, char const **tag, size_t *taglen, char *name, int *uid)
{
  char const *t ;
  size_t tl ;
  c->s = cmd ;
  c->len = len ;
  c->pos = 0 ;
  c->depth = 0 ;
  c->error = 0 ;
  *tag = 0 ;
  *taglen = 0 ;
  *uid = 0 ;
  name[0] = 0 ;
  if (!imap_run(c, &imap_is_tag_char, &t, &tl)
   || (c->pos < c->len && c->s[c->pos] != ' ' && c->s[c->pos] != '\r' && c->s[c->pos] != '\n'))
    return imap_fail(c, "Missing or invalid tag") ;
  if (tl > IMAP_TAG_MAX) return imap_fail(c, "Tag too long") ;
  *tag = t ;
  *taglen = tl ;
  if (!imap_sp(c) || !read_name(c, name)) { c->error = 0 ; return imap_fail(c, "Missing command") ; }
  if (name[0] == 'U' && name[1] == 'I' && name[2] == 'D' && !name[3])
  {
    *uid = 1 ;
    if (!imap_sp(c) || !read_name(c, name)) { c->error = 0 ; return imap_fail(c, "Missing command after UID") ; }
  }
  return 1 ;
}
