/* ISC license. */

/* libFuzzer harness for sendmail's reading of a message it was handed
 * (sendmail/sm_msg.c: header fields and body; sendmail/sm_addrs.c: the
 * To/Cc/Bcc lists of -t to envelope addresses). Checks, beyond "no
 * crash, no sanitizer report": the fields tile the header section in
 * order, each starting with its name and a colon, the body starts after
 * them; every envelope address parses again as an RFC 5321 mailbox and
 * appears once. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/addr.h"
#include "sendmail/sendmail.h"

static sm_msg m = { .text = STRALLOC_ZERO, .fields = GENALLOC_ZERO } ;

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  sm_addrs a = SM_ADDRS_ZERO ;
  char bad[64] ;
  size_t pos = 0 ;
  m.text.len = 0 ;
  /* sm_read's output always ends with LF and holds no NUL */
  if (memchr(data, 0, size)) return 0 ;
  if (!stralloc_catb(&m.text, (char const *)data, size) || !stralloc_catb(&m.text, "\n", 1)) abort() ;
  if (!sm_msg_scan(&m)) abort() ;
  for (size_t i = 0 ; i < genalloc_len(sm_field, &m.fields) ; i++)
  {
    sm_field const *f = genalloc_s(sm_field, &m.fields) + i ;
    size_t end = f->start + f->len ;
    if (f->start != pos || !f->namelen || f->value <= f->start + f->namelen || f->value > end || end > m.text.len) abort() ;
    if (m.text.s[f->value - 1] != ':' || m.text.s[end - 1] != '\n') abort() ;
    pos = end ;
    if (sm_field_is(&m, f, "to") || sm_field_is(&m, f, "cc") || sm_field_is(&m, f, "bcc"))
      if (!sm_addrs_add(&a, m.text.s + f->value, end - 1 - f->value, "example.test", bad, sizeof(bad)) && errno == ENOMEM) abort() ;
  }
  if (m.body < pos || m.body > m.text.len) abort() ;
  {
    unsigned int n = 0 ;
    for (size_t i = 0 ; i < a.list.len ; i += strlen(a.list.s + i) + 1, n++)
    {
      mailaddr x ;
      if (!addr_parse_mailbox(a.list.s + i, strlen(a.list.s + i), &x, ADDR_UTF8_OK)) abort() ;
    }
    if (n != a.n || a.n > SM_RCPT_MAX) abort() ;
    for (size_t i = 0 ; i < a.keys.len ; i += strlen(a.keys.s + i) + 1)
      for (size_t j = i + strlen(a.keys.s + i) + 1 ; j < a.keys.len ; j += strlen(a.keys.s + j) + 1)
        if (!strcmp(a.keys.s + i, a.keys.s + j)) abort() ;
  }
  stralloc_free(&a.list) ;
  stralloc_free(&a.keys) ;
  return 0 ;
}
