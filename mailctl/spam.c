/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "common/spamlearn.h"
#include "spam.h"

/* The admin's way to train the classifier, as docker-mailserver's users
 * run `sa-learn --spam` / `rspamc learn_spam`: the message on stdin goes
 * to policyd-learn (which alone writes the databases), as root. */

#define SPAM_USAGE "mailctl spam learn spam|ham USER < message"

int mc_spam (int argc, char const *const *argv)
{
  tain deadline ;
  int is_spam ;
  if (argc != 3 || strcmp(argv[0], "learn")) strerr_dieusage(100, SPAM_USAGE) ;
  if (!strcmp(argv[1], "spam")) is_spam = 1 ;
  else if (!strcmp(argv[1], "ham")) is_spam = 0 ;
  else strerr_dieusage(100, SPAM_USAGE) ;
  config_load() ;
  tain_now_g() ;
  tain_addsec_g(&deadline, 60) ;
  if (!spamlearn_send(argv[2], is_spam, 0, &deadline))
  {
    if (errno == EPROTO && spamlearn_answer[0])
      strerr_dief3x(spamlearn_answer[0] == 'Z' ? 111 : 1, "policyd-learn said: ", spamlearn_answer + 1, "") ;
    strerr_diefu2sys(errno == ETIMEDOUT ? 99 : 111, "reach policyd-learn on ", "$PH_RUN_DIR/learn.sock") ;
  }
  if (buffer_puts(buffer_1, spamlearn_answer + 1) < 0 || buffer_puts(buffer_1, "\n") < 0 || !buffer_flush(buffer_1))
    strerr_diefu1sys(111, "write to stdout") ;
  return 0 ;
}
