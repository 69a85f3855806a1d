/* ISC license. */

#include <string.h>

#include "pop3d/pop3_cmd.h"

/* RFC 1939 §3: a keyword of three or four characters, case-insensitive,
 * then arguments separated by a space. Arguments are bounded by the
 * line; numbers are decimal, without sign, within 32 bits. PASS takes
 * the rest of the line as it is (passwords may hold spaces: RFC 1939
 * §7 allows it "as a single argument", and clients send them). */

static char const *const names[POP3_VERB_MAX + 1] =
{
  "", "USER", "PASS", "QUIT", "STAT", "LIST", "RETR", "DELE", "NOOP",
  "RSET", "TOP", "UIDL", "CAPA", "STLS", "AUTH", "APOP"
} ;

char const *pop3_cmd_name (unsigned int verb)
{
  return verb <= POP3_VERB_MAX ? names[verb] : "" ;
}

static int fail (pop3_cmd *c, char const *why)
{
  c->error = why ;
  return 0 ;
}

/* Next space-separated word of s[*pos..len): 1 with *w, *wlen; 0 if none. */
static int word (char const *s, size_t len, size_t *pos, char const **w, size_t *wlen)
{
  size_t i = *pos, j ;
  while (i < len && s[i] == ' ') i++ ;
  if (i >= len) { *pos = i ; return 0 ; }
  j = i ;
  while (j < len && s[j] != ' ') j++ ;
  *w = s + i ;
  *wlen = j - i ;
  *pos = j ;
  return 1 ;
}

static int number (char const *s, size_t len, uint32_t *u)
{
  uint64_t v = 0 ;
  if (!len || len > 10) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    if (s[i] < '0' || s[i] > '9') return 0 ;
    v = v * 10 + (uint64_t)(s[i] - '0') ;
  }
  if (v > UINT32_MAX) return 0 ;
  *u = (uint32_t)v ;
  return 1 ;
}

static int printable (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0 ;
  return 1 ;
}

/* Up to max numeric arguments, at least min; the first one a message
 * number (≥ 1). Nothing may follow. */
static int numbers (pop3_cmd *c, char const *s, size_t len, size_t pos, unsigned int min, unsigned int max)
{
  char const *w ;
  size_t wl ;
  c->nnum = 0 ;
  while (word(s, len, &pos, &w, &wl))
  {
    if (c->nnum >= max) return fail(c, "Too many arguments") ;
    if (!number(w, wl, &c->num[c->nnum])) return fail(c, c->nnum ? "Invalid number of lines" : "Invalid message number") ;
    if (!c->nnum && !c->num[0]) return fail(c, "Invalid message number") ;
    c->nnum++ ;
  }
  if (c->nnum < min) return fail(c, min == 2 ? "Message number and number of lines required" : "Message number required") ;
  return 1 ;
}

int pop3_cmd_parse (char const *s, size_t len, pop3_cmd *c)
{
  size_t klen = 0, pos ;
  c->verb = POP3_UNKNOWN ;
  c->name[0] = 0 ;
  c->nnum = 0 ;
  c->num[0] = c->num[1] = 0 ;
  c->arg = c->arg2 = 0 ;
  c->arglen = c->arg2len = 0 ;
  c->error = 0 ;
  if (len > POP3_LINE_MAX) return fail(c, "Line too long") ;
  if (!printable(s, len)) return fail(c, "Invalid characters in command") ;
  while (klen < len && s[klen] != ' ') klen++ ;
  if (!klen) return fail(c, "Empty command") ;
  if (klen < sizeof(c->name))
  {
    for (size_t i = 0 ; i < klen ; i++)
      c->name[i] = s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i] ;
    c->name[klen] = 0 ;
    if (klen <= 4)
      for (unsigned int v = 1 ; v <= POP3_VERB_MAX ; v++)
        if (!strcmp(c->name, names[v])) { c->verb = v ; break ; }
  }
  pos = klen ;
  switch (c->verb)
  {
    case POP3_UNKNOWN : return 1 ;
    case POP3_QUIT :
    case POP3_STAT :
    case POP3_NOOP :
    case POP3_RSET :
    case POP3_CAPA :
    case POP3_STLS :
    {
      char const *w ;
      size_t wl ;
      if (word(s, len, &pos, &w, &wl)) return fail(c, "No arguments allowed") ;
      return 1 ;
    }
    case POP3_LIST :
    case POP3_UIDL : return numbers(c, s, len, pos, 0, 1) ;
    case POP3_RETR :
    case POP3_DELE : return numbers(c, s, len, pos, 1, 1) ;
    case POP3_TOP : return numbers(c, s, len, pos, 2, 2) ;
    case POP3_USER :
    {
      char const *w ;
      size_t wl ;
      if (!word(s, len, &pos, &w, &wl)) return fail(c, "User name required") ;
      c->arg = w ; c->arglen = wl ;
      if (word(s, len, &pos, &w, &wl)) return fail(c, "User name may not contain spaces") ;
      return 1 ;
    }
    case POP3_PASS :
      if (klen + 1 >= len) return fail(c, "Password required") ;
      c->arg = s + klen + 1 ;
      c->arglen = len - klen - 1 ;
      return 1 ;
    case POP3_AUTH :
    {
      char const *w ;
      size_t wl ;
      if (!word(s, len, &pos, &w, &wl)) return 1 ;   /* RFC 5034 §4: AUTH alone lists the mechanisms */
      c->arg = w ; c->arglen = wl ;
      if (word(s, len, &pos, &w, &wl)) { c->arg2 = w ; c->arg2len = wl ; }
      if (word(s, len, &pos, &w, &wl)) return fail(c, "Too many arguments") ;
      return 1 ;
    }
    case POP3_APOP : return 1 ;
    default : return fail(c, "Unknown command") ;
  }
}
