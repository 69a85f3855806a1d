/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "common/mime.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"
#include "imapd/imap_fetch-internal.h"

/* THREAD (RFC 5256 §3): ORDEREDSUBJECT and REFERENCES (the algorithm of
 * §2: id table, parent/child links, dummy pruning, subject merging,
 * sorting by sent date, ties by sequence number).
 *
 * Threads are trees built from message content: a References chain can
 * be as deep as there are messages, so nothing here recurses; trees are
 * walked with explicit stacks, and every walk up the parents is bounded
 * by the number of containers (the links never form a loop: each link
 * is checked before it is made). */

#define NONE UINT32_MAX

typedef struct cont_s cont ;
struct cont_s
{
  uint32_t parent, child, last, next ;
  uint32_t msg ;            /* position in the input, or NONE: a dummy */
} ;

typedef struct tmsg_s tmsg ;
struct tmsg_s
{
  int64_t date ;
  size_t seqkey ;           /* message index: ties */
  size_t subj, subjlen ;    /* folded base subject, in text */
  size_t id ;               /* offset in ids of the Message-ID, or NONE-ish when idlen 0 */
  size_t idlen ;
  size_t refs ;             /* offset in ids: nrefs NUL-terminated ids */
  unsigned int nrefs ;
  unsigned int reply : 1 ;
} ;

typedef struct tctx_s tctx ;
struct tctx_s
{
  genalloc conts ;          /* cont */
  tmsg *msgs ;
  size_t n ;
  stralloc text ;
  stralloc ids ;
} ;

#define C(x, i) (genalloc_s(cont, &(x)->conts) + (i))
#define NCONT(x) genalloc_len(cont, &(x)->conts)

static uint32_t new_cont (tctx *x, uint32_t msg)
{
  cont c = { .parent = NONE, .child = NONE, .last = NONE, .next = NONE, .msg = msg } ;
  if (!genalloc_append(cont, &x->conts, &c)) return NONE ;
  return (uint32_t)(NCONT(x) - 1) ;
}

static void add_child (tctx *x, uint32_t parent, uint32_t child)
{
  cont *p = C(x, parent) ;
  C(x, child)->parent = parent ;
  C(x, child)->next = NONE ;
  if (p->last == NONE) p->child = child ; else C(x, p->last)->next = child ;
  p->last = child ;
}

static void unlink_child (tctx *x, uint32_t child)
{
  uint32_t parent = C(x, child)->parent ;
  cont *p ;
  uint32_t prev = NONE ;
  if (parent == NONE) return ;
  p = C(x, parent) ;
  for (uint32_t k = p->child ; k != NONE ; prev = k, k = C(x, k)->next)
    if (k == child)
    {
      if (prev == NONE) p->child = C(x, k)->next ; else C(x, prev)->next = C(x, k)->next ;
      if (p->last == child) p->last = prev ;
      break ;
    }
  C(x, child)->parent = NONE ;
  C(x, child)->next = NONE ;
}

/* is a the same as b or one of b's descendants? (walks up from a) */
static int within (tctx *x, uint32_t a, uint32_t b)
{
  size_t guard = NCONT(x) + 1 ;
  for (; a != NONE && guard ; a = C(x, a)->parent, guard--) if (a == b) return 1 ;
  return 0 ;
}

/* the message a node stands for when sorting: a dummy uses its first child */
static uint32_t rep (tctx *x, uint32_t c)
{
  size_t guard = NCONT(x) + 1 ;
  while (c != NONE && C(x, c)->msg == NONE && guard--) c = C(x, c)->child ;
  return c == NONE ? NONE : C(x, c)->msg ;
}

static int date_cmp (void const *a, void const *b, void *arg)
{
  tctx *x = arg ;
  uint32_t ma = rep(x, *(uint32_t const *)a), mb = rep(x, *(uint32_t const *)b) ;
  tmsg const *p, *q ;
  if (ma == NONE || mb == NONE) return (ma == NONE) - (mb == NONE) ;
  p = x->msgs + ma ; q = x->msgs + mb ;
  if (p->date != q->date) return p->date < q->date ? -1 : 1 ;
  return p->seqkey < q->seqkey ? -1 : p->seqkey > q->seqkey ;
}

/* Sorts the children of parent by sent date (RFC 5256 §2.2). */
static int sort_children (tctx *x, uint32_t parent, genalloc *scratch)
{
  uint32_t *v ;
  size_t k = 0 ;
  genalloc_setlen(uint32_t, scratch, 0) ;
  for (uint32_t c = C(x, parent)->child ; c != NONE ; c = C(x, c)->next)
    if (!genalloc_append(uint32_t, scratch, &c)) return 0 ;
  if (genalloc_len(uint32_t, scratch) < 2) return 1 ;
  v = genalloc_s(uint32_t, scratch) ;
  qsort_r(v, genalloc_len(uint32_t, scratch), sizeof(uint32_t), &date_cmp, x) ;
  C(x, parent)->child = NONE ;
  C(x, parent)->last = NONE ;
  for (k = 0 ; k < genalloc_len(uint32_t, scratch) ; k++) add_child(x, parent, v[k]) ;
  return 1 ;
}

/* ---- output: "(a b (c)(d e))" without recursion ---- */

static int number (stralloc *sa, uint32_t n)
{
  char fmt[UINT32_FMT] ;
  return stralloc_catb(sa, fmt, uint32_fmt(fmt, n)) ;
}

static int output (tctx *x, uint32_t root, stralloc *sa, uint32_t const *numbers)
{
  genalloc stack = GENALLOC_ZERO ;   /* uint32_t: the next child to open at each branching */
  int r = 0 ;
  for (uint32_t top = C(x, root)->child ; top != NONE ; top = C(x, top)->next)
  {
    uint32_t c = top ;
    int chain = 1 ;
    if (!stralloc_catb(sa, "(", 1)) goto end ;
    for (;;)
    {
      if (chain)
      {
        int printed = 0 ;
        size_t guard = NCONT(x) + 1 ;
        for (; guard ; guard--)
        {
          uint32_t first = C(x, c)->child ;
          if (C(x, c)->msg != NONE)
          {
            if (printed && !stralloc_catb(sa, " ", 1)) goto end ;
            if (!number(sa, numbers[C(x, c)->msg])) goto end ;
            printed = 1 ;
          }
          if (first == NONE) { if (!stralloc_catb(sa, ")", 1)) goto end ; break ; }
          if (C(x, first)->next == NONE) { c = first ; continue ; }
          if (printed && !stralloc_catb(sa, " ", 1)) goto end ;
          if (!genalloc_append(uint32_t, &stack, &first)) goto end ;
          break ;
        }
        chain = 0 ;
      }
      else
      {
        size_t depth = genalloc_len(uint32_t, &stack) ;
        uint32_t *next ;
        if (!depth) break ;
        next = genalloc_s(uint32_t, &stack) + depth - 1 ;
        if (*next != NONE)
        {
          c = *next ;
          *next = C(x, c)->next ;
          if (!stralloc_catb(sa, "(", 1)) goto end ;
          chain = 1 ;
        }
        else
        {
          genalloc_setlen(uint32_t, &stack, depth - 1) ;
          if (!stralloc_catb(sa, ")", 1)) goto end ;
        }
      }
    }
  }
  r = 1 ;
 end:
  genalloc_free(uint32_t, &stack) ;
  return r ;
}

/* ---- reading the messages ---- */

static int read_msgs (tctx *x, mbox *box, size_t const *idx, int refs)
{
  stralloc h = STRALLOC_ZERO, tmp = STRALLOC_ZERO ;
  int r = 0 ;
  for (size_t p = 0 ; p < x->n ; p++)
  {
    tmsg *t = x->msgs + p ;
    mbox_msg const *m = mbox_at(box, idx[p]) ;
    char const *v ;
    size_t vlen ;
    int haveh = 0 ;
    t->seqkey = idx[p] ;
    t->date = m->internaldate ;
    t->subj = x->text.len ; t->subjlen = 0 ;
    t->idlen = 0 ; t->nrefs = 0 ; t->refs = 0 ; t->reply = 0 ;
    if (imap_msg_read_header(box, idx[p], &h)) haveh = 1 ;
    else if (errno != ENOENT) goto end ;   /* expunged meanwhile: no header */
    if (!haveh) continue ;
    t->date = imap_msg_sent_date(h.s, h.len, m->internaldate) ;
    if (mime_header_get(h.s, h.len, "Subject", 0, &v, &vlen))
    {
      int reply = 0 ;
      tmp.len = 0 ;
      if (!mime_base_subject(&tmp, v, vlen, &reply)) goto end ;
      t->reply = !!reply ;
      if (!mime_fold(&x->text, tmp.s ? tmp.s : "", tmp.len)) goto end ;
      t->subjlen = x->text.len - t->subj ;
    }
    if (!refs) continue ;
    if (mime_header_get(h.s, h.len, "Message-ID", 0, &v, &vlen))
    {
      size_t before = x->ids.len ;
      if (mime_msgids(&x->ids, v, vlen))
      {
        t->id = before ;
        t->idlen = strlen(x->ids.s + before) ;
        x->ids.len = before + t->idlen + 1 ;   /* the first one only */
      }
    }
    t->refs = x->ids.len ;
    if (mime_header_get(h.s, h.len, "References", 0, &v, &vlen))
      t->nrefs = mime_msgids(&x->ids, v, vlen) ;
    if (!t->nrefs && mime_header_get(h.s, h.len, "In-Reply-To", 0, &v, &vlen))
    {
      /* RFC 5256 §2.1 (REFERENCES 1): the first message-id of In-Reply-To */
      size_t before = x->ids.len ;
      if (mime_msgids(&x->ids, v, vlen))
      {
        x->ids.len = before + strlen(x->ids.s + before) + 1 ;
        t->nrefs = 1 ;
      }
    }
  }
  r = 1 ;
 end:
  {
    int e = errno ;
    stralloc_free(&h) ;
    stralloc_free(&tmp) ;
    errno = e ;
  }
  return r ;
}

static int subj_cmp (tctx const *x, uint32_t a, uint32_t b)
{
  tmsg const *p = x->msgs + a, *q = x->msgs + b ;
  size_t l = p->subjlen < q->subjlen ? p->subjlen : q->subjlen ;
  int d = l ? memcmp(x->text.s + p->subj, x->text.s + q->subj, l) : 0 ;
  if (d) return d ;
  return p->subjlen < q->subjlen ? -1 : p->subjlen > q->subjlen ;
}

/* ---- ORDEREDSUBJECT ---- */

static int os_cmp (void const *a, void const *b, void *arg)
{
  tctx *x = arg ;
  uint32_t i = *(uint32_t const *)a, j = *(uint32_t const *)b ;
  int d = subj_cmp(x, i, j) ;
  if (d) return d ;
  if (x->msgs[i].date != x->msgs[j].date) return x->msgs[i].date < x->msgs[j].date ? -1 : 1 ;
  return x->msgs[i].seqkey < x->msgs[j].seqkey ? -1 : x->msgs[i].seqkey > x->msgs[j].seqkey ;
}

static int orderedsubject (tctx *x, uint32_t root)
{
  uint32_t *v = malloc(x->n * sizeof(uint32_t)) ;
  if (!v) return 0 ;
  for (uint32_t p = 0 ; p < x->n ; p++) v[p] = p ;
  qsort_r(v, x->n, sizeof(uint32_t), &os_cmp, x) ;
  /* messages are containers 0..n-1; the first of each subject is the root of its thread, the others its children in date order */
  for (size_t k = 0 ; k < x->n ; )
  {
    size_t e = k + 1 ;
    add_child(x, root, v[k]) ;
    while (e < x->n && !subj_cmp(x, v[k], v[e])) add_child(x, v[k], v[e++]) ;
    k = e ;
  }
  free(v) ;
  return 1 ;
}

/* ---- REFERENCES ---- */

static int id_cmp (void const *a, void const *b, void *arg)
{
  char const *ids = arg ;
  return strcmp(ids + *(size_t const *)a, ids + *(size_t const *)b) ;
}

static uint32_t id_find (size_t const *table, size_t n, char const *ids, char const *id)
{
  size_t lo = 0, hi = n ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    int d = strcmp(ids + table[mid], id) ;
    if (!d) return (uint32_t)mid ;
    if (d < 0) lo = mid + 1 ; else hi = mid ;
  }
  return NONE ;
}

typedef struct subjent_s subjent ;
struct subjent_s { uint32_t pos ; uint32_t m ; } ;   /* root position, message for the subject */

static int subjent_cmp (void const *a, void const *b, void *arg)
{
  tctx *x = arg ;
  subjent const *p = a, *q = b ;
  int d = subj_cmp(x, p->m, q->m) ;
  if (d) return d ;
  return p->pos < q->pos ? -1 : p->pos > q->pos ;
}

static int references (tctx *x, uint32_t *rootp)
{
  size_t *table = 0 ;
  size_t nt = 0, total = 0 ;
  uint32_t root ;
  genalloc scratch = GENALLOC_ZERO ;
  genalloc work = GENALLOC_ZERO ;
  subjent *se = 0 ;
  uint32_t *rootarr = 0 ;
  int r = 0 ;

  /* 1. the id table: every id once, sorted; container i is id i */
  for (size_t p = 0 ; p < x->n ; p++) total += (x->msgs[p].idlen ? 1 : 0) + x->msgs[p].nrefs ;
  table = malloc((total ? total : 1) * sizeof(size_t)) ;
  if (!table) goto end ;
  for (size_t p = 0 ; p < x->n ; p++)
  {
    tmsg const *t = x->msgs + p ;
    size_t o = t->refs ;
    if (t->idlen) table[nt++] = t->id ;
    for (unsigned int k = 0 ; k < t->nrefs ; k++, o += strlen(x->ids.s + o) + 1) table[nt++] = o ;
  }
  if (nt) qsort_r(table, nt, sizeof(size_t), &id_cmp, x->ids.s) ;
  {
    size_t w = 0 ;
    for (size_t k = 0 ; k < nt ; k++)
      if (!w || strcmp(x->ids.s + table[w-1], x->ids.s + table[k])) table[w++] = table[k] ;
    nt = w ;
  }
  for (size_t k = 0 ; k < nt ; k++) if (new_cont(x, NONE) == NONE) goto end ;

  for (size_t p = 0 ; p < x->n ; p++)
  {
    tmsg const *t = x->msgs + p ;
    uint32_t c = NONE, prev = NONE ;
    size_t o = t->refs ;
    /* A. the message's container; none or a duplicate id: a unique one */
    if (t->idlen)
    {
      c = id_find(table, nt, x->ids.s, x->ids.s + t->id) ;
      if (c != NONE && C(x, c)->msg != NONE) c = NONE ;
    }
    if (c == NONE && (c = new_cont(x, NONE)) == NONE) goto end ;
    C(x, c)->msg = (uint32_t)p ;
    /* B. link the references in order, keeping existing links, no loops */
    for (unsigned int k = 0 ; k < t->nrefs ; k++, o += strlen(x->ids.s + o) + 1)
    {
      uint32_t rc = id_find(table, nt, x->ids.s, x->ids.s + o) ;
      if (rc == NONE) continue ;
      if (prev != NONE && rc != prev && C(x, rc)->parent == NONE && !within(x, prev, rc))
        add_child(x, prev, rc) ;
      prev = rc ;
    }
    /* C. the last reference is the parent; the message's own References win */
    unlink_child(x, c) ;
    if (prev != NONE && prev != c && !within(x, prev, c)) add_child(x, prev, c) ;
  }

  /* 2. the root set, under a root container */
  root = new_cont(x, NONE) ;
  if (root == NONE) goto end ;
  for (uint32_t k = 0 ; k < root ; k++) if (C(x, k)->parent == NONE) add_child(x, root, k) ;

  /* 4. prune dummies, level by level, with a work list of parents */
  if (!genalloc_append(uint32_t, &work, &root)) goto end ;
  while (genalloc_len(uint32_t, &work))
  {
    uint32_t parent = genalloc_s(uint32_t, &work)[genalloc_len(uint32_t, &work) - 1] ;
    uint32_t prevk = NONE, k ;
    genalloc_setlen(uint32_t, &work, genalloc_len(uint32_t, &work) - 1) ;
    k = C(x, parent)->child ;
    while (k != NONE)
    {
      cont *ck = C(x, k) ;
      uint32_t after = ck->next ;
      if (ck->msg == NONE)
      {
        if (ck->child == NONE)
        {
          if (prevk == NONE) C(x, parent)->child = after ; else C(x, prevk)->next = after ;
          if (C(x, parent)->last == k) C(x, parent)->last = prevk ;
          ck->parent = NONE ;
          k = after ;
          continue ;
        }
        if (parent != root || C(x, ck->child)->next == NONE)
        {
          /* promote the children in place of the dummy (at the root
           * only when there is a single child) */
          uint32_t first = ck->child, last = ck->last ;
          for (uint32_t g = first ; g != NONE ; g = C(x, g)->next) C(x, g)->parent = parent ;
          if (prevk == NONE) C(x, parent)->child = first ; else C(x, prevk)->next = first ;
          C(x, last)->next = after ;
          if (C(x, parent)->last == k) C(x, parent)->last = last ;
          ck->child = ck->last = NONE ;
          ck->parent = NONE ;
          k = first ;
          continue ;
        }
      }
      if (!genalloc_append(uint32_t, &work, &k)) goto end ;
      prevk = k ;
      k = after ;
    }
  }

  /* 5. sort the root's dummies' children, then the root set */
  for (uint32_t k = C(x, root)->child ; k != NONE ; k = C(x, k)->next)
    if (C(x, k)->msg == NONE && !sort_children(x, k, &scratch)) goto end ;
  if (!sort_children(x, root, &scratch)) goto end ;

  /* 6. merge the threads of the root set that have the same base subject */
  {
    size_t nr = 0, ns = 0 ;
    for (uint32_t k = C(x, root)->child ; k != NONE ; k = C(x, k)->next) nr++ ;
    rootarr = malloc((nr ? nr : 1) * sizeof(uint32_t)) ;
    se = malloc((nr ? nr : 1) * sizeof(subjent)) ;
    if (!rootarr || !se) goto end ;
    nr = 0 ;
    for (uint32_t k = C(x, root)->child ; k != NONE ; k = C(x, k)->next)
    {
      uint32_t m = C(x, k)->msg != NONE ? C(x, k)->msg : (C(x, k)->child != NONE ? C(x, C(x, k)->child)->msg : NONE) ;
      if (m != NONE && x->msgs[m].subjlen)   /* an empty thread subject is skipped */
      {
        se[ns].pos = (uint32_t)nr ;
        se[ns].m = m ;
        ns++ ;
      }
      rootarr[nr++] = k ;
    }
    qsort_r(se, ns, sizeof(subjent), &subjent_cmp, x) ;
    for (size_t g = 0 ; g < ns ; )
    {
      size_t e = g + 1 ;
      size_t tpos ;
      uint32_t tc ;
      while (e < ns && !subj_cmp(x, se[g].m, se[e].m)) e++ ;
      /* B. the message the subject table keeps */
      tpos = se[g].pos ;
      for (size_t k = g + 1 ; k < e ; k++)
      {
        uint32_t tcur = rootarr[tpos], cur = rootarr[se[k].pos] ;
        if (C(x, tcur)->msg != NONE && (C(x, cur)->msg == NONE || (x->msgs[C(x, tcur)->msg].reply && !x->msgs[C(x, cur)->msg].reply)))
          tpos = se[k].pos ;
      }
      tc = rootarr[tpos] ;
      /* C. merge the others into it */
      for (size_t k = g ; k < e ; k++)
      {
        uint32_t cur = rootarr[se[k].pos] ;
        int tdummy, cdummy ;
        if (se[k].pos == tpos) continue ;
        tdummy = C(x, tc)->msg == NONE ;
        cdummy = C(x, cur)->msg == NONE ;
        rootarr[se[k].pos] = NONE ;
        if (tdummy && cdummy)
        {
          uint32_t g2 = C(x, cur)->child ;
          while (g2 != NONE) { uint32_t nx = C(x, g2)->next ; add_child(x, tc, g2) ; g2 = nx ; }
          C(x, cur)->child = C(x, cur)->last = NONE ;
        }
        else if (tdummy) add_child(x, tc, cur) ;
        else if (cdummy) { rootarr[se[k].pos] = cur ; continue ; }   /* step B made any dummy the table's: cannot happen */
        else if (x->msgs[C(x, cur)->msg].reply && !x->msgs[C(x, tc)->msg].reply) add_child(x, tc, cur) ;
        else
        {
          uint32_t d = new_cont(x, NONE) ;
          if (d == NONE) goto end ;
          add_child(x, d, tc) ;
          add_child(x, d, cur) ;
          tc = d ;
          rootarr[tpos] = d ;
        }
      }
      g = e ;
    }
    /* the new root set, in its order */
    C(x, root)->child = C(x, root)->last = NONE ;
    for (size_t k = 0 ; k < nr ; k++) if (rootarr[k] != NONE) add_child(x, root, rootarr[k]) ;
  }

  /* 7. sort every set of siblings: below the root first (dummies take their first child's date) */
  for (uint32_t k = 0 ; k < NCONT(x) ; k++)
    if (k != root && C(x, k)->child != NONE && !sort_children(x, k, &scratch)) goto end ;
  if (!sort_children(x, root, &scratch)) goto end ;
  *rootp = root ;
  r = 1 ;
 end:
  free(table) ;
  free(se) ;
  free(rootarr) ;
  genalloc_free(uint32_t, &scratch) ;
  genalloc_free(uint32_t, &work) ;
  return r ;
}

int imap_thread (stralloc *sa, mbox *box, size_t const *idx, size_t n, int algorithm, int byuid)
{
  tctx x = { .conts = GENALLOC_ZERO, .msgs = 0, .n = n, .text = STRALLOC_ZERO, .ids = STRALLOC_ZERO } ;
  uint32_t *numbers = 0 ;
  uint32_t root = NONE ;
  int r = 0 ;
  if (algorithm != IMAP_THREAD_ORDEREDSUBJECT && algorithm != IMAP_THREAD_REFERENCES) { errno = EINVAL ; return 0 ; }
  if (!n) return 1 ;
  if (n >= NONE / 4) { errno = EOVERFLOW ; return 0 ; }
  x.msgs = calloc(n, sizeof(tmsg)) ;
  numbers = malloc(n * sizeof(uint32_t)) ;
  if (!x.msgs || !numbers) goto end ;
  for (size_t p = 0 ; p < n ; p++) numbers[p] = byuid ? mbox_at(box, idx[p])->uid : (uint32_t)(idx[p] + 1) ;
  if (!stralloc_catb(&x.ids, "", 1)) goto end ;
  if (!read_msgs(&x, box, idx, algorithm == IMAP_THREAD_REFERENCES)) goto end ;
  if (algorithm == IMAP_THREAD_ORDEREDSUBJECT)
  {
    for (size_t p = 0 ; p < n ; p++) if (new_cont(&x, (uint32_t)p) == NONE) goto end ;
    root = new_cont(&x, NONE) ;
    if (root == NONE || !orderedsubject(&x, root)) goto end ;
    {
      genalloc scratch = GENALLOC_ZERO ;
      int ok = sort_children(&x, root, &scratch) ;
      genalloc_free(uint32_t, &scratch) ;
      if (!ok) goto end ;
    }
  }
  else if (!references(&x, &root)) goto end ;
  r = output(&x, root, sa, numbers) ;
 end:
  {
    int e = errno ;
    genalloc_free(cont, &x.conts) ;
    free(x.msgs) ;
    free(numbers) ;
    stralloc_free(&x.text) ;
    stralloc_free(&x.ids) ;
    errno = e ;
  }
  return r ;
}
