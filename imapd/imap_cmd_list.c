/* ISC license. */

/* LIST (RFC 9051 §6.3.9) with LIST-EXTENDED (RFC 5258: SUBSCRIBED,
 * REMOTE, RECURSIVEMATCH, SPECIAL-USE selection; CHILDREN, SUBSCRIBED,
 * SPECIAL-USE, STATUS return options), LIST-STATUS (RFC 5819),
 * SPECIAL-USE attributes (RFC 6154) and CHILDREN (RFC 3348); LSUB
 * (RFC 3501 §6.3.9, kept for IMAP4rev1 clients).
 *
 * Patterns are matched against names in the client's form (UTF-8 after
 * ENABLE UTF8=ACCEPT, modified UTF-7 otherwise); "INBOX" matches in any
 * case. \HasChildren / \HasNoChildren and special-use attributes are
 * always sent: RFC 5258 §4 and RFC 6154 §2 allow it and clients use them. */

#include <string.h>
#include <strings.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

static struct { unsigned int bit ; char const *name ; } const uses[] =
{
  { MBOX_USE_ALL, "\\All" },
  { MBOX_USE_ARCHIVE, "\\Archive" },
  { MBOX_USE_DRAFTS, "\\Drafts" },
  { MBOX_USE_FLAGGED, "\\Flagged" },
  { MBOX_USE_JUNK, "\\Junk" },
  { MBOX_USE_SENT, "\\Sent" },
  { MBOX_USE_TRASH, "\\Trash" },
} ;

typedef struct lister_s lister ;
struct lister_s
{
  genalloc folders ;   /* mbox_folder */
  stralloc names ;     /* on-disk names */
  stralloc client ;    /* client forms, NUL-terminated, one per folder, at offsets in coff */
  genalloc coff ;      /* size_t */
} ;

static void lister_free (lister *L)
{
  genalloc_free(mbox_folder, &L->folders) ;
  stralloc_free(&L->names) ;
  stralloc_free(&L->client) ;
  genalloc_free(size_t, &L->coff) ;
}

/* Every folder, with its client-form name (unquoted) for matching. */
static int lister_load (imap_session const *s, lister *L)
{
  size_t n ;
  if (!mbox_folders(s->login->maildir, &L->folders, &L->names)) return 0 ;
  n = genalloc_len(mbox_folder, &L->folders) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char const *disk = L->names.s + genalloc_s(mbox_folder, &L->folders)[i].name ;
    size_t off = L->client.len ;
    int done = 0 ;
    if (s->enabled & IMAP_ENABLED_UTF8)
    {
      size_t before = L->client.len ;
      if (mutf7_to_utf8(&L->client, disk, strlen(disk))) done = 1 ;
      else L->client.len = before ;
    }
    if (!done && !stralloc_cats(&L->client, disk)) return 0 ;
    if (!stralloc_0(&L->client) || !genalloc_append(size_t, &L->coff, &off)) return 0 ;
  }
  return 1 ;
}

static int match (char const *pattern, char const *name)
{
  /* INBOX is case-insensitive (RFC 9051 §5.1): compare with the pattern's
   * leading "inbox" upper-cased */
  if (!strcmp(name, "INBOX") || !strncmp(name, "INBOX.", 6))
  {
    if (!strncasecmp(pattern, "INBOX", 5) && strncmp(pattern, "INBOX", 5))
    {
      char tmp[1024] ;
      size_t len = strlen(pattern) ;
      if (len < sizeof tmp)
      {
        memcpy(tmp, "INBOX", 5) ;
        memcpy(tmp + 5, pattern + 5, len - 4) ;
        return imap_list_match(tmp, name, '.') ;
      }
    }
  }
  return imap_list_match(pattern, name, '.') ;
}

static int cat_attrs (stralloc *sa, unsigned int attrs, int show_subscribed, int rev2)
{
  int first = 1 ;
#define ADD(word) do { if ((!first && !stralloc_catb(sa, " ", 1)) || !stralloc_cats(sa, (word))) return 0 ; first = 0 ; } while (0)
  if (!stralloc_catb(sa, "(", 1)) return 0 ;
  if (attrs & MBOX_FOLDER_NONEXISTENT)
  {
    ADD("\\NonExistent") ;
    if (!rev2) ADD("\\Noselect") ;
  }
  else if (attrs & MBOX_FOLDER_NOSELECT) ADD("\\Noselect") ;
  if (attrs & MBOX_FOLDER_HASCHILDREN) ADD("\\HasChildren") ;
  else if (attrs & MBOX_FOLDER_HASNOCHILDREN) ADD("\\HasNoChildren") ;
  if (show_subscribed && attrs & MBOX_FOLDER_SUBSCRIBED) ADD("\\Subscribed") ;
  for (size_t i = 0 ; i < sizeof(uses) / sizeof(*uses) ; i++)
    if (attrs & uses[i].bit) ADD(uses[i].name) ;
#undef ADD
  return stralloc_catb(sa, ")", 1) ;
}

/* Is some subscribed folder below folder i? (RECURSIVEMATCH) */
static int has_subscribed_child (lister const *L, size_t i)
{
  char const *name = L->names.s + genalloc_s(mbox_folder, &L->folders)[i].name ;
  size_t len = strlen(name), n = genalloc_len(mbox_folder, &L->folders) ;
  for (size_t j = 0 ; j < n ; j++)
  {
    mbox_folder const *f = genalloc_s(mbox_folder, &L->folders) + j ;
    char const *other = L->names.s + f->name ;
    if (f->attrs & MBOX_FOLDER_SUBSCRIBED && !strncmp(other, name, len) && other[len] == '.') return 1 ;
  }
  return 0 ;
}

static int list_one (imap_session *s, char const *verb, lister const *L, size_t i, unsigned int attrs, int show_subscribed, int childinfo, imap_list const *l)
{
  stralloc *sa = &s->out ;
  char const *disk = L->names.s + genalloc_s(mbox_folder, &L->folders)[i].name ;
  sa->len = 0 ;
  if (!stralloc_cats(sa, "* ") || !stralloc_cats(sa, verb) || !stralloc_catb(sa, " ", 1)
   || !cat_attrs(sa, attrs, show_subscribed, imap_sess_rev2(s))
   || !stralloc_cats(sa, " \".\" ") || !imap_name_out(s, disk, sa)) return 0 ;
  if (childinfo && !stralloc_cats(sa, " (\"CHILDINFO\" (\"SUBSCRIBED\"))")) return 0 ;
  if (!stralloc_cats(sa, "\r\n")) return 0 ;
  if (l && l->return_opts & IMAP_LIST_RET_STATUS && !(attrs & (MBOX_FOLDER_NOSELECT | MBOX_FOLDER_NONEXISTENT)))
  {
    /* RFC 5819 §2: STATUS right after the mailbox's LIST; a mailbox
     * that cannot be opened just goes without */
    size_t mark = sa->len ;
    if (!stralloc_cats(sa, "* STATUS ") || !imap_name_out(s, disk, sa) || !stralloc_catb(sa, " ", 1)) return 0 ;
    if (imap_status_fmt(s, disk, l->status_items, sa)) { if (!stralloc_cats(sa, "\r\n")) return 0 ; }
    else sa->len = mark ;
  }
  return imap_out(s, sa->s, sa->len) ;
}

int imap_cmd_list (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  imap_list l = IMAP_LIST_ZERO ;
  lister L = { .folders = GENALLOC_ZERO, .names = STRALLOC_ZERO, .client = STRALLOC_ZERO, .coff = GENALLOC_ZERO } ;
  stralloc full = STRALLOC_ZERO ;
  int ret ;
  (void)uid ;
  if (!imap_sp(c) || !imap_list_parse(c, &l) || !imap_end(c)) { ret = imap_bad(s, tag, c) ; goto end ; }
  if (l.return_opts & IMAP_LIST_RET_STATUS && l.status_items & IMAP_STATUS_RECENT && imap_sess_rev2(s))
    l.status_items &= ~IMAP_STATUS_RECENT ;
  if (!l.extended && l.npatterns == 1 && !l.patterns.s[0])
  {
    /* RFC 9051 §6.3.9: the hierarchy delimiter and the root */
    ret = imap_untagged(s, "LIST (\\Noselect) \".\" \"\"") && imap_done(s, tag, "OK LIST completed") ;
    goto end ;
  }
  if (!lister_load(s, &L)) { ret = imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot read the folder list") ; goto end ; }
  {
    size_t n = genalloc_len(mbox_folder, &L.folders) ;
    unsigned int sel = l.select_opts ;
    int show_sub = !!((sel & IMAP_LIST_SEL_SUBSCRIBED) || (l.return_opts & IMAP_LIST_RET_SUBSCRIBED)) ;
    for (size_t i = 0 ; i < n ; i++)
    {
      unsigned int attrs = genalloc_s(mbox_folder, &L.folders)[i].attrs ;
      char const *name = L.client.s + genalloc_s(size_t, &L.coff)[i] ;
      char const *p = l.patterns.s ;
      int matched = 0, childinfo = 0 ;
      for (unsigned int k = 0 ; k < l.npatterns ; k++, p += strlen(p) + 1)
      {
        full.len = 0 ;
        if (!stralloc_cats(&full, l.reference.s) || !stralloc_cats(&full, p) || !stralloc_0(&full)) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
        if (match(full.s, name)) { matched = 1 ; break ; }
      }
      if (!matched) continue ;
      if (attrs & MBOX_FOLDER_NONEXISTENT && !(sel & IMAP_LIST_SEL_SUBSCRIBED) && !(attrs & MBOX_FOLDER_HASCHILDREN)) continue ;
      if (sel & IMAP_LIST_SEL_SPECIALUSE && !(attrs & 0xff00)) continue ;
      if (sel & IMAP_LIST_SEL_SUBSCRIBED && !(attrs & MBOX_FOLDER_SUBSCRIBED))
      {
        if (!(sel & IMAP_LIST_SEL_RECURSIVEMATCH) || !has_subscribed_child(&L, i)) continue ;
        childinfo = 1 ;
      }
      if (!list_one(s, "LIST", &L, i, attrs, show_sub, childinfo, &l)) { ret = 0 ; goto end ; }
    }
  }
  ret = imap_done(s, tag, "OK LIST completed") ;
 end:
  lister_free(&L) ;
  stralloc_free(&full) ;
  stralloc_free(&l.reference) ;
  stralloc_free(&l.patterns) ;
  return ret ;
}

/* LSUB: the subscribed folders matching; with '%', a parent of a
 * subscribed folder that is not subscribed itself is listed \Noselect
 * (RFC 3501 §6.3.9). */
int imap_cmd_lsub (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  stralloc ref = STRALLOC_ZERO, pat = STRALLOC_ZERO, full = STRALLOC_ZERO ;
  lister L = { .folders = GENALLOC_ZERO, .names = STRALLOC_ZERO, .client = STRALLOC_ZERO, .coff = GENALLOC_ZERO } ;
  int ret ;
  (void)uid ;
  if (!imap_sp(c) || !imap_mailbox(c, &ref) || !imap_sp(c) || !imap_list_mailbox(c, &pat) || !imap_end(c)) { ret = imap_bad(s, tag, c) ; goto end ; }
  if (!stralloc_cats(&full, ref.s) || !stralloc_cats(&full, pat.s) || !stralloc_0(&full)) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
  if (!lister_load(s, &L)) { ret = imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot read the folder list") ; goto end ; }
  {
    size_t n = genalloc_len(mbox_folder, &L.folders) ;
    for (size_t i = 0 ; i < n ; i++)
    {
      unsigned int attrs = genalloc_s(mbox_folder, &L.folders)[i].attrs ;
      char const *name = L.client.s + genalloc_s(size_t, &L.coff)[i] ;
      if (!match(full.s, name)) continue ;
      if (attrs & MBOX_FOLDER_SUBSCRIBED)
      {
        unsigned int shown = attrs & (MBOX_FOLDER_NOSELECT | MBOX_FOLDER_HASCHILDREN | MBOX_FOLDER_HASNOCHILDREN) ;
        if (attrs & MBOX_FOLDER_NONEXISTENT) shown |= MBOX_FOLDER_NOSELECT ;
        if (!list_one(s, "LSUB", &L, i, shown, 0, 0, 0)) { ret = 0 ; goto end ; }
      }
      else if (strchr(full.s, '%') && has_subscribed_child(&L, i))
      {
        if (!list_one(s, "LSUB", &L, i, MBOX_FOLDER_NOSELECT, 0, 0, 0)) { ret = 0 ; goto end ; }
      }
    }
  }
  ret = imap_done(s, tag, "OK LSUB completed") ;
 end:
  lister_free(&L) ;
  stralloc_free(&ref) ;
  stralloc_free(&pat) ;
  stralloc_free(&full) ;
  return ret ;
}
