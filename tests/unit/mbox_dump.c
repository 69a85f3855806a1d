/* ISC license. */

 /* A window on common/mbox.h for tests/integration/test_mailstore_dovecot.py:
      mbox_dump ROOT FOLDER                 "uidvalidity N", "uidnext N", then
                                            "<uid> <flag or keyword> ..." per message
      mbox_dump ROOT FOLDER store UID F...  sets exactly these flags/keywords
      mbox_dump ROOT FOLDER append FILE F...  prints "appended <uidvalidity> <uid>"
      mbox_dump ROOT FOLDER expunge         removes the \Deleted messages
      mbox_dump ROOT - folders              "<name> <attrs>" per folder
      mbox_dump ROOT FOLDER create | delete | subscribe | unsubscribe
      mbox_dump ROOT FOLDER watch           one handle driven by stdin lines:
                                            "sync" prints the changes, then the dump;
                                            "vanished <modseq>" the UIDs expunged since
    Without arguments (as tests/run starts every unit test) it checks
    itself on a temporary Maildir and prints PASS/FAIL lines. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox.h"
#include "tests/unit/check.h"

static struct { char const *name ; uint32_t bit ; } const sysflags[] =
{
  { "\\Seen", MBOX_SEEN }, { "\\Answered", MBOX_ANSWERED }, { "\\Flagged", MBOX_FLAGGED },
  { "\\Deleted", MBOX_DELETED }, { "\\Draft", MBOX_DRAFT }, { 0, 0 }
} ;

static void dump (mbox *m, FILE *out)
{
  fprintf(out, "uidvalidity %u\nuidnext %u\n", m->uidvalidity, m->uidnext) ;
  for (size_t i = 0 ; i < mbox_count(m) ; i++)
  {
    mbox_msg const *x = mbox_at(m, i) ;
    char const *kw = m->keywords.s ;
    fprintf(out, "%u", x->uid) ;
    for (int k = 0 ; sysflags[k].name ; k++) if (x->flags & sysflags[k].bit) fprintf(out, " %s", sysflags[k].name) ;
    for (unsigned int k = 0 ; k < m->nkeywords ; k++)
    {
      if ((x->keywords & (1u << k)) && *kw) fprintf(out, " %s", kw) ;
      kw += strlen(kw) + 1 ;
    }
    fprintf(out, "\n") ;
  }
}

 /* flags and keywords from argv; keywords created in m */
static int parse_flags (mbox *m, char **argv, int argc, uint32_t *flags, uint32_t *kw, stralloc *names, unsigned int *nnames)
{
  *flags = 0 ; *kw = 0 ; *nnames = 0 ;
  for (int i = 0 ; i < argc ; i++)
  {
    int k, found = 0 ;
    for (k = 0 ; sysflags[k].name ; k++)
      if (!strcasecmp(argv[i], sysflags[k].name)) { *flags |= sysflags[k].bit ; found = 1 ; }
    if (found) continue ;
    if (names)
    {
      if (!stralloc_cats(names, argv[i]) || !stralloc_0(names)) return 0 ;
      (*nnames)++ ;
      continue ;
    }
    k = mbox_keyword(m, argv[i], 1) ;
    if (k < 0) return 0 ;
    *kw |= 1u << k ;
  }
  return 1 ;
}

static int selfcheck (void)
{
  char tmpl[] = "/tmp/mbox-dump.XXXXXX" ;
  char root[64], buf[512] ;
  mbox m = MBOX_ZERO ;
  uint32_t uv, uid ;
  FILE *f ;
  if (!mkdtemp(tmpl)) return 111 ;
  snprintf(root, sizeof(root), "%s/md", tmpl) ;
  CHECK(mbox_setup_defaults(root), "mbox_dump: a Maildir") ;
  CHECK(mbox_append(root, "INBOX", "x\n", 2, MBOX_SEEN, "foo", 1, -1, &uv, &uid) && uid == 1, "mbox_dump: append") ;
  CHECK(mbox_open(&m, root, "INBOX", 0), "mbox_dump: open") ;
  f = fmemopen(buf, sizeof(buf), "w") ;
  if (f)
  {
    char want[128] ;
    dump(&m, f) ;
    fclose(f) ;
    snprintf(want, sizeof(want), "uidvalidity %u\nuidnext 2\n1 \\Seen foo\n", uv) ;
    CHECK(!strcmp(buf, want), "mbox_dump: output") ;
  }
  mbox_close(&m) ;
  snprintf(buf, sizeof(buf), "rm -rf %s", tmpl) ;
  if (system(buf)) return 111 ;
  return check_done() ;
}

int main (int argc, char **argv)
{
  mbox m = MBOX_ZERO ;
  char const *root, *folder, *cmd ;
  if (argc < 2) return selfcheck() ;
  if (argc < 3) { fprintf(stderr, "usage: mbox_dump ROOT FOLDER [command ...]\n") ; return 100 ; }
  root = argv[1] ; folder = argv[2] ; cmd = argc > 3 ? argv[3] : "dump" ;
  if (!strcmp(cmd, "folders"))
  {
    genalloc g = GENALLOC_ZERO ;
    stralloc names = STRALLOC_ZERO ;
    if (!mbox_folders(root, &g, &names)) { perror("mbox_folders") ; return 111 ; }
    for (size_t i = 0 ; i < genalloc_len(mbox_folder, &g) ; i++)
    {
      mbox_folder const *x = genalloc_s(mbox_folder, &g) + i ;
      printf("%s %s%s%s%s%s\n", names.s + x->name,
        x->attrs & MBOX_FOLDER_NOSELECT ? "\\Noselect " : "",
        x->attrs & MBOX_FOLDER_NONEXISTENT ? "\\NonExistent " : "",
        x->attrs & MBOX_FOLDER_SUBSCRIBED ? "\\Subscribed " : "",
        x->attrs & MBOX_FOLDER_HASCHILDREN ? "\\HasChildren" : "",
        x->attrs & MBOX_FOLDER_HASNOCHILDREN ? "\\HasNoChildren" : "") ;
    }
    genalloc_free(mbox_folder, &g) ;
    stralloc_free(&names) ;
    return 0 ;
  }
  if (!strcmp(cmd, "create")) return mbox_folder_create(root, folder, 0) ? 0 : (perror("create"), 111) ;
  if (!strcmp(cmd, "delete")) return mbox_folder_delete(root, folder) ? 0 : (perror("delete"), 111) ;
  if (!strcmp(cmd, "subscribe") || !strcmp(cmd, "unsubscribe"))
    return mbox_subscribe(root, folder, cmd[0] == 's') ? 0 : (perror("subscribe"), 111) ;
  if (!strcmp(cmd, "append"))
  {
    stralloc data = STRALLOC_ZERO, names = STRALLOC_ZERO ;
    uint32_t flags, kw, uv, uid ;
    unsigned int n ;
    char buf[8192] ;
    size_t r ;
    FILE *f = argc > 4 ? fopen(argv[4], "rb") : 0 ;
    if (!f) { perror("append: open") ; return 111 ; }
    while ((r = fread(buf, 1, sizeof(buf), f)) > 0) stralloc_catb(&data, buf, r) ;
    fclose(f) ;
    if (!parse_flags(0, argv + 5, argc - 5, &flags, &kw, &names, &n)) return 111 ;
    if (!mbox_append(root, folder, data.s, data.len, flags, names.s ? names.s : "", n, -1, &uv, &uid)) { perror("mbox_append") ; return 111 ; }
    printf("appended %u %u\n", uv, uid) ;
    stralloc_free(&data) ;
    stralloc_free(&names) ;
    return 0 ;
  }
  if (!mbox_open(&m, root, folder, 0)) { perror("mbox_open") ; return 111 ; }
  if (!strcmp(cmd, "store"))
  {
    uint32_t flags, kw, uid = argc > 4 ? (uint32_t)strtoul(argv[4], 0, 10) : 0 ;
    unsigned int n ;
    uint64_t modseq ;
    size_t i = 0 ;
    while (i < mbox_count(&m) && mbox_at(&m, i)->uid != uid) i++ ;
    if (i == mbox_count(&m)) { fprintf(stderr, "no UID %u\n", uid) ; return 111 ; }
    if (!parse_flags(&m, argv + 5, argc - 5, &flags, &kw, 0, &n)) { perror("keyword") ; return 111 ; }
    if (!mbox_store(&m, i, flags, kw, &modseq)) { perror("mbox_store") ; return 111 ; }
    printf("stored %u modseq %llu\n", uid, (unsigned long long)modseq) ;
  }
  else if (!strcmp(cmd, "expunge"))
  {
    mbox_changes ch = MBOX_CHANGES_ZERO ;
    if (!mbox_expunge(&m, 0, 0, 0, &ch)) { perror("mbox_expunge") ; return 111 ; }
    printf("expunged %zu\n", genalloc_len(uint32_t, &ch.expunged_uid)) ;
    mbox_changes_free(&ch) ;
  }
  else if (!strcmp(cmd, "watch"))
  {
     /* one open handle, driven by stdin: "sync" reports what changed
        since the last sync, "vanished <modseq>" what QRESYNC would say */
    mbox_changes ch = MBOX_CHANGES_ZERO ;
    genalloc v = GENALLOC_ZERO ;
    char line[256] ;
    printf("ready %llu\n", (unsigned long long)m.highestmodseq) ;
    fflush(stdout) ;
    while (fgets(line, sizeof(line), stdin))
    {
      if (!strncmp(line, "sync", 4))
      {
        if (!mbox_sync(&m, &ch)) { perror("mbox_sync") ; return 111 ; }
        printf("expunged") ;
        for (size_t i = 0 ; i < genalloc_len(uint32_t, &ch.expunged_uid) ; i++) printf(" %u", genalloc_s(uint32_t, &ch.expunged_uid)[i]) ;
        printf("\nchanged") ;
        for (size_t i = 0 ; i < genalloc_len(uint32_t, &ch.changed) ; i++)
        {
          mbox_msg const *x = mbox_at(&m, genalloc_s(uint32_t, &ch.changed)[i]) ;
          printf(" %u:%llu", x->uid, (unsigned long long)x->modseq) ;
        }
        printf("\nadded %zu\nhighestmodseq %llu\n", ch.added, (unsigned long long)m.highestmodseq) ;
        dump(&m, stdout) ;
        printf("end\n") ;
      }
      else if (!strncmp(line, "vanished ", 9))
      {
        int r = mbox_vanished_since(&m, strtoull(line + 9, 0, 10), &v) ;
        printf("vanished %d", r) ;
        for (size_t i = 0 ; r && i < genalloc_len(uint32_t, &v) ; i++) printf(" %u", genalloc_s(uint32_t, &v)[i]) ;
        printf("\nend\n") ;
      }
      fflush(stdout) ;
    }
    mbox_changes_free(&ch) ;
    genalloc_free(uint32_t, &v) ;
  }
  else if (!strcmp(cmd, "dump")) dump(&m, stdout) ;
  else { fprintf(stderr, "mbox_dump: unknown command %s\n", cmd) ; return 100 ; }
  mbox_close(&m) ;
  return 0 ;
}
