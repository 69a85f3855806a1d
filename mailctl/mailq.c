/* ISC license. */

/* mailq: the queue as Postfix's mailq shows it (postqueue -p layout):
 * the same listing as "mailctl queue list", asked of queued through its
 * control socket ($PH_QUEUE_DIR/control).
 *
 * Security: run by root (the control socket lives in the queue directory,
 * mode 0700, and queued accepts only root and its own uid). It trusts its
 * environment for PH_QUEUE_DIR; it reads queued's answer bounded in size
 * and time and prints it with control bytes escaped by queued. It writes
 * nothing. A compromise is one of the admin who ran it. */

#include <skalibs/strerr.h>

#include "cmd_queue.h"

int main (int argc, char const *const *argv)
{
  PROG = "mailq" ;
  return mc_mailq(argc, argv) ;
}
