/* ISC license. */

/* libFuzzer harness for the IMAP syntax layer: the bytes go through
 * imap_reader in small chunks (answering its continuation requests),
 * and every command it assembles is walked with every parse function,
 * each from the first argument. The first input byte picks the chunk
 * size and the reader and cursor options. */

#include <stdint.h>
#include <string.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "imapd/imap_parse.h"

static void walk_one (imap_cursor const *start, unsigned int which)
{
  imap_cursor c = *start ;
  stralloc sa = STRALLOC_ZERO ;
  switch (which)
  {
    case 0 : { imap_fetch f = IMAP_FETCH_ZERO ; if (imap_fetch_parse(&c, &f)) imap_end(&c) ; imap_fetch_free(&f) ; break ; }
    case 1 : { imap_search s = IMAP_SEARCH_ZERO ; imap_search_parse(&c, &s, 0) ; imap_search_free(&s) ; break ; }
    case 2 : { imap_search s = IMAP_SEARCH_ZERO ; imap_search_parse(&c, &s, 1) ; imap_search_free(&s) ; break ; }
    case 3 :
    {
      imap_seqset set = IMAP_SEQSET_ZERO ;
      if (imap_seqset_parse(&c, &set))
      {
        uint32_t n ;
        for (n = 0 ; n < 8 ; n++) imap_seqset_contains(&set, n, 5) ;
        if (imap_sp(&c))
        {
          imap_store st = IMAP_STORE_ZERO ;
          if (imap_store_parse(&c, &st)) imap_end(&c) ;
          stralloc_free(&st.keywords) ;
        }
      }
      imap_seqset_free(&set) ;
      break ;
    }
    case 4 : { imap_list l = IMAP_LIST_ZERO ; if (imap_list_parse(&c, &l)) imap_end(&c) ; stralloc_free(&l.reference) ; stralloc_free(&l.patterns) ; break ; }
    case 5 : { unsigned int items ; imap_status_items(&c, &items) ; break ; }
    case 6 :
    {
      uint8_t keys[IMAP_SORT_MAX] ;
      unsigned int n ;
      int alg ;
      imap_cursor d = c ;
      if (imap_sort_criteria(&c, keys, &n) && imap_sp(&c)) { imap_search s = IMAP_SEARCH_ZERO ; imap_search_parse(&c, &s, 1) ; imap_search_free(&s) ; }
      imap_thread_algorithm(&d, &alg) ;
      break ;
    }
    case 7 :
    {
      /* APPEND mailbox [flag-list] [date-time] literal */
      uint32_t flags ;
      unsigned int nkw ;
      int64_t t ;
      if (!imap_mailbox(&c, &sa) || !imap_sp(&c)) break ;
      if (imap_peek(&c) == '(' && (!imap_flag_list(&c, &flags, &sa, &nkw, 0) || !imap_sp(&c))) break ;
      if (imap_peek(&c) == '"' && (!imap_date_time(&c, &t) || !imap_sp(&c))) break ;
      {
        char const *data ; size_t len ; int binary ;
        if (imap_literal_ref(&c, &data, &len, &binary)) imap_end(&c) ;
      }
      break ;
    }
    case 8 :
    {
      /* a run of simple elements, whatever fits */
      unsigned int i = 0 ;
      for (; i < 64 && c.pos < c.len && !c.error ; i++)
      {
        int isnil ;
        uint32_t n ; uint64_t m ; int64_t t ;
        imap_cursor d = c ;
        switch (i % 9)
        {
          case 0 : imap_astring(&d, &sa) ; break ;
          case 1 : imap_nstring(&d, &sa, &isnil) ; break ;
          case 2 : imap_list_mailbox(&d, &sa) ; break ;
          case 3 : imap_number(&d, &n) ; break ;
          case 4 : imap_number64(&d, &m) ; break ;
          case 5 : imap_date(&d, &t) ; break ;
          case 6 : imap_atom(&d, &sa) ; break ;
          case 7 : imap_nz_number(&d, &n) ; break ;
          case 8 : imap_string(&d, &sa) ; break ;
        }
        if (d.error || d.pos == c.pos) { c.pos++ ; continue ; }
        c = d ;
        imap_peek_sp_or_end(&c) ;
        imap_try(&c, ' ') ;
      }
      break ;
    }
  }
  stralloc_free(&sa) ;
}

static void walk (imap_reader const *r, int utf8)
{
  imap_cursor c = { .utf8 = utf8 } ;
  char const *tag ;
  size_t taglen ;
  char name[32] ;
  int uid ;
  unsigned int i ;
  if (!imap_cursor_start(&c, r->cmd.s, r->cmd.len, &tag, &taglen, name, &uid)) return ;
  if (!imap_peek_sp_or_end(&c) || !imap_sp(&c)) return ;
  for (i = 0 ; i < 9 ; i++) walk_one(&c, i) ;
  {
    /* the output side, on the command's own bytes */
    stralloc sa = STRALLOC_ZERO ;
    size_t half = (r->cmd.len - c.pos) / 2 ;
    imap_fmt_string(&sa, r->cmd.s + c.pos, half, utf8) ;
    imap_fmt_nstring(&sa, r->cmd.s + c.pos + half, r->cmd.len - c.pos - half, !utf8) ;
    stralloc_free(&sa) ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static char store[4096] ;
  imap_reader r = IMAP_READER_ZERO ;
  buffer b = BUFFER_INIT(0, -1, store, sizeof(store)) ;
  size_t pos = 1, step ;
  unsigned int commands = 0 ;
  if (!size) return 0 ;
  step = 1 + (data[0] & 0x3f) * 37 ;
  r.literal_plus_ok = !(data[0] & 0x40) ;
  r.literal_max = (data[0] & 0x80) ? 300 : 0 ;
  while (commands < 64)
  {
    int rc ;
    if (pos < size && buffer_len(&b) < sizeof(store) - 1)
    {
      size_t n = size - pos < step ? size - pos : step ;
      pos += buffer_putnoflush(&b, (char const *)data + pos, n) ;
    }
    rc = imap_reader_get(&r, &b) ;
    if (rc == 1)
    {
      walk(&r, data[0] & 1) ;
      imap_reader_reset(&r) ;
      commands++ ;
    }
    else if (rc < 0)
    {
      if (imap_reader_must_close(&r)) break ;
      imap_reader_reset(&r) ;
    }
    else if (!r.want_continuation && pos >= size && !buffer_len(&b)) break ;
  }
  {
    /* LIST matching: pattern and name split at the first NUL */
    char const *nul = memchr(data, 0, size) ;
    if (nul)
    {
      stralloc p = STRALLOC_ZERO, n = STRALLOC_ZERO ;
      if (stralloc_catb(&p, (char const *)data, nul - (char const *)data) && stralloc_0(&p)
       && stralloc_catb(&n, nul + 1, size - (nul + 1 - (char const *)data)) && stralloc_0(&n))
        imap_list_match(p.s, n.s, '/') ;
      stralloc_free(&p) ;
      stralloc_free(&n) ;
    }
  }
  imap_reader_free(&r) ;
  return 0 ;
}
