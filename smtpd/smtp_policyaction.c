/* ISC license. */

#include <stddef.h>
#include <string.h>

#include "smtp_ascii.h"
#include "smtp_policyaction.h"

/* Postfix access(5). The action word is case-insensitive and ends at a
 * space or tab; the text after it is the reply text, which may begin
 * with an RFC 3463 code of the right class. */

static int isdigitc (char c)
{
  return c >= '0' && c <= '9' ;
}

/* "c.d.d" with 1-3 digits in each of the last two parts, then a space
 * or the end: its length, or 0. */
static size_t enhanced (char const *s, size_t len, char cls)
{
  size_t i = 0 ;
  if (len < 5 || s[0] != cls || s[1] != '.') return 0 ;
  i = 2 ;
  for (unsigned int part = 0 ; part < 2 ; part++)
  {
    size_t start = i ;
    while (i < len && isdigitc(s[i]) && i - start < 3) i++ ;
    if (i == start) return 0 ;
    if (!part)
    {
      if (i >= len || s[i] != '.') return 0 ;
      i++ ;
    }
  }
  return i == len || s[i] == ' ' || s[i] == '\t' ? i : 0 ;
}

static void refuse (smtp_policyaction *r, unsigned int code, char const *text, size_t len, char const *defenh)
{
  char cls = '0' + code / 100 ;
  size_t n = enhanced(text, len, cls) ;
  r->kind = SMTP_PA_REFUSE ;
  r->code = code ;
  if (n && n < sizeof(r->enh))
  {
    memcpy(r->enh, text, n) ;
    r->enh[n] = 0 ;
    text += n ; len -= n ;
    while (len && (*text == ' ' || *text == '\t')) { text++ ; len-- ; }
  }
  else memcpy(r->enh, defenh, strlen(defenh) + 1) ;
  r->text = text ;
  r->textlen = len ;
}

int smtp_policyaction_header_valid (char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len && s[i] != ':')
  {
    unsigned char c = (unsigned char)s[i] ;
    if (c < 33 || c > 126) return 0 ;
    i++ ;
  }
  if (!i || i == len) return 0 ;
  for (i++ ; i < len ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    if ((c < 32 && c != '\t') || c == 127) return 0 ;
  }
  return 1 ;
}

unsigned int smtp_policyaction_parse (char const *action, smtp_policyaction *r)
{
  size_t len = strlen(action) ;
  size_t w = 0 ;
  char const *text ;
  size_t textlen ;
  memset(r, 0, sizeof(*r)) ;
  r->text = action + len ;
  while (w < len && action[w] != ' ' && action[w] != '\t') w++ ;
  text = action + w ;
  textlen = len - w ;
  while (textlen && (*text == ' ' || *text == '\t')) { text++ ; textlen-- ; }
  r->text = text ;
  r->textlen = textlen ;

  if (w == 3 && (action[0] == '4' || action[0] == '5') && isdigitc(action[1]) && isdigitc(action[2]))
  {
    /* "4NN text" / "5NN text": the text is required */
    if (!textlen) return (r->kind = SMTP_PA_BAD) ;
    refuse(r, (unsigned int)(action[0] - '0') * 100 + (unsigned int)(action[1] - '0') * 10 + (unsigned int)(action[2] - '0'), text, textlen, action[0] == '4' ? "4.7.1" : "5.7.1") ;
    return r->kind ;
  }
  if (ascii_caseeq(action, w, "ok") || ascii_caseeq(action, w, "dunno") || ascii_caseeq(action, w, "defer_if_reject"))
    return (r->kind = SMTP_PA_ACCEPT) ;
  /* Postfix's defaults: access_map_reject_code 554, access_map_defer_code 450 */
  if (ascii_caseeq(action, w, "reject")) { refuse(r, 554, text, textlen, "5.7.1") ; return r->kind ; }
  if (ascii_caseeq(action, w, "defer") || ascii_caseeq(action, w, "defer_if_permit")) { refuse(r, 450, text, textlen, "4.7.1") ; return r->kind ; }
  if (ascii_caseeq(action, w, "prepend"))
    return (r->kind = smtp_policyaction_header_valid(text, textlen) ? SMTP_PA_PREPEND : SMTP_PA_BAD) ;
  if (ascii_caseeq(action, w, "warn") || ascii_caseeq(action, w, "info")) return (r->kind = SMTP_PA_WARN) ;
  if (ascii_caseeq(action, w, "hold")) return (r->kind = SMTP_PA_HOLD) ;
  if (ascii_caseeq(action, w, "discard")) return (r->kind = SMTP_PA_DISCARD) ;
  /* FILTER, REDIRECT, BCC, ...: not done here; never pretend */
  return (r->kind = SMTP_PA_BAD) ;
}
