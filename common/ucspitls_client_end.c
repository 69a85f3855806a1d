/* ISC license. */

#include <skalibs/djbunix.h>
#include <skalibs/tai.h>

#include "common/ucspitls.h"
#include "common/ucspitls-internal.h"

/* Closing our end of the plaintext pipe is tlsc's "flush and say
 * goodbye" (close_notify); closing the other tells it nobody reads any
 * more. It then exits on its own; the deadline is for a peer that will
 * not take the last bytes. */

int ucspitls_client_end (ucspitls_client *c, tain const *deadline)
{
  int r = -1 ;
  if (c->wr >= 0) fd_close(c->wr) ;
  if (c->rd >= 0) fd_close(c->rd) ;
  if (c->pid > 0) r = ucspitls_client_reap(c->pid, deadline) ;
  c->rd = c->wr = -1 ;
  c->pid = 0 ;
  c->verified = 0 ;
  c->verify_error[0] = c->peer_cn[0] = 0 ;
  return r ;
}
