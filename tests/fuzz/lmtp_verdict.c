/* ISC license. */

/* libFuzzer harness for lmtpd's reading of deliver_request's reply
 * (deliverd/lmtp_verdict.c): whatever the text0 records, the answer is
 * one well-formed LMTP reply for the recipient: a code of the verdict's
 * class, an RFC 3463 code of the same class, a bounded NUL-terminated
 * text naming the recipient. The first byte is the recipient's length. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "deliverd/lmtp.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char rcpt[64] ;
  char enh[16] ;
  char text[LMTP_VERDICT_TEXT_MAX] ;
  size_t rlen ;
  unsigned int code ;
  if (!size) return 0 ;
  rlen = data[0] % sizeof(rcpt) ;
  if (rlen > size - 1) rlen = size - 1 ;
  memcpy(rcpt, data + 1, rlen) ;
  rcpt[rlen] = 0 ;
  data += 1 + rlen ;
  size -= 1 + rlen ;
  memset(enh, 'E', sizeof(enh)) ;
  memset(text, 'T', sizeof(text)) ;
  code = lmtp_verdict((char const *)data, size, rcpt, "0123456789abcdef", enh, text) ;
  if (!memchr(enh, 0, sizeof(enh)) || !memchr(text, 0, sizeof(text))) __builtin_trap() ;
  switch (code)
  {
    case 250 : if (enh[0] != '2') __builtin_trap() ; break ;
    case 451 :
    case 452 : if (enh[0] != '4') __builtin_trap() ; break ;
    case 550 : if (enh[0] != '5') __builtin_trap() ; break ;
    default : __builtin_trap() ;
  }
  if (enh[1] != '.' || text[0] != '<') __builtin_trap() ;
  /* the reply carries what the recipient was called, up to the first NUL */
  if (strncmp(text + 1, rcpt, strlen(rcpt) < LMTP_VERDICT_TEXT_MAX / 2 ? strlen(rcpt) : LMTP_VERDICT_TEXT_MAX / 2)) __builtin_trap() ;
  /* 452 only for a full mailbox or disk */
  if (code == 452 && strcmp(enh, "4.2.2") && strcmp(enh, "4.3.1")) __builtin_trap() ;
  return 0 ;
}
