/* ISC license. */

/* mime_dump FILE...: for each file (a message with LF or CRLF line
 * ends), converts it to CRLF as imap-session does and prints what
 * posthaste would answer to FETCH:
 *   FILE name
 *   SIZE n                      (RFC822.SIZE)
 *   ENVELOPE n                  then n bytes of IMAP text and a newline
 *   BODY n                      (the text may hold literals, hence CRLFs)
 *   BODYSTRUCTURE n
 *   SECTION path MIME start len TEXT start len [HEADER start len]
 * (offsets into the CRLF text; HEADER for message/rfc822 parts).
 * tests/integration/test_mime_dovecot.py compares this with Dovecot.
 *
 * Without arguments (as `make unit` runs it) it checks itself over
 * tests/data/mime/: every message's output is well-formed IMAP (balanced
 * parentheses, exact literals), every part is reachable by its section
 * number and the offsets stay inside the message; one PASS/FAIL line per
 * message.
 *
 * The ENVELOPE/BODYSTRUCTURE code and imap_fmt_string are imapd objects,
 * not in libposthaste, which is all a unit test links: they are
 * compiled in here. */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>
#include "common/mime.h"
#include "imapd/imap_msg.h"
#include "tests/unit/check.h"

#include "imapd/imap_parse_chars.c"
#include "imapd/imap_fmt_string.c"
#include "imapd/imap_envelope.c"
#include "imapd/imap_bodystructure.c"

static int to_crlf (stralloc *out, char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    if (s[i] == '\n' && (!i || s[i-1] != '\r') && !stralloc_catb(out, "\r", 1)) return 0 ;
    if (!stralloc_catb(out, s + i, 1)) return 0 ;
  }
  return 1 ;
}

/* Checks that s is a sequence of IMAP values with balanced parentheses
 * and literals whose counts are right; returns 1 if so. */
static int well_formed (char const *s, size_t len)
{
  int depth = 0 ;
  size_t i = 0 ;
  while (i < len)
  {
    char c = s[i] ;
    if (c == '(') { depth++ ; i++ ; }
    else if (c == ')') { if (--depth < 0) return 0 ; i++ ; }
    else if (c == '"')
    {
      i++ ;
      while (i < len && s[i] != '"')
      {
        if (s[i] == '\r' || s[i] == '\n') return 0 ;
        i += s[i] == '\\' ? 2 : 1 ;
      }
      if (i >= len) return 0 ;
      i++ ;
    }
    else if (c == '{')
    {
      size_t n = 0 ;
      i++ ;
      while (i < len && s[i] >= '0' && s[i] <= '9') n = n * 10 + (s[i++] - '0') ;
      if (i + 3 > len || memcmp(s + i, "}\r\n", 3)) return 0 ;
      i += 3 + n ;
      if (i > len) return 0 ;
    }
    else if (c == '\r' || c == '\n' || !c) return 0 ;
    else i++ ;
  }
  return !depth ;
}

typedef struct walk_s walk ;
struct walk_s
{
  mime_tree const *t ;
  stralloc *out ;
  unsigned int bad ;
  unsigned int count ;
} ;

static void fmt_off (stralloc *out, char const *label, size_t a, size_t b)
{
  char buf[80] ;
  snprintf(buf, sizeof buf, " %s %zu %zu", label, a, b) ;
  stralloc_cats(out, buf) ;
}

/* Prints the sections under entity e (the top message or an
 * encapsulated one) whose path is prefix. */
static void sections (walk *w, uint32_t e, uint32_t *path, unsigned int n)
{
  mime_part const *ep = mime_at(w->t, e) ;
  uint32_t k = 0 ;
  if (n >= 64) return ;
  for (uint32_t c = ep->multipart ? ep->child : e ; c != MIME_NONE ; c = ep->multipart ? mime_at(w->t, c)->next : MIME_NONE)
  {
    mime_part const *p = mime_at(w->t, c) ;
    path[n] = ++k ;
    w->count++ ;
    if (mime_section(w->t, path, n + 1) != c) w->bad++ ;
    if (p->hstart + p->hlen > w->t->len || p->bstart + p->blen > w->t->len || p->hstart + p->hlen > p->bstart) w->bad++ ;
    stralloc_cats(w->out, "SECTION ") ;
    for (unsigned int i = 0 ; i <= n ; i++)
    {
      char buf[16] ;
      snprintf(buf, sizeof buf, i ? ".%u" : "%u", (unsigned int)path[i]) ;
      stralloc_cats(w->out, buf) ;
    }
    fmt_off(w->out, "MIME", p->hstart, p->hlen) ;
    fmt_off(w->out, "TEXT", p->bstart, p->blen) ;
    if (p->message && p->child != MIME_NONE)
    {
      mime_part const *m = mime_at(w->t, p->child) ;
      fmt_off(w->out, "HEADER", m->hstart, m->hlen) ;
    }
    stralloc_cats(w->out, "\n") ;
    if (p->message && p->child != MIME_NONE) sections(w, p->child, path, n + 1) ;
    else if (p->multipart && c != e) sections(w, c, path, n + 1) ;
    if (!ep->multipart) break ;
  }
}

/* Dumps one message into out; returns 1 if everything checked out. */
static int dump (stralloc *out, char const *name, char const *raw, size_t rawlen)
{
  stralloc text = STRALLOC_ZERO ;
  mime_tree t = MIME_TREE_ZERO ;
  uint32_t path[64] ;
  walk w = { .t = &t, .out = out, .bad = 0, .count = 0 } ;
  int ok = 1 ;
  char buf[64] ;
  if (!to_crlf(&text, raw, rawlen) || !mime_parse(&t, text.s ? text.s : "", text.len)) return 0 ;
  stralloc_cats(out, "FILE ") ; stralloc_cats(out, name) ;
  snprintf(buf, sizeof buf, "\nSIZE %zu\n", text.len) ;
  stralloc_cats(out, buf) ;
  for (unsigned int k = 0 ; k < 3 ; k++)
  {
    static char const *const label[3] = { "ENVELOPE", "BODY", "BODYSTRUCTURE" } ;
    stralloc item = STRALLOC_ZERO ;
    int r = k ? imap_bodystructure(&item, &t, 0, k == 2, 0) : imap_envelope(&item, &t, 0, 0) ;
    if (!r || !well_formed(item.s, item.len)) ok = 0 ;
    snprintf(buf, sizeof buf, "%s %zu\n", label[k], item.len) ;
    stralloc_cats(out, buf) ;
    stralloc_catb(out, item.s, item.len) ;
    stralloc_cats(out, "\n") ;
    stralloc_free(&item) ;
  }
  sections(&w, 0, path, 0) ;
  if (w.bad || genalloc_len(mime_part, &t.parts) > MIME_PARTS_MAX) ok = 0 ;
  mime_free(&t) ;
  stralloc_free(&text) ;
  return ok ;
}

static int cmp (void const *a, void const *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b) ;
}

int main (int argc, char const *const *argv)
{
  stralloc out = STRALLOC_ZERO ;
  if (argc > 1)
  {
    int rc = 0 ;
    for (int i = 1 ; i < argc ; i++)
    {
      stralloc raw = STRALLOC_ZERO ;
      if (!openslurpclose(&raw, argv[i])) { fprintf(stderr, "mime_dump: unable to read %s: %s\n", argv[i], strerror(errno)) ; return 111 ; }
      out.len = 0 ;
      if (!dump(&out, argv[i], raw.s ? raw.s : "", raw.len)) rc = 1 ;
      fwrite(out.s, 1, out.len, stdout) ;
      stralloc_free(&raw) ;
    }
    stralloc_free(&out) ;
    return rc ;
  }
  {
    char const *dir = "tests/data/mime" ;
    DIR *d = opendir(dir) ;
    char *names[1000] ;
    unsigned int n = 0 ;
    if (!d) { printf("FAIL mime_dump: unable to open %s: %s\n", dir, strerror(errno)) ; return 1 ; }
    for (struct dirent *e ; n < 1000 && (e = readdir(d)) ;)
    {
      size_t l = strlen(e->d_name) ;
      if (l > 4 && !strcmp(e->d_name + l - 4, ".eml")) names[n++] = strdup(e->d_name) ;
    }
    closedir(d) ;
    qsort(names, n, sizeof(char *), &cmp) ;
    CHECK(n >= 20, "mime_dump corpus present") ;
    for (unsigned int i = 0 ; i < n ; i++)
    {
      stralloc raw = STRALLOC_ZERO ;
      char path[512], label[600] ;
      snprintf(path, sizeof path, "%s/%s", dir, names[i]) ;
      snprintf(label, sizeof label, "mime_dump %s", names[i]) ;
      out.len = 0 ;
      CHECK(openslurpclose(&raw, path) && dump(&out, names[i], raw.s ? raw.s : "", raw.len), label) ;
      stralloc_free(&raw) ;
      free(names[i]) ;
    }
  }
  stralloc_free(&out) ;
  return check_done() ;
}
