/* ISC license. */

/* CREATE (RFC 9051 §6.3.4, with USE from RFC 6154 §3), DELETE, RENAME,
 * SUBSCRIBE, UNSUBSCRIBE: the folder work is common/mbox.h's; here are
 * the names and the response codes (RFC 5530). */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

static struct { char const *name ; unsigned int bit ; } const uses[] =
{
  { "\\All", MBOX_USE_ALL },
  { "\\Archive", MBOX_USE_ARCHIVE },
  { "\\Drafts", MBOX_USE_DRAFTS },
  { "\\Flagged", MBOX_USE_FLAGGED },
  { "\\Junk", MBOX_USE_JUNK },
  { "\\Sent", MBOX_USE_SENT },
  { "\\Trash", MBOX_USE_TRASH },
} ;

/* DELETE or RENAME of the selected mailbox (or, for RENAME, of one of
 * its parents) pulls it from under the session: leave it first and say
 * so with [CLOSED] (RFC 9051 §7.1), rather than find it gone at the
 * next sync. INBOX is never renamed away (its messages move). */
static int leave_if_affected (imap_session *s, char const *disk)
{
  size_t len = strlen(disk) ;
  char const *cur ;
  if (s->state != IMAP_STATE_SELECTED || !strcmp(disk, "INBOX")) return 1 ;
  cur = s->box.folder.s ;
  if (strncmp(cur, disk, len) || (cur[len] && cur[len] != '.')) return 1 ;
  imap_deselect(s) ;
  return imap_untagged(s, "OK [CLOSED] Mailbox closed") ;
}

static int fail (imap_session *s, char const *tag, int e, char const *what)
{
  switch (e)
  {
    case ENOENT : return imap_tagged(s, tag, "NO [NONEXISTENT] No such mailbox") ;
    case EEXIST : return imap_tagged(s, tag, "NO [ALREADYEXISTS] Mailbox already exists") ;
    case EINVAL :
    case ENAMETOOLONG : return imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ;
    case ENOTEMPTY : return imap_tagged(s, tag, "NO [INUSE] Mailbox has children") ;
    case ENOSPC :
    case EDQUOT : return imap_tagged(s, tag, "NO [OVERQUOTA] No space left") ;
    case ETIMEDOUT : return imap_tagged(s, tag, "NO [INUSE] Mailbox is locked, try again") ;
    default :
      imap_log_event(s, what, "error", strerror(e)) ;
      return imap_tagged(s, tag, "NO [UNAVAILABLE] Operation failed") ;
  }
}

/* "(USE (\Sent \Archive))": the use-attr list, parsed on the cursor's
 * bytes since the attributes are not atoms ('\' is a quoted-special). */
static int parse_use (imap_cursor *c, unsigned int *use, int *unknown)
{
  if (!imap_sp(c) || !imap_lparen(c) || !imap_try_word(c, "USE") || !imap_sp(c) || !imap_lparen(c))
  {
    if (!c->error) c->error = "Expected (USE (...))" ;
    return 0 ;
  }
  for (unsigned int n = 0 ; imap_peek(c) != ')' ; n++)
  {
    size_t start ;
    int found = 0 ;
    if (n && !imap_sp(c)) return 0 ;
    if (n > 16 || imap_peek(c) != '\\') { c->error = "Expected a special-use attribute" ; return 0 ; }
    start = c->pos++ ;
    while (c->pos < c->len && c->s[c->pos] != ' ' && c->s[c->pos] != ')' && c->s[c->pos] > ' ' && c->s[c->pos] < 127 && c->pos - start < 64) c->pos++ ;
    for (size_t i = 0 ; i < sizeof(uses) / sizeof(*uses) ; i++)
      if (strlen(uses[i].name) == c->pos - start && !strncasecmp(uses[i].name, c->s + start, c->pos - start)) { *use |= uses[i].bit ; found = 1 ; }
    if (!found) *unknown = 1 ;
  }
  return imap_rparen(c) && imap_rparen(c) ;
}

int imap_cmd_create (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  stralloc *sa = &s->out ;
  unsigned int use = 0 ;
  int unknown = 0 ;
  (void)uid ;
  sa->len = 0 ;
  if (!imap_sp(c) || !imap_mailbox(c, sa)) return imap_bad(s, tag, c) ;
  if (imap_peek(c) == ' ' && !parse_use(c, &use, &unknown)) return imap_bad(s, tag, c) ;
  if (!imap_end(c)) return imap_bad(s, tag, c) ;
  if (unknown) return imap_tagged(s, tag, "NO [USEATTR] Unsupported special-use attribute") ;
  /* "foo." says foo will have children: the name is foo (RFC 9051 §6.3.4) */
  {
    size_t len = strlen(sa->s) ;
    while (len > 1 && sa->s[len-1] == '.') sa->s[--len] = 0 ;
  }
  if (!imap_name_in(s, sa->s, &imap_sio.name)) return imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ;
  if (!strcmp(imap_sio.name.s, "INBOX")) return imap_tagged(s, tag, "NO [ALREADYEXISTS] INBOX always exists") ;
  if (!mbox_folder_create(s->login->maildir, imap_sio.name.s, use)) return fail(s, tag, errno, "imap_create_fail") ;
  imap_log_event(s, "imap_create", "mailbox", imap_sio.name.s) ;
  return imap_done(s, tag, "OK CREATE completed") ;
}

int imap_cmd_delete (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  stralloc *sa = &s->out ;
  (void)uid ;
  sa->len = 0 ;
  if (!imap_sp(c) || !imap_mailbox(c, sa) || !imap_end(c)) return imap_bad(s, tag, c) ;
  if (!imap_name_in(s, sa->s, &imap_sio.name)) return imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ;
  if (!strcmp(imap_sio.name.s, "INBOX")) return imap_tagged(s, tag, "NO [CANNOT] INBOX cannot be deleted") ;
  if (!leave_if_affected(s, imap_sio.name.s)) return 0 ;
  if (!mbox_folder_delete(s->login->maildir, imap_sio.name.s)) return fail(s, tag, errno, "imap_delete_fail") ;
  imap_log_event(s, "imap_delete", "mailbox", imap_sio.name.s) ;
  return imap_done(s, tag, "OK DELETE completed") ;
}

int imap_cmd_rename (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  stralloc *sa = &s->out ;
  size_t to ;
  (void)uid ;
  sa->len = 0 ;
  if (!imap_sp(c) || !imap_mailbox(c, sa) || !imap_sp(c)) return imap_bad(s, tag, c) ;
  to = sa->len ;
  if (!imap_mailbox(c, sa) || !imap_end(c)) return imap_bad(s, tag, c) ;
  {
    size_t len = strlen(sa->s + to) ;
    while (len > 1 && sa->s[to + len - 1] == '.') sa->s[to + --len] = 0 ;
  }
  if (!imap_name_in(s, sa->s, &imap_sio.name) || !imap_name_in(s, sa->s + to, &imap_sio.tmp))
    return imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ;
  if (!strcmp(imap_sio.tmp.s, "INBOX")) return imap_tagged(s, tag, "NO [ALREADYEXISTS] INBOX always exists") ;
  if (!strcmp(imap_sio.tmp.s, imap_sio.name.s)) return imap_tagged(s, tag, "NO [ALREADYEXISTS] Same name") ;
  if (!leave_if_affected(s, imap_sio.name.s)) return 0 ;
  if (!mbox_folder_rename(s->login->maildir, imap_sio.name.s, imap_sio.tmp.s)) return fail(s, tag, errno, "imap_rename_fail") ;
  imap_log_event(s, "imap_rename", "mailbox", imap_sio.name.s) ;
  return imap_done(s, tag, "OK RENAME completed") ;
}

static int subscribe (imap_session *s, imap_cursor *c, char const *tag, int on)
{
  stralloc *sa = &s->out ;
  sa->len = 0 ;
  if (!imap_sp(c) || !imap_mailbox(c, sa) || !imap_end(c)) return imap_bad(s, tag, c) ;
  if (!imap_name_in(s, sa->s, &imap_sio.name)) return imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ;
  if (!mbox_subscribe(s->login->maildir, imap_sio.name.s, on)) return fail(s, tag, errno, "imap_subscribe_fail") ;
  return imap_done(s, tag, on ? "OK SUBSCRIBE completed" : "OK UNSUBSCRIBE completed") ;
}

int imap_cmd_subscribe (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  return subscribe(s, c, tag, 1) ;
}

int imap_cmd_unsubscribe (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  return subscribe(s, c, tag, 0) ;
}
