/* ISC license. */

/* APPEND (RFC 9051 §6.3.12): flags, internal date, the message as a
 * literal, a literal8 (BINARY, RFC 3516 §4.4) or "UTF8 (literal8)" (RFC
 * 6855 §4). Answers [APPENDUID] (RFC 4315), [TRYCREATE] for a missing
 * mailbox, [TOOBIG] above APPENDLIMIT (RFC 7889; a synchronizing literal
 * that big is refused by the reader before its bytes come) and
 * [OVERQUOTA] (RFC 5530) against the account's Maildir++ quota. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "common/maildirsize.h"
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

/* Octets on disk: the message is stored with LF line ends. */
static uint64_t disk_size (char const *s, size_t len)
{
  uint64_t n = len ;
  for (size_t i = 0 ; i + 1 < len ; i++) if (s[i] == '\r' && s[i+1] == '\n') n-- ;
  return n ;
}

/* 1 fits, 0 over quota, -1 cannot tell (errno). */
int imap_quota_fits (imap_session *s, uint64_t bytes, uint64_t count)
{
  maildirsize m = MAILDIRSIZE_ZERO ;
  if (!s->login->quota) return 1 ;
  if (!maildirsize_usage(imap_sio.rootfd, s->login->quota, bytes, 0, &m)) return -1 ;
  if (m.bytes + bytes > s->login->quota) return 0 ;
  if (m.limit_count && m.count + count > m.limit_count) return 0 ;
  return 1 ;
}

int imap_cmd_append (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  stralloc *sa = &s->out ;
  stralloc kw = STRALLOC_ZERO ;
  unsigned int nkw = 0 ;
  uint32_t flags = 0 ;
  int64_t date = -1 ;
  char const *data ;
  size_t len ;
  int binary = 0 ;
  int ret ;
  (void)uid ;
  sa->len = 0 ;
  if (!imap_sp(c) || !imap_mailbox(c, sa) || !imap_sp(c)) { ret = imap_bad(s, tag, c) ; goto end ; }
  if (imap_peek(c) == '(')
  {
    if (!imap_flag_list(c, &flags, &kw, &nkw, 0) || !imap_sp(c)) { ret = imap_bad(s, tag, c) ; goto end ; }
    if (flags & IMAP_FLAG_RECENT) { c->error = "\\Recent cannot be set" ; ret = imap_bad(s, tag, c) ; goto end ; }
  }
  if (imap_peek(c) == '"')
  {
    if (!imap_date_time(c, &date) || !imap_sp(c)) { ret = imap_bad(s, tag, c) ; goto end ; }
  }
  if (imap_try_word(c, "UTF8"))
  {
    if (!(s->enabled & IMAP_ENABLED_UTF8)) { c->error = "UTF8 data needs ENABLE UTF8=ACCEPT" ; ret = imap_bad(s, tag, c) ; goto end ; }
    if (!imap_sp(c) || !imap_lparen(c) || !imap_literal_ref(c, &data, &len, &binary) || !imap_rparen(c)) { ret = imap_bad(s, tag, c) ; goto end ; }
    if (!binary) { c->error = "UTF8 data is a literal8" ; ret = imap_bad(s, tag, c) ; goto end ; }
  }
  else if (!imap_literal_ref(c, &data, &len, &binary)) { ret = imap_bad(s, tag, c) ; goto end ; }
  if (!imap_end(c))
  {
    if (imap_peek(c) == ' ') c->error = "MULTIAPPEND is not supported" ;
    ret = imap_bad(s, tag, c) ;
    goto end ;
  }
  if (!binary && memchr(data, 0, len)) { c->error = "NUL in a literal: use a literal8 (BINARY)" ; ret = imap_bad(s, tag, c) ; goto end ; }
  if (!len) { ret = imap_tagged(s, tag, "NO [CANNOT] Empty message") ; goto end ; }
  if (len > s->appendlimit) { ret = imap_tagged(s, tag, "NO [TOOBIG] Message too large") ; goto end ; }
  if (!imap_name_in(s, sa->s, &imap_sio.name)) { ret = imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ; goto end ; }
  {
    uint64_t dsize = disk_size(data, len) ;
    uint32_t uidvalidity, newuid ;
    int fits = imap_quota_fits(s, dsize, 1) ;
    if (fits < 0)
    {
      imap_log_event(s, "imap_quota_fail", "error", strerror(errno)) ;
      ret = imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot check the quota, try again") ;
      goto end ;
    }
    if (!fits) { ret = imap_tagged(s, tag, "NO [OVERQUOTA] Quota exceeded") ; goto end ; }
    if (!mbox_append(s->login->maildir, imap_sio.name.s, data, len, flags, kw.s, nkw, date, &uidvalidity, &newuid))
    {
      int e = errno ;
      switch (e)
      {
        case ENOENT : ret = imap_tagged(s, tag, "NO [TRYCREATE] No such mailbox") ; break ;
        case EINVAL : ret = imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ; break ;
        case ENOSPC : case EDQUOT : ret = imap_tagged(s, tag, "NO [OVERQUOTA] No space left") ; break ;
        case ETIMEDOUT : ret = imap_tagged(s, tag, "NO [INUSE] The mailbox is locked, try again") ; break ;
        default :
          imap_log_event(s, "imap_append_fail", "error", strerror(e)) ;
          ret = imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot store the message") ;
      }
      goto end ;
    }
    maildirsize_append(imap_sio.rootfd, dsize, 1) ;
    sa->len = 0 ;
    if (!stralloc_cats(sa, "OK [APPENDUID ") || !imap_fmt_u64(sa, uidvalidity) || !stralloc_catb(sa, " ", 1)
     || !imap_fmt_u64(sa, newuid) || !stralloc_cats(sa, "] APPEND completed") || !stralloc_0(sa))
      ret = imap_done(s, tag, "OK APPEND completed") ;
    else
    {
      /* notify first: it uses its own buffer, sa stays intact */
      ret = imap_session_notify(s, 1) && imap_tagged(s, tag, sa->s) ;
    }
  }
 end:
  stralloc_free(&kw) ;
  return ret ;
}
