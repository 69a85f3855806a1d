/* ISC license. */

/* QUOTA (RFC 9208): one quota root, "", for the whole account, from the
 * quota authd gave (users.cdb) and the Maildir++ usage (maildirsize,
 * common/maildirsize.h). STORAGE is in units of 1024 octets (§5.1);
 * MESSAGE is shown when the maildirsize file carries a count limit
 * ("C"). SETQUOTA is refused: limits are set with mailctl. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "common/maildirsize.h"
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

/* "* QUOTA "" (STORAGE used limit ...)\r\n"; 1, 0 cannot read (errno). */
static int cat_quota (imap_session *s, stralloc *sa)
{
  maildirsize m = MAILDIRSIZE_ZERO ;
  uint64_t q = s->login->quota ;
  if (!maildirsize_usage(imap_sio.rootfd, q, 0, 0, &m)) return 0 ;
  if (!stralloc_cats(sa, "* QUOTA \"\" (STORAGE ") || !imap_fmt_u64(sa, (m.bytes + 1023) / 1024)
   || !stralloc_catb(sa, " ", 1) || !imap_fmt_u64(sa, q / 1024)) return 0 ;
  if (m.limit_count && (!stralloc_cats(sa, " MESSAGE ") || !imap_fmt_u64(sa, m.count) || !stralloc_catb(sa, " ", 1) || !imap_fmt_u64(sa, m.limit_count))) return 0 ;
  return stralloc_cats(sa, ")\r\n") ;
}

int imap_cmd_getquotaroot (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  stralloc *sa = &s->out ;
  (void)uid ;
  sa->len = 0 ;
  if (!imap_sp(c) || !imap_mailbox(c, sa) || !imap_end(c)) return imap_bad(s, tag, c) ;
  if (!imap_name_in(s, sa->s, &imap_sio.name)) return imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ;
  {
    mbox b = MBOX_ZERO ;
    int ok = mbox_open(&b, s->login->maildir, imap_sio.name.s, MBOX_OPEN_READONLY | MBOX_OPEN_NOSCAN) ;
    int e = errno ;
    mbox_close(&b) ;
    if (!ok) return e == ENOENT ? imap_tagged(s, tag, "NO [NONEXISTENT] No such mailbox") : imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot open the mailbox") ;
  }
  sa->len = 0 ;
  if (!stralloc_cats(sa, "* QUOTAROOT ") || !imap_name_out(s, imap_sio.name.s, sa)) return imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
  if (s->login->quota)
  {
    if (!stralloc_cats(sa, " \"\"\r\n")) return imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
    if (!cat_quota(s, sa))
    {
      imap_log_event(s, "imap_quota_fail", "error", strerror(errno)) ;
      return imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot read the quota usage") ;
    }
  }
  else if (!stralloc_cats(sa, "\r\n")) return imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
  return imap_out(s, sa->s, sa->len) && imap_done(s, tag, "OK GETQUOTAROOT completed") ;
}

int imap_cmd_getquota (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  stralloc *sa = &s->out ;
  (void)uid ;
  sa->len = 0 ;
  if (!imap_sp(c) || !imap_astring(c, sa) || !imap_end(c)) return imap_bad(s, tag, c) ;
  if (sa->s[0] || !s->login->quota) return imap_tagged(s, tag, "NO [NONEXISTENT] No such quota root") ;
  sa->len = 0 ;
  if (!cat_quota(s, sa))
  {
    imap_log_event(s, "imap_quota_fail", "error", strerror(errno)) ;
    return imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot read the quota usage") ;
  }
  return imap_out(s, sa->s, sa->len) && imap_done(s, tag, "OK GETQUOTA completed") ;
}

int imap_cmd_setquota (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)c ; (void)uid ;
  /* the arguments are not even parsed: nobody may set a quota here */
  return imap_tagged(s, tag, "NO [NOPERM] Quotas are set by the administrator") ;
}
