/* ISC license. */

/* libFuzzer harness for what imap-session does itself with a client's
 * arguments once the parser has read them: mailbox names between the
 * client's form (modified UTF-7, or UTF-8 after ENABLE UTF8=ACCEPT) and
 * the disk's (imap_name_in, imap_name_out), and sequence sets resolved
 * against a mailbox (imap_resolve_set, with '*', "$" and huge ranges),
 * then written back as UID sets (imap_fmt_uids).
 * Input: byte 0 = options (bit 0 UTF-8, bit 1 UID command, bits 2-7
 * the number of messages); then the name, a NUL, the sequence set. */

#include <stdint.h>
#include <string.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static imap_session s ;
  static imap_login login = { .user = "fuzz@example.test", .maildir = "/nonexistent", .tag = "a0" } ;
  stralloc name = STRALLOC_ZERO, disk = STRALLOC_ZERO, out = STRALLOC_ZERO ;
  genalloc idx = GENALLOC_ZERO ;
  imap_seqset set = IMAP_SEQSET_ZERO ;
  char const *rest ;
  size_t restlen ;
  unsigned int opts ;
  if (!size) return 0 ;
  opts = data[0] ;
  data++ ; size-- ;
  {
    mbox zero = MBOX_ZERO ;
    s.box = zero ;
  }
  s.login = &login ;
  s.state = IMAP_STATE_SELECTED ;
  s.enabled = opts & 1 ? IMAP_ENABLED_UTF8 : 0 ;
  s.saved = (genalloc)GENALLOC_ZERO ;
  {
    uint32_t uid = 0 ;
    for (unsigned int i = 0 ; i < (opts >> 2) ; i++)
    {
      mbox_msg m ;
      memset(&m, 0, sizeof m) ;
      uid += 1 + (i % 3) * 1000 ;   /* gaps of several sizes */
      m.uid = uid ;
      genalloc_append(mbox_msg, &s.box.msgs, &m) ;
      if (i % 4 == 0) genalloc_append(uint32_t, &s.saved, &uid) ;
    }
  }
  {
    uint8_t const *nul = memchr(data, 0, size) ;
    size_t nlen = nul ? (size_t)(nul - data) : size ;
    rest = nul ? (char const *)nul + 1 : "" ;
    restlen = nul ? size - nlen - 1 : 0 ;
    if (stralloc_catb(&name, (char const *)data, nlen) && stralloc_0(&name))
      if (imap_name_in(&s, name.s, &disk)) imap_name_out(&s, disk.s, &out) ;
  }
  {
    imap_cursor c = { .s = rest, .len = restlen, .pos = 0, .depth = 0, .utf8 = 0, .error = 0 } ;
    if (imap_seqset_parse(&c, &set) && imap_resolve_set(&s, &set, !!(opts & 2), &idx))
    {
      size_t n = genalloc_len(size_t, &idx) ;
      genalloc uids = GENALLOC_ZERO ;
      for (size_t i = 0 ; i < n ; i++)
      {
        size_t k = genalloc_s(size_t, &idx)[i] ;
        if (k >= mbox_count(&s.box)) __builtin_trap() ;   /* an index outside the mailbox */
        if (i && k <= genalloc_s(size_t, &idx)[i-1]) __builtin_trap() ;   /* not sorted and distinct */
        genalloc_append(uint32_t, &uids, &mbox_at(&s.box, k)->uid) ;
      }
      out.len = 0 ;
      imap_fmt_uids(&out, genalloc_s(uint32_t, &uids), genalloc_len(uint32_t, &uids)) ;
      genalloc_free(uint32_t, &uids) ;
    }
  }
  imap_seqset_free(&set) ;
  genalloc_free(size_t, &idx) ;
  genalloc_free(mbox_msg, &s.box.msgs) ;
  genalloc_free(uint32_t, &s.saved) ;
  stralloc_free(&name) ;
  stralloc_free(&disk) ;
  stralloc_free(&out) ;
  return 0 ;
}
