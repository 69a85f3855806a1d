/* ISC license. */

#include <string.h>

#include "common/bayes-internal.h"

/* A word: letters and digits (any byte of a UTF-8 sequence counts as a
 * letter), with ' - $ ! kept inside it ("don't", "e-mail", "$$$",
 * "free!!!" are telling). ASCII is lower-cased; other scripts are kept
 * as they are. Shorter than BAYES_TOKEN_MIN: dropped. Longer than
 * BAYES_TOKEN_MAX: one "skip:" token of its first byte and its length
 * in tens, as SpamBayes does, so base64 blobs and long junk still
 * count, coarsely. */

static int is_word (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80
    || c == '\'' || c == '-' || c == '$' || c == '!' ;
}

static int is_edge (unsigned char c)
{
  return c == '\'' || c == '-' ;
}

int bayes_words (bayes_tokens *t, char const *prefix, char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len)
  {
    size_t start, end ;
    while (i < len && !is_word((unsigned char)s[i])) i++ ;
    start = i ;
    while (i < len && is_word((unsigned char)s[i])) i++ ;
    end = i ;
    while (start < end && is_edge((unsigned char)s[start])) start++ ;
    while (end > start && is_edge((unsigned char)s[end - 1])) end-- ;
    if (end - start < BAYES_TOKEN_MIN) continue ;
    if (end - start > BAYES_TOKEN_MAX)
    {
      char skip[24] ;
      size_t n = 0, tens = (end - start) / 10 * 10 ;
      char digits[20] ;
      size_t nd = 0 ;
      unsigned char c = (unsigned char)s[start] ;
      skip[n++] = c >= 'A' && c <= 'Z' ? c + 32 : c ;
      skip[n++] = ' ' ;
      do { digits[nd++] = '0' + tens % 10 ; tens /= 10 ; } while (tens && nd < sizeof(digits)) ;
      while (nd && n < sizeof(skip)) skip[n++] = digits[--nd] ;
      if (!bayes_token_add(t, "skip:", skip, n)) return 0 ;
      continue ;
    }
    {
      char w[BAYES_TOKEN_MAX] ;
      size_t n = end - start ;
      for (size_t k = 0 ; k < n ; k++)
      {
        unsigned char c = (unsigned char)s[start + k] ;
        w[k] = c >= 'A' && c <= 'Z' ? c + 32 : c ;
      }
      if (!bayes_token_add(t, prefix, w, n)) return 0 ;
    }
  }
  return 1 ;
}
