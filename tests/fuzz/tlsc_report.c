/* ISC license. */

/* The bytes that reach deliverd-remote from a TLS peer through tlsc:
 * tlsc's report (which carries the peer certificate's CN, cut to
 * printable ASCII by tlsc, and checked again by the parser) read by
 * ucspitls_client_parse, and the server name tlsc gets from DNS or the
 * relay configuration, read by tlsc_peer_scan. First byte: which one.
 * Invariants: on success every string is NUL-terminated within its
 * bound and printable; a verified session never carries an error; a
 * host name is lower case LDH with no trailing dot. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "common/ucspitls.h"
#include "tlsd/tlsc.h"

static void printable (char const *s, size_t max, int spaces)
{
  size_t n = strnlen(s, max + 1) ;
  if (n > max) abort() ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char c = s[i] ;
    if (c > 0x7e || c < (spaces ? 0x20 : 0x21)) abort() ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  if (!size) return 0 ;
  if (data[0] & 1)
  {
    ucspitls_client c = UCSPITLS_CLIENT_ZERO ;
    ucspitls_info info ;
    memset(&info, 0x55, sizeof(info)) ;
    if (ucspitls_client_parse((char const *)data + 1, size - 1, &c, &info))
    {
      printable(info.protocol, UCSPITLS_PROTOCOL_MAX, 0) ;
      printable(info.cipher, UCSPITLS_CIPHER_MAX, 0) ;
      if (!info.protocol[0] || !info.cipher[0]) abort() ;
      printable(c.verify_error, UCSPITLS_VERIFY_ERROR_MAX, 1) ;
      printable(c.peer_cn, UCSPITLS_CN_MAX, 1) ;
      if (c.verified != 0 && c.verified != 1) abort() ;
      if (c.verified && c.verify_error[0]) abort() ;
    }
    else
    {
      if (errno != EPROTO && errno != EPERM) abort() ;
      if (c.verified) abort() ;
      if (errno == EPERM) { printable(c.verify_error, UCSPITLS_VERIFY_ERROR_MAX, 1) ; if (!c.verify_error[0]) abort() ; }
      else if (c.verify_error[0]) abort() ;
    }
  }
  else
  {
    char s[600] ;
    tlsc_peer p ;
    size_t n = size - 1 < sizeof(s) - 1 ? size - 1 : sizeof(s) - 1 ;
    memcpy(s, data + 1, n) ;
    s[n] = 0 ;
    if (tlsc_peer_scan(s, &p) && !p.isip)
    {
      size_t len = strlen(p.name) ;
      if (!len || len > TLSD_NAME_MAX || p.name[len-1] == '.') abort() ;
      for (size_t i = 0 ; i < len ; i++)
      {
        char ch = p.name[i] ;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.')) abort() ;
      }
    }
  }
  return 0 ;
}
