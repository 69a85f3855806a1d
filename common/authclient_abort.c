/* ISC license. */

#include "common/authclient.h"

/* The protocol has no way to cancel a request, and authd keeps an
 * unanswered one until the connection ends (16 at most): end it. */

void authclient_abort (authclient *ac)
{
  authclient_close(ac) ;
}
