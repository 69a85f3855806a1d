/* ISC license. */

/* policyd-filter: the inbound content check in queued's chain
 * (docs/filters.md): SPF, DKIM, ARC and DMARC for a message from
 * outside, answered as an Authentication-Results field (RFC 8601) with
 * our host name as authserv-id, a Received-SPF field, and a verdict
 * (DMARC reject: junk or discard; quarantine: junk; else deliver).
 * policyd/README.md, "policyd-filter"; docs/dmarc.md.
 *
 * Security: run for queued's chain as phfilter (by filterrun on
 * filter.sock, docs/filters.md), one process per message. It trusts its
 * environment (filterrun's plus the envelope variables queued sends: the envelope
 * fields come from smtpd through the queue) and the config; the
 * message and every DNS answer are untrusted: the message is read
 * bounded (POSTFIX_MESSAGE_SIZE_LIMIT plus what earlier filters added;
 * past that it is not verified), header fields are parsed with the
 * bounds of common/dkim.h and common/arc.h, DNS answers with those of
 * common/dns.h and common/spf.h, all lookups within PH_AUTH_TIMEOUT_MS.
 * It holds no key. It writes its answer on stdout, its log on stderr,
 * and one line per message with a DMARC policy to
 * $PH_STATE/dmarc/<date>.log (phfilter's directory). A compromise gives
 * phfilter's powers: wrong verdicts and fields for the messages being
 * filtered (as any filter of the chain could), the DMARC report lines;
 * not the queue (phfilter cannot read it), the keys or the mailboxes. */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <skalibs/buffer.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/authres.h"
#include "common/config.h"
#include "common/psl.h"
#include "filter.h"

/* queued's envelope variables: the environment only (an unset or empty
 * one must not be looked up in mailserver.env, as config_get would) */
static char const *env (char const *name)
{
  char const *v = getenv(name) ;
  return v ? v : "" ;
}

static void answer (stralloc const *fields, char const *verdict, char const *reason, stralloc const *removes)
{
  if ((fields->len && (buffer_put(buffer_1, fields->s, fields->len) < 0 || buffer_puts(buffer_1, "\n") < 0))
   || buffer_puts(buffer_1, verdict) < 0
   || (reason && (buffer_puts(buffer_1, " ") < 0 || buffer_puts(buffer_1, reason) < 0))
   || buffer_puts(buffer_1, "\n") < 0
   || (removes && removes->len && buffer_put(buffer_1, removes->s, removes->len) < 0)
   || !buffer_flush(buffer_1))
    strerr_diefu1sys(111, "write the answer") ;
}

/* RFC 8601 §5: an Authentication-Results field that claims our
 * authserv-id and did not come from us is a forgery; queued drops the
 * ones we name (docs/filters.md "remove", offered with FILTER_REMOVE=1).
 * Fields are counted in the header as we read it, from the top; at most
 * 16 (the protocol's bound: more forged fields than that stay, and the
 * ones we add are still the topmost). */
static int forged_authres (stralloc *out, filter const *f)
{
  char const *h = f->msg.s ;
  size_t len = f->msg.len, pos = 0 ;
  unsigned int n = 0, lines = 0 ;
  stralloc v = STRALLOC_ZERO ;
  char fmt[UINT_FMT] ;
  while (pos < len && h[pos] != '\n' && lines < 16)
  {
    size_t start = pos ;
    do
    {
      char const *nl = memchr(h + pos, '\n', len - pos) ;
      pos = nl ? (size_t)(nl - h) + 1 : len ;
    } while (pos < len && (h[pos] == ' ' || h[pos] == '\t')) ;
    if (pos - start > 23 && !strncasecmp(h + start, "Authentication-Results:", 23))
    {
      n++ ;
      v.len = 0 ;
      for (size_t i = start + 23 ; i < pos ; i++)
        if (h[i] != '\n' && h[i] != '\r' && !stralloc_catb(&v, h[i] == '\t' ? " " : h + i, 1)) goto err ;
      if (authres_claims(v.s, v.len, f->hostname))
      {
        if (!stralloc_cats(out, "remove Authentication-Results ") || !stralloc_catb(out, fmt, uint_fmt(fmt, n)) || !stralloc_catb(out, "\n", 1)) goto err ;
        lines++ ;
      }
    }
  }
  stralloc_free(&v) ;
  return 1 ;
 err:
  stralloc_free(&v) ;
  return 0 ;
}

int main (void)
{
  static filter f ;
  static filter_dns fd ;
  static dns resolver = DNS_ZERO ;
  stralloc fields = STRALLOC_ZERO ;
  uint64_t limit, total_ms, lookup_ms ;
  char const *dir, *verdict, *reason ;
  tain deadline ;
  int have_dns ;
  PROG = "policyd-filter" ;
  config_load() ;
  dir = getenv("DIRECTION") ;
  if (dir && !strcmp(dir, "outbound"))
  {
    /* our own users' mail: signed by dkimsign, not judged */
    answer(&fields, "deliver", "outbound: not checked", 0) ;
    return 0 ;
  }
  if (!config_get_size("POSTFIX_MESSAGE_SIZE_LIMIT", 10240000, &limit)) strerr_dief1x(100, "bad POSTFIX_MESSAGE_SIZE_LIMIT") ;
  if (!limit || limit > ((uint64_t)1 << 32)) limit = (uint64_t)1 << 32 ;   /* 0 is "no limit" in docker-mailserver */
  if (!config_get_uint("PH_AUTH_TIMEOUT_MS", 30000, &total_ms) || !total_ms || total_ms > 600000) strerr_dief1x(100, "bad PH_AUTH_TIMEOUT_MS") ;
  if (!config_get_uint("PH_DNS_TIMEOUT_MS", 5000, &lookup_ms) || !lookup_ms || lookup_ms > 60000) strerr_dief1x(100, "bad PH_DNS_TIMEOUT_MS") ;
  if (!psl_load()) strerr_diefu2sys(111, "read the public suffix list ", "(publicsuffix package, or PH_PSL_FILE)") ;

  f.qid = env("QUEUE_ID") ;
  f.ip = env("CLIENT_IP") ;
  f.helo = env("HELO") ;
  f.sender = env("SENDER") ;
  f.hostname = config_hostname() ;
  f.now = (uint64_t)time(0) ;
  filter_read(&f, (size_t)limit + FILTER_EXTRA) ;

  have_dns = dns_init(&resolver) ;
  if (!have_dns) strerr_warnwu1sys("set up the DNS resolver (results will be temperror)") ;
  filter_dns_init(&fd, have_dns ? &resolver : 0, (unsigned int)lookup_ms, (unsigned int)total_ms) ;
  deadline = fd.deadline ;
  filter_check(&f, have_dns ? &resolver : 0, &fd, &deadline) ;

  verdict = filter_verdict(&f, &reason) ;
  if (!filter_authres(&fields, &f)) strerr_diefu1sys(111, "format Authentication-Results") ;
  filter_report(&f, verdict) ;
  {
    stralloc removes = STRALLOC_ZERO ;
    char const *offered = getenv("FILTER_REMOVE") ;
    if (offered && !strcmp(offered, "1") && !forged_authres(&removes, &f)) strerr_diefu1sys(111, "list the forged Authentication-Results fields") ;
    answer(&fields, verdict, reason, &removes) ;
    stralloc_free(&removes) ;
  }
  if (have_dns) dns_free(&resolver) ;
  return 0 ;
}
