/* ISC license. */

/* libFuzzer harness for the reply side of common/authclient: what authd
 * (semi-trusted) sends back. The input is cut into LF-terminated lines;
 * the first ones go through the handshake parser until it says DONE or
 * fails, the rest through the reply parser for request id 1. Checks,
 * beyond "no crash, no sanitizer report": a challenge handed to the
 * protocol program is base64 text only, a user name or reason has no
 * control byte, every text is NUL-terminated at its length and within
 * AUTHCLIENT_TEXT_MAX, and the MECH list holds only SASL name bytes. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/authclient.h"

static authclient ac = AUTHCLIENT_ZERO ;
static authclient_reply r ;

static void check_reply (int type)
{
  if (!type) return ;
  if (r.len > AUTHCLIENT_TEXT_MAX || r.text[r.len]) abort() ;
  for (size_t i = 0 ; i < r.len ; i++)
  {
    unsigned char c = r.text[i] ;
    if (type == AUTHCLIENT_CONT)
    {
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=')) abort() ;
    }
    else if (c < 0x20 || c == 0x7f) abort() ;
  }
  if (type == AUTHCLIENT_OK && !r.len) abort() ;
}

static void check_mechs (void)
{
  if (ac.mechlen >= AUTHCLIENT_MECHS_MAX || ac.mechs[ac.mechlen]) abort() ;
  for (size_t i = 0 ; i < ac.mechlen ; i++)
  {
    char c = ac.mechs[i] ;
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ' ')) abort() ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  size_t start = 0 ;
  int done = 0 ;
  ac.hs_version = 0 ;
  ac.hs_lines = 0 ;
  ac.mechlen = 0 ;
  ac.mechs[0] = 0 ;
  ac.cookie[0] = 0 ;
  while (start < size)
  {
    char const *nl = memchr(s + start, '\n', size - start) ;
    size_t len = (nl ? (size_t)(nl - s) : size) - start ;
    if (len > AUTHCLIENT_LINE_MAX) break ;   /* authclient_getline refuses it */
    if (!done)
    {
      int h = authclient_handshake_line(&ac, s + start, len) ;
      check_mechs() ;
      if (h < 0) break ;
      if (h) done = 1 ;
    }
    else check_reply(authclient_reply_parse(s + start, len, 1, &r)) ;
    start += len + 1 ;
  }
  return 0 ;
}
