/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>
#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"
#include "imapd/imap_session.h"
#include "imapd/imap_fetch-internal.h"

/* SEARCH / UID SEARCH (RFC 9051 §6.4.4; ESEARCH answers, RFC 4731, and
 * always under IMAP4rev2; SEARCHRES "SAVE" and "$", RFC 5182; MODSEQ,
 * RFC 7162 §3.1.5), SORT / UID SORT and THREAD / UID THREAD (RFC 5256). */

#define KEEP_TEXT_MAX (4u << 20)

/* Runs the program over the mailbox: matching indexes into idx. */
static int run (imap_session *s, imap_search const *srch, genalloc *idx)
{
  size_t n = mbox_count(&s->box) ;
  unsigned int nkw = 0 ;
  imap_search_ctx ctx =
  {
    .maxseq = (uint32_t)n,
    .maxuid = n ? mbox_at(&s->box, n - 1)->uid : 0,
    .saved = genalloc_s(uint32_t, &s->saved),
    .nsaved = genalloc_len(uint32_t, &s->saved),
    .now = (int64_t)time(0),
  } ;
  ctx.keywords = imap_session_keywords(s, &nkw) ;
  ctx.nkeywords = nkw ;
  genalloc_setlen(size_t, idx, 0) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    int r ;
    imap_msg_set(&s->msg, &s->box, i, imap_cmd_recent(s, i)) ;
    r = imap_search_match(srch, 0, &s->msg, &ctx) ;
    if (r < 0) return 0 ;
    if (r && !genalloc_append(size_t, idx, &i)) return 0 ;
  }
  if (s->msg.text.a > KEEP_TEXT_MAX) imap_msg_free(&s->msg) ;
  return 1 ;
}

static int parse_error (imap_session *s, char const *tag, imap_cursor const *c)
{
  /* RFC 9051 §6.4.4: an unknown charset is NO [BADCHARSET], not BAD */
  if (c->error && !strncmp(c->error, "[BADCHARSET", 11)) return imap_cmd_tagged2(s, tag, "NO", c->error) ;
  return imap_cmd_bad(s, tag, c) ;
}

/* the program has been read up to the end; the CRLF may remain */
static int at_end (imap_cursor *c)
{
  return c->pos >= c->len || imap_end(c) ;
}

static int cat_number (stralloc *sa, uint64_t n)
{
  char fmt[UINT64_FMT] ;
  return stralloc_catb(sa, fmt, uint64_fmt(fmt, n)) ;
}

static uint32_t number_of (imap_session *s, size_t i, int uid)
{
  return uid ? mbox_at(&s->box, i)->uid : (uint32_t)(i + 1) ;
}

static int fail (imap_session *s, char const *tag)
{
  if (errno == ENOMEM) return imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
  if (errno == EFBIG) return imap_tagged(s, tag, "NO [LIMIT] A message is too large to search") ;
  return imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot read the messages") ;
}

static int save_result (imap_session *s, size_t const *v, size_t n, unsigned int opts)
{
  /* RFC 5182 §2.4: with MIN and/or MAX but neither ALL nor COUNT, only
   * those are saved */
  int only_ends = (opts & (IMAP_SEARCH_RETURN_MIN | IMAP_SEARCH_RETURN_MAX)) && !(opts & (IMAP_SEARCH_RETURN_ALL | IMAP_SEARCH_RETURN_COUNT)) ;
  genalloc_setlen(uint32_t, &s->saved, 0) ;
  for (size_t k = 0 ; k < n ; k++)
  {
    uint32_t u ;
    if (only_ends && !((k == 0 && (opts & IMAP_SEARCH_RETURN_MIN)) || (k == n - 1 && (opts & IMAP_SEARCH_RETURN_MAX)))) continue ;
    u = mbox_at(&s->box, v[k])->uid ;
    if (genalloc_len(uint32_t, &s->saved) && genalloc_s(uint32_t, &s->saved)[genalloc_len(uint32_t, &s->saved) - 1] == u) continue ;
    if (!genalloc_append(uint32_t, &s->saved, &u)) return 0 ;
  }
  return 1 ;
}

int imap_cmd_search (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  imap_search srch = IMAP_SEARCH_ZERO ;
  genalloc idx = GENALLOC_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  unsigned int opts ;
  int esearch ;
  int ret = 1 ;

  if (s->state != IMAP_STATE_SELECTED) { ret = imap_tagged(s, tag, "BAD No mailbox selected") ; goto end ; }
  if (!imap_sp(c) || !imap_search_parse(c, &srch, 0) || !at_end(c)) { ret = parse_error(s, tag, c) ; goto end ; }
  if (srch.uses_modseq && !imap_cmd_condstore(s)) { ret = 0 ; goto end ; }
  opts = srch.has_return ? srch.return_opts : IMAP_SEARCH_RETURN_ALL ;
  if (srch.has_return && !opts) opts = IMAP_SEARCH_RETURN_ALL ;   /* RETURN () */
  esearch = srch.has_return || (s->enabled & IMAP_ENABLED_REV2) ;

  if (!run(s, &srch, &idx))
  {
    int e = errno ;
    if (opts & IMAP_SEARCH_RETURN_SAVE) genalloc_setlen(uint32_t, &s->saved, 0) ;   /* RFC 5182 §2.1: a failed SAVE empties $ */
    errno = e ;
    ret = fail(s, tag) ;
    goto end ;
  }
  {
    size_t const *v = genalloc_s(size_t, &idx) ;
    size_t n = genalloc_len(size_t, &idx) ;
    uint64_t modseq = 0 ;
    if (srch.uses_modseq && n)
    {
      /* RFC 7162 §3.1.5: the highest mod-sequence of the messages returned */
      if (esearch && !(opts & (IMAP_SEARCH_RETURN_ALL | IMAP_SEARCH_RETURN_COUNT)))
      {
        if (opts & IMAP_SEARCH_RETURN_MIN) modseq = mbox_at(&s->box, v[0])->modseq ;
        if ((opts & IMAP_SEARCH_RETURN_MAX) && mbox_at(&s->box, v[n-1])->modseq > modseq) modseq = mbox_at(&s->box, v[n-1])->modseq ;
      }
      else for (size_t k = 0 ; k < n ; k++) if (mbox_at(&s->box, v[k])->modseq > modseq) modseq = mbox_at(&s->box, v[k])->modseq ;
    }
    if ((opts & IMAP_SEARCH_RETURN_SAVE) && !save_result(s, v, n, opts)) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
    if (esearch)
    {
      /* RFC 5182 §2.4: SAVE alone answers no ESEARCH */
      if (opts & ~IMAP_SEARCH_RETURN_SAVE)
      {
        int ok = stralloc_cats(&sa, "ESEARCH (TAG \"") && stralloc_cats(&sa, tag) && stralloc_cats(&sa, "\")") ;
        if (ok && uid) ok = stralloc_cats(&sa, " UID") ;
        if (ok && n && (opts & IMAP_SEARCH_RETURN_MIN)) ok = stralloc_cats(&sa, " MIN ") && cat_number(&sa, number_of(s, v[0], uid)) ;
        if (ok && n && (opts & IMAP_SEARCH_RETURN_MAX)) ok = stralloc_cats(&sa, " MAX ") && cat_number(&sa, number_of(s, v[n-1], uid)) ;
        if (ok && (opts & IMAP_SEARCH_RETURN_COUNT)) ok = stralloc_cats(&sa, " COUNT ") && cat_number(&sa, n) ;
        if (ok && n && (opts & IMAP_SEARCH_RETURN_ALL))
        {
          genalloc nums = GENALLOC_ZERO ;
          for (size_t k = 0 ; ok && k < n ; k++)
          {
            uint32_t x = number_of(s, v[k], uid) ;
            ok = genalloc_append(uint32_t, &nums, &x) ;
          }
          ok = ok && stralloc_cats(&sa, " ALL ") && imap_seqset_fmt(&sa, genalloc_s(uint32_t, &nums), n) ;
          genalloc_free(uint32_t, &nums) ;
        }
        if (ok && modseq) ok = stralloc_cats(&sa, " MODSEQ ") && cat_number(&sa, modseq) ;
        if (!ok || !stralloc_0(&sa)) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
        if (!imap_untagged(s, sa.s)) { ret = 0 ; goto end ; }
      }
    }
    else
    {
      int ok = stralloc_cats(&sa, "SEARCH") ;
      for (size_t k = 0 ; ok && k < n ; k++) ok = stralloc_catb(&sa, " ", 1) && cat_number(&sa, number_of(s, v[k], uid)) ;
      if (ok && modseq) ok = stralloc_cats(&sa, " (MODSEQ ") && cat_number(&sa, modseq) && stralloc_catb(&sa, ")", 1) ;
      if (!ok || !stralloc_0(&sa)) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
      if (!imap_untagged(s, sa.s)) { ret = 0 ; goto end ; }
    }
  }
  /* RFC 9051 §7.4.1: no EXPUNGE during SEARCH by sequence number */
  if (!imap_session_notify_fast(s, uid)) { ret = 0 ; goto end ; }
  ret = imap_tagged(s, tag, "OK Search completed") ;
 end:
  imap_search_free(&srch) ;
  genalloc_free(size_t, &idx) ;
  stralloc_free(&sa) ;
  return ret ;
}

int imap_cmd_sort (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  imap_search srch = IMAP_SEARCH_ZERO ;
  genalloc idx = GENALLOC_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  uint8_t keys[IMAP_SORT_MAX] ;
  unsigned int nkeys = 0 ;
  int ret = 1 ;

  if (s->state != IMAP_STATE_SELECTED) { ret = imap_tagged(s, tag, "BAD No mailbox selected") ; goto end ; }
  if (!imap_sp(c) || !imap_sort_criteria(c, keys, &nkeys) || !imap_sp(c) || !imap_search_parse(c, &srch, 1) || !at_end(c))
  {
    ret = parse_error(s, tag, c) ;
    goto end ;
  }
  if (srch.uses_modseq && !imap_cmd_condstore(s)) { ret = 0 ; goto end ; }
  if (!run(s, &srch, &idx) || !imap_sort(&s->box, genalloc_s(size_t, &idx), genalloc_len(size_t, &idx), keys, nkeys))
  {
    ret = fail(s, tag) ;
    goto end ;
  }
  {
    size_t const *v = genalloc_s(size_t, &idx) ;
    size_t n = genalloc_len(size_t, &idx) ;
    uint64_t modseq = 0 ;
    int ok = stralloc_cats(&sa, "SORT") ;
    for (size_t k = 0 ; ok && k < n ; k++)
    {
      ok = stralloc_catb(&sa, " ", 1) && cat_number(&sa, number_of(s, v[k], uid)) ;
      if (mbox_at(&s->box, v[k])->modseq > modseq) modseq = mbox_at(&s->box, v[k])->modseq ;
    }
    if (ok && srch.uses_modseq && n) ok = stralloc_cats(&sa, " (MODSEQ ") && cat_number(&sa, modseq) && stralloc_catb(&sa, ")", 1) ;
    if (!ok || !stralloc_0(&sa)) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
    if (!imap_untagged(s, sa.s)) { ret = 0 ; goto end ; }
  }
  if (!imap_session_notify_fast(s, uid)) { ret = 0 ; goto end ; }
  ret = imap_tagged(s, tag, "OK Sort completed") ;
 end:
  imap_search_free(&srch) ;
  genalloc_free(size_t, &idx) ;
  stralloc_free(&sa) ;
  return ret ;
}

int imap_cmd_thread (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  imap_search srch = IMAP_SEARCH_ZERO ;
  genalloc idx = GENALLOC_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  int alg = 0 ;
  int ret = 1 ;

  if (s->state != IMAP_STATE_SELECTED) { ret = imap_tagged(s, tag, "BAD No mailbox selected") ; goto end ; }
  if (!imap_sp(c) || !imap_thread_algorithm(c, &alg) || !imap_sp(c) || !imap_search_parse(c, &srch, 1) || !at_end(c))
  {
    ret = parse_error(s, tag, c) ;
    goto end ;
  }
  if (srch.uses_modseq && !imap_cmd_condstore(s)) { ret = 0 ; goto end ; }
  if (!stralloc_cats(&sa, "THREAD ")) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
  if (!run(s, &srch, &idx) || !imap_thread(&sa, &s->box, genalloc_s(size_t, &idx), genalloc_len(size_t, &idx), alg, uid))
  {
    ret = fail(s, tag) ;
    goto end ;
  }
  /* "* THREAD" alone when nothing matched (RFC 5256 §4 thread-data) */
  if (sa.len == 7) sa.len = 6 ;
  if (!stralloc_0(&sa)) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
  if (!imap_untagged(s, sa.s)) { ret = 0 ; goto end ; }
  if (!imap_session_notify_fast(s, uid)) { ret = 0 ; goto end ; }
  ret = imap_tagged(s, tag, "OK Thread completed") ;
 end:
  imap_search_free(&srch) ;
  genalloc_free(size_t, &idx) ;
  stralloc_free(&sa) ;
  return ret ;
}
