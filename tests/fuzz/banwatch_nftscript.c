/* ISC license. */

/* The nftables helper's reader (banwatch/bw_nftscript.c): what banwatch
 * (phban) sends a process that holds CAP_NET_ADMIN. Any line either is
 * refused or becomes nft commands made only of the spec's names, the
 * fixed words, addresses, prefix lengths and decimals: no byte of the
 * input's own (no ';', '{' beyond the element braces, newline inside a
 * command, quote or '#'). */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "banwatch/banwatch.h"

static int allowed (stralloc const *sa)
{
  for (size_t i = 0 ; i < sa->len ; i++)
  {
    char c = sa->s[i] ;
    if (c == '"' || c == '\'' || c == '#' || c == '$' || c == '\\' || c == '\0') return 0 ;
  }
  return 1 ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static bw_nftscript sc = BW_NFTSCRIPT_ZERO ;
  static int ready = 0 ;
  if (!ready)
  {
    char const *why ;
    if (!bw_nft_spec_scan("inet posthaste banned4 banned6", &sc.spec, &why)) __builtin_trap() ;
    ready = 1 ;
  }
  sc.dels.len = sc.adds.len = 0 ;
  {
    size_t start = 0 ;
    for (size_t i = 0 ; i <= size ; i++)
    {
      if (i < size && data[i] != '\n') continue ;
      if (bw_nftscript_line(&sc, (char const *)data + start, i - start) < 0) __builtin_trap() ;
      start = i + 1 ;
    }
  }
  if (!allowed(&sc.dels) || !allowed(&sc.adds)) __builtin_trap() ;
  /* every command is one line that starts with a known verb */
  {
    stralloc const *both[2] = { &sc.dels, &sc.adds } ;
    for (unsigned int k = 0 ; k < 2 ; k++)
    {
      size_t i = 0 ;
      while (i < both[k]->len)
      {
        char const *p = both[k]->s + i ;
        char const *nl = memchr(p, '\n', both[k]->len - i) ;
        if (!nl) __builtin_trap() ;
        if (strncmp(p, "add ", 4) && strncmp(p, "delete element ", 15) && strncmp(p, "flush ", 6)) __builtin_trap() ;
        i = (size_t)(nl - both[k]->s) + 1 ;
      }
    }
  }
  return 0 ;
}
