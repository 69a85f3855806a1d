/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/djbunix.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/log.h"
#include "common/mbox.h"
#include "common/spamlearn.h"

int spamlearn_moved (mbox *src, size_t const *idx, size_t n, char const *root, char const *target, char const *user)
{
  unsigned int from = mbox_folder_use(root, src->folder.s), to = mbox_folder_use(root, target) ;
  uint64_t ms ;
  tain deadline, d ;
  size_t learned = 0, i = 0 ;
  int is_spam, e = 0 ;
  char const *why = 0 ;
  if (to & MBOX_USE_JUNK) is_spam = 1 ;
  else if ((from & MBOX_USE_JUNK) && !(to & MBOX_USE_TRASH)) is_spam = 0 ;
  else return -1 ;
  if (from & to & MBOX_USE_JUNK) return -1 ;   /* Junk to Junk: no new verdict */
  if (!config_get_uint("PH_LEARN_IMAP_TIMEOUT_MS", 2000, &ms) || !ms || ms > 60000) ms = 2000 ;
  tain_now_g() ;
  tain_from_millisecs(&d, (int)ms) ;
  tain_add_g(&deadline, &d) ;
  for (; i < n ; i++)
  {
    int fd = mbox_open_msg(src, idx[i]) ;
    int ok ;
    if (fd < 0) { e = errno ; why = "open" ; continue ; }
    ok = spamlearn_send(user, is_spam, fd, &deadline) ;
    if (!ok) e = errno ;
    fd_close(fd) ;
    if (ok) { learned++ ; continue ; }
    why = e == EPROTO ? spamlearn_answer : "send" ;
    if (e == ETIMEDOUT || e == ECONNREFUSED || e == ENOENT) { i++ ; break ; }   /* the learner is away: stop asking */
  }
  {
    logline l ;
    log_begin(&l, "spam_learn") ;
    log_kv(&l, "user", user) ;
    log_kv(&l, "as", is_spam ? "spam" : "ham") ;
    log_kvu(&l, "messages", n) ;
    log_kvu(&l, "learned", learned) ;
    if (learned < n)
    {
      log_kvu(&l, "not_learned", n - learned) ;
      log_kv(&l, "error", why && why != spamlearn_answer ? strerror(e) : why) ;
    }
    log_commit(&l) ;
  }
  return (int)learned ;
}
