/* ISC license. */

/* sort-criteria = "(" sort-criterion *(SP sort-criterion) ")",
 * sort-criterion = ["REVERSE" SP] sort-key (RFC 5256 §5, RFC 5957 §3);
 * thread-alg = "ORDEREDSUBJECT" / "REFERENCES" (RFC 5256 §5). */

#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

int imap_sort_criteria (imap_cursor *c, uint8_t *keys, unsigned int *n)
{
  static struct { char const *name ; uint8_t key ; } const table[] =
  {
    { "ARRIVAL", IMAP_SORT_ARRIVAL }, { "CC", IMAP_SORT_CC }, { "DATE", IMAP_SORT_DATE },
    { "FROM", IMAP_SORT_FROM }, { "SIZE", IMAP_SORT_SIZE }, { "SUBJECT", IMAP_SORT_SUBJECT },
    { "TO", IMAP_SORT_TO }, { "DISPLAYFROM", IMAP_SORT_DISPLAYFROM }, { "DISPLAYTO", IMAP_SORT_DISPLAYTO }
  } ;
  *n = 0 ;
  if (imap_peek(c) != '(') return imap_fail(c, "Expected sort criteria") ;
  if (!imap_lparen(c)) return 0 ;
  for (;;)
  {
    uint8_t rev = 0 ;
    unsigned int i = 0 ;
    if (imap_try_word(c, "REVERSE"))
    {
      if (!imap_sp(c)) return imap_fail(c, "Missing sort key after REVERSE") ;
      rev = IMAP_SORT_REVERSE ;
    }
    for (; i < sizeof(table) / sizeof(table[0]) ; i++)
      if (imap_try_word(c, table[i].name)) break ;
    if (i == sizeof(table) / sizeof(table[0])) return imap_fail(c, "Unknown sort key") ;
    if (*n >= IMAP_SORT_MAX) return imap_fail(c, "Too many sort keys") ;
    keys[(*n)++] = table[i].key | rev ;
    if (imap_peek(c) != ' ') break ;
    if (!imap_sp(c)) return 0 ;
  }
  return imap_rparen(c) ;
}

int imap_thread_algorithm (imap_cursor *c, int *alg)
{
  if (imap_try_word(c, "ORDEREDSUBJECT")) *alg = IMAP_THREAD_ORDEREDSUBJECT ;
  else if (imap_try_word(c, "REFERENCES")) *alg = IMAP_THREAD_REFERENCES ;
  else return imap_fail(c, "Unknown threading algorithm") ;
  return 1 ;
}
