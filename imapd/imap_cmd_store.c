/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/bytestr.h>
#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_session.h"
#include "imapd/imap_fetch-internal.h"

/* STORE and UID STORE (RFC 9051 §6.4.6), with CONDSTORE's
 * UNCHANGEDSINCE and the [MODIFIED set] answer (RFC 7162 §3.1.3).
 * Keywords are created on first use as PERMANENTFLAGS' \* promises;
 * Maildir has room for 26 (the letters a-z). */

static int send_flags_lists (imap_session *s)
{
  /* a keyword was created: FLAGS and PERMANENTFLAGS again (RFC 9051 §7.3.5) */
  stralloc sa = STRALLOC_ZERO ;
  unsigned int nkw = 0 ;
  char const *const *kw = imap_session_keywords(s, &nkw) ;
  uint32_t all = nkw >= 32 ? 0xffffffffu : ((1u << nkw) - 1) ;
  size_t mark ;
  int r = 1 ;
  if (!stralloc_cats(&sa, "FLAGS ") || !imap_fetch_fmt_flags(&sa, MBOX_SEEN | MBOX_ANSWERED | MBOX_FLAGGED | MBOX_DELETED | MBOX_DRAFT, 0, all, kw, nkw) || !stralloc_0(&sa)) goto nomem ;
  if (!imap_untagged(s, sa.s)) { r = 0 ; goto end ; }
  sa.len = 0 ;
  if (!stralloc_cats(&sa, "OK [PERMANENTFLAGS ") || !imap_fetch_fmt_flags(&sa, MBOX_SEEN | MBOX_ANSWERED | MBOX_FLAGGED | MBOX_DELETED | MBOX_DRAFT, 0, all, kw, nkw)) goto nomem ;
  mark = sa.len - 1 ;   /* before ')' */
  sa.len = mark ;
  if (nkw < MBOX_KEYWORDS_MAX && !stralloc_cats(&sa, " \\*")) goto nomem ;
  if (!stralloc_cats(&sa, ")] Flags permitted") || !stralloc_0(&sa)) goto nomem ;
  if (!imap_untagged(s, sa.s)) r = 0 ;
  goto end ;
 nomem:
  r = 1 ;
 end:
  stralloc_free(&sa) ;
  return r ;
}

/* Do the keywords of st not yet in the folder (each counted once, without
 * ASCII case, as mbox_keyword compares them) fit in its free slots? */
static int keywords_fit (imap_session *s, imap_store const *st)
{
  unsigned int fresh = 0 ;
  char const *k = st->keywords.s ;
  for (unsigned int j = 0 ; j < st->nkeywords ; j++, k += strlen(k) + 1)
  {
    char const *prev = st->keywords.s ;
    unsigned int i = 0 ;
    size_t len = strlen(k) ;
    if (mbox_keyword(&s->box, k, 0) >= 0) continue ;
    for (; i < j ; i++, prev += strlen(prev) + 1)
      if (strlen(prev) == len && !case_diffb(prev, len, k)) break ;
    if (i == j) fresh++ ;
  }
  return s->box.nkeywords + fresh <= MBOX_KEYWORDS_MAX ;
}

int imap_cmd_store (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  imap_seqset set = IMAP_SEQSET_ZERO ;
  imap_store st = IMAP_STORE_ZERO ;
  genalloc idx = GENALLOC_ZERO ;       /* size_t */
  genalloc modified = GENALLOC_ZERO ;  /* uint32_t: UIDs or sequence numbers */
  uint32_t kwbits = 0 ;
  unsigned int kwbefore = s->box.nkeywords ;
  int expunged = 0, failed = 0 ;
  int ret = 1 ;

  if (s->state != IMAP_STATE_SELECTED) { ret = imap_tagged(s, tag, "BAD No mailbox selected") ; goto end ; }
  if (!imap_sp(c) || !imap_seqset_parse(c, &set) || !imap_sp(c) || !imap_store_parse(c, &st) || !imap_end(c))
  {
    ret = imap_cmd_bad(s, tag, c) ;
    goto end ;
  }
  if (!imap_cmd_writable(s)) { ret = imap_tagged(s, tag, "NO [READ-ONLY] The mailbox is read-only") ; goto end ; }
  if (st.unchangedsince && !imap_cmd_condstore(s)) { ret = 0 ; goto end ; }
  if (!imap_fetch_resolve(&s->box, &set, uid, genalloc_s(uint32_t, &s->saved), genalloc_len(uint32_t, &s->saved), &idx))
  {
    ret = errno == EINVAL ? imap_tagged(s, tag, "BAD Message sequence number beyond the mailbox")
                          : imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
    goto end ;
  }

  /* keywords: names to letters, created when adding or setting; all or
   * none: the new ones must all fit before the first is registered, or
   * a refused STORE would use up the folder's slots for nothing */
  if (st.mode != IMAP_STORE_REMOVE && !keywords_fit(s, &st))
  {
    ret = imap_tagged(s, tag, "NO [LIMIT] No room for another keyword in this mailbox") ;
    goto end ;
  }
  {
    char const *k = st.keywords.s ;
    for (unsigned int j = 0 ; j < st.nkeywords ; j++, k += strlen(k) + 1)
    {
      int bit = mbox_keyword(&s->box, k, st.mode != IMAP_STORE_REMOVE) ;
      if (bit < 0)
      {
        if (st.mode == IMAP_STORE_REMOVE) continue ;   /* an unknown keyword is on no message */
        int e = errno ;
        /* another session took the last slots since we counted: what we
         * did register is the folder's now, so the client hears of it */
        if (s->box.nkeywords != kwbefore && !send_flags_lists(s)) { ret = 0 ; goto end ; }
        ret = e == ENOSPC ? imap_tagged(s, tag, "NO [LIMIT] No room for another keyword in this mailbox")
                          : imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot record the keyword") ;
        goto end ;
      }
      kwbits |= 1u << bit ;
    }
  }
  if (s->box.nkeywords != kwbefore && !send_flags_lists(s)) { ret = 0 ; goto end ; }

  {
    unsigned int nkw = 0 ;
    char const *const *kw = imap_session_keywords(s, &nkw) ;
    int condstore = !!(s->enabled & IMAP_ENABLED_CONDSTORE) ;
    for (size_t k = 0 ; k < genalloc_len(size_t, &idx) ; k++)
    {
      size_t i = genalloc_s(size_t, &idx)[k] ;
      mbox_msg const *m = mbox_at(&s->box, i) ;
      uint32_t flags = m->flags, keywords = m->keywords ;
      int changed ;
      if (st.unchangedsince && m->modseq > st.unchangedsince_value)
      {
        /* RFC 7162 §3.1.3: left alone and reported in [MODIFIED] */
        uint32_t n = uid ? m->uid : (uint32_t)(i + 1) ;
        if (!genalloc_append(uint32_t, &modified, &n)) { failed = ENOMEM ; break ; }
        continue ;
      }
      switch (st.mode)
      {
        case IMAP_STORE_SET : flags = st.flags ; keywords = kwbits ; break ;
        case IMAP_STORE_ADD : flags |= st.flags ; keywords |= kwbits ; break ;
        default : flags &= ~st.flags ; keywords &= ~kwbits ; break ;
      }
      flags &= MBOX_SEEN | MBOX_ANSWERED | MBOX_FLAGGED | MBOX_DELETED | MBOX_DRAFT ;
      changed = flags != m->flags || keywords != m->keywords ;
      if (changed)
      {
        uint64_t modseq ;
        if (!mbox_store(&s->box, i, flags, keywords, &modseq))
        {
          if (errno == ENOENT) { expunged = 1 ; continue ; }
          failed = errno ;
          break ;
        }
        m = mbox_at(&s->box, i) ;
      }
      /* the answer: FLAGS unless .SILENT; under CONDSTORE a changed
       * message is reported with its MODSEQ even when silent (RFC 7162
       * §3.1.3), and UID and MODSEQ always come together (§3.1) */
      if (st.silent && !(condstore && changed)) continue ;
      s->out.len = 0 ;
      {
        char fmt[UINT64_FMT] ;
        int first = 1 ;
        if (!stralloc_catb(&s->out, "(", 1)) { failed = ENOMEM ; break ; }
        if (!st.silent)
        {
          if (!stralloc_cats(&s->out, "FLAGS ") || !imap_fetch_fmt_flags(&s->out, m->flags, imap_cmd_recent(s, i), m->keywords, kw, nkw)) { failed = ENOMEM ; break ; }
          first = 0 ;
        }
        if (uid || condstore)
        {
          if ((!first && !stralloc_catb(&s->out, " ", 1)) || !stralloc_cats(&s->out, "UID ") || !stralloc_catb(&s->out, fmt, uint32_fmt(fmt, m->uid))) { failed = ENOMEM ; break ; }
          first = 0 ;
        }
        if (condstore)
        {
          if ((!first && !stralloc_catb(&s->out, " ", 1)) || !stralloc_cats(&s->out, "MODSEQ (") || !stralloc_catb(&s->out, fmt, uint64_fmt(fmt, m->modseq)) || !stralloc_catb(&s->out, ")", 1)) { failed = ENOMEM ; break ; }
        }
        if (!stralloc_catb(&s->out, ")", 1)) { failed = ENOMEM ; break ; }
      }
      if (!imap_cmd_fetch_line(s, (uint32_t)(i + 1), s->out.s, s->out.len)) { ret = 0 ; goto end ; }
    }
  }

  /* RFC 9051 §7.4.1: no EXPUNGE during STORE by sequence number */
  if (!(expunged ? imap_session_notify(s, uid) : imap_session_notify_fast(s, uid))) { ret = 0 ; goto end ; }
  if (failed == ENOSPC || failed == EDQUOT) ret = imap_tagged(s, tag, "NO [OVERQUOTA] No space to record the flags") ;
  else if (failed == ENOMEM) ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
  else if (failed) ret = imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot store the flags") ;
  else if (genalloc_len(uint32_t, &modified))
  {
    /* RFC 7162 §3.1.3: "OK [MODIFIED set]" ("NO" only for sequence
     * numbers of messages expunged meanwhile; we report those below) */
    stralloc sa = STRALLOC_ZERO ;
    if (!stralloc_cats(&sa, expunged ? "NO [MODIFIED " : "OK [MODIFIED ")
     || !imap_seqset_fmt(&sa, genalloc_s(uint32_t, &modified), genalloc_len(uint32_t, &modified))
     || !stralloc_cats(&sa, "] Conditional STORE failed")
     || !stralloc_0(&sa))
      ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
    else ret = imap_tagged(s, tag, sa.s) ;
    stralloc_free(&sa) ;
  }
  /* UID STORE ignores UIDs that are gone (RFC 9051 §6.4.9), as UID
   * FETCH does, and has just sent the EXPUNGE; STORE by number cannot */
  else if (expunged && !uid) ret = imap_tagged(s, tag, "NO [EXPUNGEISSUED] Some of the requested messages no longer exist") ;
  else ret = imap_tagged(s, tag, "OK Store completed") ;
 end:
  imap_seqset_free(&set) ;
  stralloc_free(&st.keywords) ;
  genalloc_free(size_t, &idx) ;
  genalloc_free(uint32_t, &modified) ;
  return ret ;
}
