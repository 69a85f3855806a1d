/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "common/bayes.h"
#include "common/log.h"
#include "spam.h"

/* The Bayes rule. Which database (docs/spam.md, "Whose database"): a
 * message for exactly one recipient uses that recipient's own database
 * once it has learned PH_BAYES_MIN_USER spam and as many ham (default
 * 50 each); otherwise, and for a message with several recipients
 * (their databases may disagree, and the message is one), the shared
 * database, which every learning feeds, once it has PH_BAYES_MIN_GLOBAL
 * of each (default 20). Below that, no Bayes rule: too little training
 * says nothing reliable. The probability gives one of SpamAssassin's
 * BAYES_xx rule names, by the same bands. */

static char const *band (double p)
{
  return p < 0.01 ? "BAYES_00" : p < 0.05 ? "BAYES_05" : p < 0.2 ? "BAYES_20" : p < 0.4 ? "BAYES_40"
    : p < 0.6 ? "BAYES_50" : p < 0.8 ? "BAYES_60" : p < 0.95 ? "BAYES_80" : p < 0.99 ? "BAYES_95"
    : p < 0.999 ? "BAYES_99" : "BAYES_999" ;
}

static int usable (bayes_db *db, char const *path, uint64_t min, char const *qid)
{
  if (!bayes_db_open(db, path))
  {
    logline l ;
    log_begin(&l, "bayes_db_error") ;
    log_kv(&l, "qid", qid) ;
    log_kv(&l, "file", path) ;
    log_kv(&l, "error", errno == EPROTO ? "not a bayes database" : strerror(errno)) ;
    log_commit(&l) ;
    return 0 ;
  }
  if (db->nspam >= min && db->nham >= min) return 1 ;
  bayes_db_close(db) ;
  return 0 ;
}

void spam_check_bayes (spam_settings const *set, spam *s, bayes_tokens const *t)
{
  static stralloc path = STRALLOC_ZERO ;
  bayes_db db ;
  bayes_result r ;
  int found = 0 ;
  if (s->nrecipients == 1 && s->recipients && spam_user_db_path(&path, set->bayes_dir, s->recipients)
   && usable(&db, path.s, set->bayes_min_user, s->qid))
  {
    s->bayes_db = "user" ;
    found = 1 ;
  }
  if (!found && spam_global_db_path(&path, set->bayes_dir) && usable(&db, path.s, set->bayes_min_global, s->qid))
  {
    s->bayes_db = "global" ;
    found = 1 ;
  }
  if (!found) return ;
  bayes_classify(&db, t, &r) ;
  bayes_db_close(&db) ;
  s->bayes_prob = r.prob ;
  spam_hit_add(s, band(r.prob)) ;
}
