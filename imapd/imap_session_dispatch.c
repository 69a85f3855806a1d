/* ISC license. */

/* Command name → handler, with the states it is valid in (RFC 9051 §6)
 * and whether "UID <name>" exists. A command in the wrong state, an
 * unknown one, or LOGIN and friends after login answer BAD. */

#include <string.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_session-internal.h"

#define A (1u << IMAP_STATE_AUTH)
#define S (1u << IMAP_STATE_SELECTED)

typedef struct imap_command_s imap_command ;
struct imap_command_s
{
  char const *name ;
  imap_cmd_func *f ;
  unsigned int states ;
  unsigned int uid : 1 ;
} ;

static imap_command const commands[] =
{
  { "APPEND", &imap_cmd_append, A|S, 0 },
  { "CAPABILITY", &imap_cmd_capability, A|S, 0 },
  { "CHECK", &imap_cmd_noop, S, 0 },
  { "CLOSE", &imap_cmd_close, S, 0 },
  { "COMPRESS", &imap_cmd_compress, A|S, 0 },
  { "COPY", &imap_cmd_copy, S, 1 },
  { "CREATE", &imap_cmd_create, A|S, 0 },
  { "DELETE", &imap_cmd_delete, A|S, 0 },
  { "ENABLE", &imap_cmd_enable, A, 0 },
  { "EXAMINE", &imap_cmd_examine, A|S, 0 },
  { "EXPUNGE", &imap_cmd_expunge, S, 1 },
  { "FETCH", &imap_cmd_fetch, S, 1 },
  { "GETQUOTA", &imap_cmd_getquota, A|S, 0 },
  { "GETQUOTAROOT", &imap_cmd_getquotaroot, A|S, 0 },
  { "ID", &imap_cmd_id, A|S, 0 },
  { "IDLE", &imap_cmd_idle, A|S, 0 },
  { "LIST", &imap_cmd_list, A|S, 0 },
  { "LOGOUT", &imap_cmd_logout, A|S, 0 },
  { "LSUB", &imap_cmd_lsub, A|S, 0 },
  { "MOVE", &imap_cmd_move, S, 1 },
  { "NAMESPACE", &imap_cmd_namespace, A|S, 0 },
  { "NOOP", &imap_cmd_noop, A|S, 0 },
  { "RENAME", &imap_cmd_rename, A|S, 0 },
  { "SEARCH", &imap_cmd_search, S, 1 },
  { "SELECT", &imap_cmd_select, A|S, 0 },
  { "SETQUOTA", &imap_cmd_setquota, A|S, 0 },
  { "SORT", &imap_cmd_sort, S, 1 },
  { "STATUS", &imap_cmd_status, A|S, 0 },
  { "STORE", &imap_cmd_store, S, 1 },
  { "SUBSCRIBE", &imap_cmd_subscribe, A|S, 0 },
  { "THREAD", &imap_cmd_thread, S, 1 },
  { "UNSELECT", &imap_cmd_unselect, S, 0 },
  { "UNSUBSCRIBE", &imap_cmd_unsubscribe, A|S, 0 },
} ;

static stralloc tagsa = STRALLOC_ZERO ;

int imap_dispatch (imap_session *s, char const *cmd, size_t len)
{
  imap_cursor c ;
  char const *tag = 0 ;
  size_t taglen = 0 ;
  char name[32] ;
  int uid = 0 ;
  int ok = imap_cursor_start(&c, cmd, len, &tag, &taglen, name, &uid) ;
  tagsa.len = 0 ;
  if (!tag || !taglen || taglen > IMAP_TAG_MAX || !stralloc_catb(&tagsa, tag, taglen)) { if (!stralloc_copys(&tagsa, "*")) return 0 ; }
  if (!stralloc_0(&tagsa)) return 0 ;
  c.utf8 = !!(s->enabled & IMAP_ENABLED_UTF8) ;
  if (!ok) return imap_bad(s, tagsa.s, &c) ;
  for (size_t i = 0 ; i < sizeof(commands) / sizeof(*commands) ; i++)
  {
    imap_command const *k = commands + i ;
    if (strcmp(name, k->name)) continue ;
    if (uid && !k->uid) return imap_tagged2(s, tagsa.s, "BAD UID ", "does not apply to this command") ;
    if (!(k->states & (1u << s->state)))
      return imap_tagged2(s, tagsa.s, "BAD ", s->state == IMAP_STATE_SELECTED ? "Command not valid in the selected state" : "No mailbox selected") ;
    return (*k->f)(s, &c, tagsa.s, uid) ;
  }
  if (!strcmp(name, "LOGIN") || !strcmp(name, "AUTHENTICATE") || !strcmp(name, "STARTTLS"))
    return imap_tagged(s, tagsa.s, "BAD Already authenticated") ;
  return imap_tagged(s, tagsa.s, "BAD Unknown command") ;
}
