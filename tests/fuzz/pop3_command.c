/* ISC license. */

/* libFuzzer harness for the POP3 command parser shared by pop3d and
 * pop3-session (pop3d/pop3_cmd.c). Lines reach it without CR, LF or NUL
 * (lineio and the callers refuse those first), so the harness does too;
 * everything else is arbitrary. Invariants: a verb in range, pointers
 * inside the line, message numbers ≥ 1, the argument counts each verb
 * allows, an error text on refusal; and pop3_uidl_fmt's output is
 * sixteen lower-case hex digits that read back as the two numbers. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3d/pop3_cmd.h"
#include "pop3d/pop3_session.h"

#define die() abort()

static int inside (char const *p, size_t n, char const *line, size_t len)
{
  return p >= line && p + n <= line + len ;
}

static uint32_t unhex8 (char const *s)
{
  uint32_t v = 0 ;
  for (unsigned int i = 0 ; i < 8 ; i++)
  {
    char c = s[i] ;
    if (c >= '0' && c <= '9') v = (v << 4) | (uint32_t)(c - '0') ;
    else if (c >= 'a' && c <= 'f') v = (v << 4) | (uint32_t)(c - 'a' + 10) ;
    else die() ;
  }
  return v ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char *line ;
  pop3_cmd c ;
  int r ;
  if (memchr(data, '\r', size) || memchr(data, '\n', size) || memchr(data, 0, size)) return 0 ;
  /* an exact-size copy, so ASan sees any read past the line */
  line = malloc(size ? size : 1) ;
  if (!line) die() ;
  memcpy(line, data, size) ;
  r = pop3_cmd_parse(line, size, &c) ;
  if (c.verb > POP3_VERB_MAX) die() ;
  if (strlen(c.name) > 8) die() ;
  if (!r)
  {
    if (!c.error || !c.error[0]) die() ;
  }
  else
  {
    if (c.error) die() ;
    if (c.arg && !inside(c.arg, c.arglen, line, size)) die() ;
    if (c.arg2 && !inside(c.arg2, c.arg2len, line, size)) die() ;
    if (c.arg2 && !c.arg) die() ;
    switch (c.verb)
    {
      case POP3_RETR : case POP3_DELE : if (c.nnum != 1 || !c.num[0]) die() ; break ;
      case POP3_TOP : if (c.nnum != 2 || !c.num[0]) die() ; break ;
      case POP3_LIST : case POP3_UIDL : if (c.nnum > 1 || (c.nnum && !c.num[0])) die() ; break ;
      case POP3_USER : if (!c.arg || !c.arglen || memchr(c.arg, ' ', c.arglen)) die() ; break ;
      case POP3_PASS : if (!c.arg || !c.arglen) die() ; break ;
      case POP3_QUIT : case POP3_STAT : case POP3_NOOP : case POP3_RSET : case POP3_CAPA : case POP3_STLS :
        if (c.nnum || c.arg) die() ;
        break ;
      default : break ;
    }
    if (c.verb != POP3_UNKNOWN && strcmp(c.name, pop3_cmd_name(c.verb))) die() ;
  }
  if (size >= 8)
  {
    char u[POP3_UIDL_LEN] ;
    uint32_t a, b ;
    memcpy(&a, data, 4) ;
    memcpy(&b, data + 4, 4) ;
    pop3_uidl_fmt(u, a, b) ;
    if (unhex8(u) != a || unhex8(u + 8) != b) die() ;
  }
  free(line) ;
  return 0 ;
}
