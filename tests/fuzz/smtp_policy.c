/* ISC license. */

/* libFuzzer harness for the policy service's answers: the reply parser
 * (common/policyclient_reply_parse.c) and the action interpreter
 * (smtpd/smtp_policyaction.c). Input: one byte for the action buffer's
 * size, then bytes as the service might send them. Invariants: a reply
 * is judged only once complete, its length ends right after its empty
 * line, the action is NUL-terminated and fits; every action maps to one
 * kind, a refusal has a 4xx/5xx code with an enhanced code of the same
 * class and a text inside the action, and a PREPEND carries a header
 * line that cannot break the message (no CR, LF or other control). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/policyclient.h"
#include "smtpd/smtp_policyaction.h"

#define die() abort()

static void check_action (char const *action)
{
  smtp_policyaction pa ;
  size_t len = strlen(action) ;
  unsigned int k = smtp_policyaction_parse(action, &pa) ;
  if (k != pa.kind || k > SMTP_PA_BAD) die() ;
  if (pa.text < action || pa.text + pa.textlen > action + len) die() ;
  if (k == SMTP_PA_REFUSE)
  {
    size_t n = strlen(pa.enh) ;
    if (pa.code < 400 || pa.code > 599) die() ;
    if (n < 5 || n >= sizeof(pa.enh) || pa.enh[0] != (char)('0' + pa.code / 100) || pa.enh[1] != '.') die() ;
  }
  if (k == SMTP_PA_PREPEND)
  {
    if (!smtp_policyaction_header_valid(pa.text, pa.textlen)) die() ;
    for (size_t i = 0 ; i < pa.textlen ; i++)
    {
      unsigned char c = (unsigned char)pa.text[i] ;
      if ((c < 32 && c != '\t') || c == 127) die() ;
    }
    if (!memchr(pa.text, ':', pa.textlen)) die() ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char *buf ;
  char *action ;
  size_t max ;
  ssize_t r ;
  if (!size) return 0 ;
  max = 2 + data[0] % 200 ;
  size-- ;
  buf = malloc(size ? size : 1) ;
  action = malloc(max) ;
  if (!buf || !action) die() ;
  memcpy(buf, data + 1, size) ;
  r = policyclient_reply_parse(buf, size, action, max) ;
  if (r > 0)
  {
    size_t n = (size_t)r ;
    size_t alen = strnlen(action, max) ;
    if (n > size || buf[n - 1] != '\n') die() ;
    /* the end is an empty line: LF LF, or LF CR LF, or a first line that is empty */
    if (!(n == 1 || buf[n - 2] == '\n' || (n >= 2 && buf[n - 2] == '\r' && (n == 2 || buf[n - 3] == '\n')))) die() ;
    if (alen >= max || !alen) die() ;
    /* a prefix that stops before the end is not complete yet */
    if (policyclient_reply_parse(buf, n - 1, action, max) != 0) die() ;
    if (!memchr(action, '\n', alen)) check_action(action) ;
    else die() ;
  }
  else if (r < 0 && r != -1) die() ;
  /* Any NUL-terminated text as an action. */
  {
    char *a = malloc(size + 1) ;
    if (!a) die() ;
    memcpy(a, data + 1, size) ;
    a[size] = 0 ;
    check_action(a) ;
    free(a) ;
  }
  free(buf) ;
  free(action) ;
  return 0 ;
}
