/* ISC license. */

#include <string.h>
#include <skalibs/types.h>

#include "common/filterreq.h"

char const *const filterreq_names[FILTERREQ_VARS + 1] =
{
  "QUEUE_ID", "SENDER", "RECIPIENTS", "RECIPIENT_COUNT", "CLIENT_IP", "HELO",
  "AUTH_USER", "PROTOCOL", "DIRECTION", "FILTER_STAGE", "FILTER_REMOVE", 0
} ;

/* The index of the name e starts with ("NAME="), or -1. */
static int var_index (char const *e, size_t len)
{
  for (unsigned int i = 0 ; i < FILTERREQ_VARS ; i++)
  {
    size_t n = strlen(filterreq_names[i]) ;
    if (len > n && e[n] == '=' && !memcmp(e, filterreq_names[i], n)) return (int)i ;
  }
  return -1 ;
}

int filterreq_is_var (char const *e)
{
  return var_index(e, strlen(e)) >= 0 ;
}

int filterreq_parse (char const *s, size_t len, filterreq *r, char const **why)
{
  size_t pos = 0 ;
  unsigned int field = 0 ;
  unsigned int seen = 0 ;
  if (len > FILTERREQ_MAX) { *why = "request too long" ; return 0 ; }
  if (!len || s[len - 1]) { *why = "request not NUL-terminated" ; return 0 ; }
  r->nvars = 0 ;
  r->command = 0 ;
  while (pos < len)
  {
    char const *e = s + pos ;
    size_t n = strlen(e) ;   /* stops at the final NUL at the latest */
    pos += n + 1 ;
    switch (field++)
    {
      case 0 :
        if (!strcmp(e, "inbound")) r->outbound = 0 ;
        else if (!strcmp(e, "outbound")) r->outbound = 1 ;
        else { *why = "unknown chain" ; return 0 ; }
        break ;
      case 1 :
        if (!n || n > 2 || uint_scan(e, &r->stage) != n || r->stage >= FILTERCHAIN_MAX) { *why = "bad stage" ; return 0 ; }
        break ;
      case 2 :
        if (!n || e[0] != '/' || n > FILTERCHAIN_COMMAND_MAX) { *why = "bad command" ; return 0 ; }
        r->command = e ;
        break ;
      default :
      {
        int i = var_index(e, n) ;
        size_t vlen ;
        if (i < 0) { *why = "variable not allowed" ; return 0 ; }
        if (seen & (1u << i)) { *why = "variable given twice" ; return 0 ; }
        seen |= 1u << i ;
        vlen = n - strlen(filterreq_names[i]) - 1 ;
        if (vlen > (!strcmp(filterreq_names[i], "RECIPIENTS") ? FILTERREQ_RECIPIENTS_MAX : FILTERREQ_VALUE_MAX))
        { *why = "variable too long" ; return 0 ; }
        r->vars[r->nvars++] = e ;
        break ;
      }
    }
  }
  if (field < 3) { *why = "request too short" ; return 0 ; }
  return 1 ;
}
