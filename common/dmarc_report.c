/* ISC license. */

/* The data kept for aggregate reports (RFC 7489 §7.2): one line per
 * evaluated message, in $PH_STATE/dmarc/<YYYY-MM-DD>.log (UTC), whose
 * format docs/dmarc.md fixes. Appended with one write(2) on O_APPEND,
 * so concurrent filters never interleave; not fsynced: a line lost in
 * a crash loses one message from a statistic, nothing more. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/dmarc.h"

/* A value as one token: printable ASCII but space; anything else, and
 * the list separators "," ":" of the dkim= value, becomes "?". */
static int word (stralloc *sa, char const *s)
{
  size_t n ;
  if (!s || !*s) return stralloc_catb(sa, "-", 1) ;
  n = strlen(s) ;
  if (n > 512) n = 512 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = s[i] ;
    if ((unsigned char)c <= ' ' || (unsigned char)c >= 0x7f || c == ',' || c == ':') c = '?' ;
    if (!stralloc_catb(sa, &c, 1)) return 0 ;
  }
  return 1 ;
}

static int kv (stralloc *sa, char const *key, char const *value)
{
  return stralloc_catb(sa, " ", 1) && stralloc_cats(sa, key) && stralloc_catb(sa, "=", 1) && word(sa, value) ;
}

static int kvu (stralloc *sa, char const *key, uint64_t v)
{
  char fmt[UINT64_FMT] ;
  fmt[uint64_fmt(fmt, v)] = 0 ;
  return kv(sa, key, fmt) ;
}

int dmarc_report_line (stralloc *sa, dmarc_report const *r)
{
  dmarc_eval const *e = r->eval ;
  dmarc_record const *rec = &e->lookup.rec ;
  int haverec = e->lookup.status == DMARC_PASS ;
  char fmt[UINT64_FMT] ;
  fmt[uint64_fmt(fmt, r->now)] = 0 ;
  if (!stralloc_cats(sa, "v1 time=") || !stralloc_cats(sa, fmt)) return 0 ;
  if (!kv(sa, "qid", r->qid) || !kv(sa, "ip", r->ip)
   || !kv(sa, "header_from", e->lookup.from_domain[0] ? e->lookup.from_domain : r->from_domain)
   || !kv(sa, "envelope_from", r->envelope_from)
   || !kv(sa, "spf_domain", r->spf_domain) || !kv(sa, "spf_scope", r->spf_scope)
   || !kv(sa, "spf", r->spf_result)) return 0 ;
  if (!stralloc_cats(sa, " dkim=")) return 0 ;
  if (!r->ndkim && !stralloc_catb(sa, "-", 1)) return 0 ;
  for (unsigned int i = 0 ; i < r->ndkim ; i++)
  {
    if (i && !stralloc_catb(sa, ",", 1)) return 0 ;
    if (!word(sa, r->dkim_domain[i]) || !stralloc_catb(sa, ":", 1)
     || !word(sa, r->dkim_selector[i]) || !stralloc_catb(sa, ":", 1)
     || !word(sa, r->dkim_result[i])) return 0 ;
  }
  if (!kv(sa, "policy_domain", e->lookup.policy_domain)
   || !kv(sa, "p", haverec ? dmarc_policy_str(rec->p) : 0)
   || !kv(sa, "sp", haverec ? dmarc_policy_str(rec->sp ? rec->sp : rec->p) : 0)
   || !kv(sa, "adkim", haverec ? (rec->adkim_strict ? "s" : "r") : 0)
   || !kv(sa, "aspf", haverec ? (rec->aspf_strict ? "s" : "r") : 0)) return 0 ;
  if (haverec ? !kvu(sa, "pct", rec->pct) : !kv(sa, "pct", 0)) return 0 ;
  if (!kv(sa, "dmarc", dmarc_result_str(e->result))
   || !kv(sa, "dkim_aligned", e->dkim_aligned ? "pass" : "fail")
   || !kv(sa, "spf_aligned", e->spf_aligned ? "pass" : "fail")
   || !kv(sa, "disposition", r->disposition ? r->disposition : dmarc_policy_str(e->disposition ? e->disposition : DMARC_P_NONE))
   || !kv(sa, "reason", r->reason ? r->reason : e->sampled_out ? "sampled_out" : 0)) return 0 ;
  return stralloc_catb(sa, "\n", 1) ;
}

int dmarc_report_append (char const *statedir, dmarc_report const *r)
{
  stralloc line = STRALLOC_ZERO ;
  size_t dl = strlen(statedir) ;
  char path[dl + 32] ;
  struct tm tm ;
  time_t t = (time_t)r->now ;
  int fd ;
  if (!gmtime_r(&t, &tm)) return (errno = EINVAL, 0) ;
  memcpy(path, statedir, dl) ;
  memcpy(path + dl, "/dmarc/", 7) ;
  if (!strftime(path + dl + 7, 24, "%Y-%m-%d.log", &tm)) return (errno = EINVAL, 0) ;
  if (!dmarc_report_line(&line, r)) { stralloc_free(&line) ; return 0 ; }
  fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640) ;
  if (fd < 0) { stralloc_free(&line) ; return 0 ; }
  if (allwrite(fd, line.s, line.len) < line.len)
  {
    int e = errno ;
    fd_close(fd) ;
    stralloc_free(&line) ;
    return (errno = e, 0) ;
  }
  fd_close(fd) ;
  stralloc_free(&line) ;
  return 1 ;
}
