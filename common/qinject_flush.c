/* ISC license. */

#include <skalibs/buffer.h>
#include <skalibs/tai.h>
#include <skalibs/unix-timed.h>

#include "common/qinject-internal.h"

/* The buffer otherwise leaves only when 64 KiB have gathered: queued
 * would see the envelope after the client's first 64 KiB of message,
 * a refusal of it just as late, and a slow client would starve
 * queued-inject's idle clock although bytes keep coming. */

int qinject_flush (qinject *q, int endenvelope, tain const *deadline)
{
  if (endenvelope && !q->inmessage)
  {
    if (!qinject_netstring(q, 0, "", 0, deadline)) return 0 ;  /* ends the envelope */
    q->inmessage = 1 ;
  }
  return buffer_timed_flush(&q->out, deadline, &STAMP) ;
}
