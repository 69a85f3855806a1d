/* ISC license. */

/* policyd-learn: the Bayes learner (docs/spam.md, "Learning"), one
 * process per connection on $PH_RUN_DIR/learn.sock under s6-ipcserver.
 * imap-session asks it to learn a message as spam when a user moves it
 * into Junk, as ham when out of Junk (but not into Trash); `mailctl spam
 * learn` does the same for an admin. Protocol: common/spamlearn.h.
 *
 * Security: runs as phbayes, the only writer of $PH_STATE/bayes (the
 * token databases: hashes and counts, never words). It trusts the
 * kernel's word on its peer (IPCREMOTEEUID): root and PH_LEARN_UIDS
 * (vmail) only, anyone else is refused before reading a byte. The
 * request and the message are untrusted even from them (a user's mail
 * is anyone's text): the line is bounded (512 bytes), the message
 * (SPAMLEARN_MESSAGE_MAX, the rest dropped), the whole request by
 * PH_LEARN_TIMEOUT (default 30 s); the tokenizer is bounded
 * (common/bayes.h), the databases by PH_BAYES_MAX_TOKENS. A compromise
 * gives the power to skew every user's spam filter, nothing else: no
 * mailbox, no key, no queue. */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/bayes.h"
#include "common/config.h"
#include "common/lineio.h"
#include "common/log.h"
#include "learn.h"

static void reply (char const *text, tain const *deadline)
{
  if (!lineio_puts(buffer_1, text, deadline) || !lineio_puts(buffer_1, "\n", deadline))
    log_event1("learn_reply_failed", "error", strerror(errno)) ;
}

int main (void)
{
  static learn_request r ;
  char const *uid, *why = 0 ;
  uint64_t timeout ;
  unsigned int ntokens = 0 ;
  int outcome = 0 ;
  tain deadline ;
  PROG = "policyd-learn" ;
  umask(022) ;
  config_load() ;
  if (!config_get_uint("PH_LEARN_TIMEOUT", 30, &timeout) || !timeout || timeout > 3600) strerr_dief1x(100, "bad PH_LEARN_TIMEOUT") ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "set the connection non-blocking") ;
  tain_now_g() ;
  tain_addsec_g(&deadline, timeout) ;
  if (!learn_peer_allowed(&uid))
  {
    log_event2("learn_refused", "uid", uid, "reason", "uid not allowed (root, PH_LEARN_UIDS)") ;
    reply("Dnot allowed", &deadline) ;
    return 1 ;
  }
  if (!learn_read(&r, &deadline, &why))
  {
    log_event2("learn_failed", "uid", uid, "reason", why + 1) ;
    reply(why, &deadline) ;
    return 1 ;
  }
  if (!learn_store(&r, &ntokens, &outcome))
  {
    int e = errno ;
    logline l ;
    log_begin(&l, "learn_failed") ;
    log_kv(&l, "uid", uid) ;
    log_kv(&l, "user", r.user) ;
    log_kv(&l, "error", strerror(e)) ;
    log_commit(&l) ;
    reply(e == EPROTO ? "Zdamaged database: remove it" : "Ztemporary failure", &deadline) ;
    return 111 ;
  }
  {
    logline l ;
    log_begin(&l, "learned") ;
    log_kv(&l, "as", r.is_spam ? "spam" : "ham") ;
    log_kv(&l, "user", r.user) ;
    log_kv(&l, "uid", uid) ;
    log_kvu(&l, "bytes", r.msg.len) ;
    log_kvu(&l, "tokens", ntokens) ;
    log_kv(&l, "was", outcome == BAYES_LEARN_ALREADY ? "already" : outcome == BAYES_LEARN_RELEARNED ? "relearned" : "new") ;
    if (r.truncated) log_kv(&l, "truncated", "1") ;
    log_commit(&l) ;
  }
  reply(outcome == BAYES_LEARN_ALREADY ? (r.is_spam ? "Kalready learned as spam" : "Kalready learned as ham")
    : outcome == BAYES_LEARN_RELEARNED ? (r.is_spam ? "Krelearned as spam" : "Krelearned as ham")
    : r.is_spam ? "Klearned as spam" : "Klearned as ham", &deadline) ;
  return 0 ;
}
