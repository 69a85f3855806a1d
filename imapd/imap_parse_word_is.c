/* ISC license. */

#include <string.h>
#include <strings.h>
#include "imapd/imap_parse-internal.h"

int imap_word_is (char const *s, size_t len, char const *word)
{
  return strlen(word) == len && !strncasecmp(s, word, len) ;
}
