/* ISC license. */

/* status-att-list = status-att *(SP status-att) in parentheses (RFC
 * 9051 §6.3.11 and §9, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE, RFC 7889
 * APPENDLIMIT). */

#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

int imap_status_items (imap_cursor *c, unsigned int *items)
{
  static struct { char const *name ; unsigned int bit ; } const table[] =
  {
    { "MESSAGES", IMAP_STATUS_MESSAGES }, { "RECENT", IMAP_STATUS_RECENT }, { "UIDNEXT", IMAP_STATUS_UIDNEXT },
    { "UIDVALIDITY", IMAP_STATUS_UIDVALIDITY }, { "UNSEEN", IMAP_STATUS_UNSEEN }, { "DELETED", IMAP_STATUS_DELETED },
    { "SIZE", IMAP_STATUS_SIZE }, { "HIGHESTMODSEQ", IMAP_STATUS_HIGHESTMODSEQ }, { "APPENDLIMIT", IMAP_STATUS_APPENDLIMIT }
  } ;
  *items = 0 ;
  if (imap_peek(c) != '(') return imap_fail(c, "Expected status items") ;
  if (!imap_lparen(c)) return 0 ;
  for (;;)
  {
    unsigned int i = 0 ;
    for (; i < sizeof(table) / sizeof(table[0]) ; i++)
      if (imap_try_word(c, table[i].name)) break ;
    if (i == sizeof(table) / sizeof(table[0])) return imap_fail(c, "Unknown status item") ;
    *items |= table[i].bit ;
    if (imap_peek(c) != ' ') break ;
    if (!imap_sp(c)) return 0 ;
  }
  return imap_rparen(c) ;
}
