/* ISC license. */

/* libFuzzer harness for the reader of posthaste-cache
 * (common/mbox_cache.c): the input is the cache file of a small folder
 * whose messages are known. Checks: no crash, no read past the mapping;
 * every header mbox_header serves ends with a CRLF and is of bounded
 * size; a header other than the message's real one
 * comes only from a record of the input (which must then carry the
 * message's base name), also after the release has written the file
 * back (appended, or rewritten when the input did not parse). */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <skalibs/stralloc.h>

#include "common/mbox.h"

#define N 3

static char top[64] ;
static char cachepath[128] ;
static stralloc want[N] ;
static int ready = 0 ;

static void cleanup (void)
{
  char cmd[100] ;
  snprintf(cmd, sizeof(cmd), "rm -rf %s", top) ;
  if (system(cmd)) return ;
}

static void setup (void)
{
  mbox m = MBOX_ZERO ;
  snprintf(top, sizeof(top), "/tmp/fuzz-mbox-cache.%d", (int)getpid()) ;
  snprintf(cachepath, sizeof(cachepath), "%s/posthaste-cache", top) ;
  if (!mbox_setup_defaults(top)) abort() ;
  atexit(&cleanup) ;
  for (unsigned int i = 0 ; i < N ; i++)
  {
    char msg[200] ;
    uint32_t uidv, uid ;
    int n = snprintf(msg, sizeof(msg), "From: a%u@example.org\nSubject: s%u\n\nbody %u\n", i, i, i) ;
    if (!mbox_append(top, "INBOX", msg, (size_t)n, 0, "", 0, -1, &uidv, &uid)) abort() ;
  }
  unlink(cachepath) ;
  if (!mbox_open(&m, top, "INBOX", 0) || mbox_count(&m) != N) abort() ;
  for (size_t i = 0 ; i < N ; i++)
  {
    char const *h ;
    size_t hlen ;
    if (!mbox_header(&m, i, &h, &hlen) || !stralloc_copyb(&want[i], h, hlen)) abort() ;
  }
  mbox_close(&m) ;
  ready = 1 ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  mbox m = MBOX_ZERO ;
  int fd ;
  if (!ready) setup() ;
  fd = open(cachepath, O_WRONLY | O_CREAT | O_TRUNC, 0600) ;
  if (fd < 0) abort() ;
  if (size && write(fd, data, size) != (ssize_t)size) abort() ;
  close(fd) ;
  if (!mbox_open(&m, top, "INBOX", 0)) abort() ;
  for (unsigned int round = 0 ; round < 2 ; round++)
  {
    for (size_t i = 0 ; i < mbox_count(&m) ; i++)
    {
      char const *h ;
      size_t hlen ;
      if (!mbox_header(&m, i, &h, &hlen)) abort() ;
      if (hlen > MBOX_HEADER_MAX) __builtin_trap() ;
      if (hlen < 2 || memcmp(h + hlen - 2, "\r\n", 2)) __builtin_trap() ;
      /* a header other than the real one can only come from a record
       * of the input, which carries the message's base name (the
       * second round reads what the first one's release wrote back,
       * made of the input's records and the real headers) */
      if (i < N && (hlen != want[i].len || memcmp(h, want[i].s, hlen)))
      {
        char const *name = strchr(mbox_name(&m, i), '/') ;
        char const *colon ;
        if (!name) __builtin_trap() ;
        name++ ;
        colon = strchr(name, ':') ;
        if (!memmem(data, size, name, colon ? (size_t)(colon - name) : strlen(name))) __builtin_trap() ;
      }
    }
    mbox_cache_release(&m) ;
  }
  mbox_close(&m) ;
  return 0 ;
}
