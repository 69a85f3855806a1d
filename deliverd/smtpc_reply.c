/* ISC license. */

#include <errno.h>
#include <string.h>

#include "smtpc.h"

 /* RFC 5321 4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
    Reply-code [ SP textstring ] CRLF, Reply-code = %x32-35 %x30-35
    %x30-39. Every line of a reply carries the same code (4.2.1). The
    text goes to logs and DSNs, so anything but printable ASCII is
    stored as '?'. */

void smtpc_reply_init (smtpc_reply *r)
{
  r->code = 0 ;
  r->lines = 0 ;
  r->done = 0 ;
  r->len = 0 ;
  r->text[0] = 0 ;
}

static void keep (smtpc_reply *r, char const *s, size_t len)
{
  if (r->lines > 1 && r->len < SMTPC_REPLY_TEXT) r->text[r->len++] = '\n' ;
  for (size_t i = 0 ; i < len && r->len < SMTPC_REPLY_TEXT ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    r->text[r->len++] = (c == '\t' || (c >= 0x20 && c < 0x7f)) ? (char)c : '?' ;
  }
  r->text[r->len] = 0 ;
}

int smtpc_reply_line (smtpc_reply *r, char const *line, size_t len)
{
  unsigned int code ;
  if (r->done || r->lines >= SMTPC_REPLY_LINES) return (errno = EPROTO, -1) ;
  if (len < 3) return (errno = EPROTO, -1) ;
  if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' || line[2] < '0' || line[2] > '9')
    return (errno = EPROTO, -1) ;
  code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') ;
  if (r->lines && code != r->code) return (errno = EPROTO, -1) ;
  if (len > 3 && line[3] != ' ' && line[3] != '-') return (errno = EPROTO, -1) ;
  r->code = code ;
  r->lines++ ;
  keep(r, line + (len > 3 ? 4 : 3), len > 3 ? len - 4 : 0) ;
  if (len == 3 || line[3] == ' ') r->done = 1 ;
  return r->done ;
}

size_t smtpc_reply_oneline (smtpc_reply const *r, char *out, size_t max)
{
  size_t w = 0 ;
  if (!max) return 0 ;
  if (max > 4)
  {
    out[0] = '0' + r->code / 100 ;
    out[1] = '0' + (r->code / 10) % 10 ;
    out[2] = '0' + r->code % 10 ;
    w = 3 ;
    if (r->len) out[w++] = ' ' ;
  }
  for (size_t i = 0 ; i < r->len && w + 1 < max ; i++)
    out[w++] = r->text[i] == '\n' ? ' ' : r->text[i] ;
  out[w] = 0 ;
  return w ;
}

 /* RFC 3463 2: status-code = class "." subject "." detail, class 2, 4
    or 5, subject and detail 1 to 3 digits; followed by a space or the
    end of the text. */
int smtpc_reply_esc (smtpc_reply const *r, char *esc)
{
  char const *s = r->text ;
  size_t i = 0 ;
  if (r->len < 5 || s[0] != '0' + (char)(r->code / 100)) return 0 ;
  i = 1 ;
  for (unsigned int part = 0 ; part < 2 ; part++)
  {
    unsigned int digits = 0 ;
    if (s[i] != '.') return 0 ;
    i++ ;
    while (s[i] >= '0' && s[i] <= '9' && digits < 4) { i++ ; digits++ ; }
    if (!digits || digits > 3) return 0 ;
  }
  if (s[i] && s[i] != ' ' && s[i] != '\n' && s[i] != '\t') return 0 ;
  memcpy(esc, s, i) ;
  esc[i] = 0 ;
  return 1 ;
}
