/* ISC license. */

/* dkimsign's faces: the plain filter, the signing service and its
 * chain client, and the verifier. */

#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <pwd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/dkim.h"
#include "common/dns.h"
#include "common/log.h"
#include "dkimsign.h"

#define ANSWER_MAX 65536
#define HELLO_MAX 256

static void deadline_from (tain *d, char const *name, unsigned int def)
{
  uint64_t s = def ;
  if (!config_get_uint(name, def, &s) || !s || s > 86400) s = def ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(d, (int)s) ;
}

/* The line end the message uses: its first line's. */
static char const *eol_of (char const *msg, size_t len)
{
  size_t e = byte_chr(msg, len, '\n') ;
  return e < len && e && msg[e-1] == '\r' ? "\r\n" : "\n" ;
}

/* A verdict text: printable, bounded (docs/filters.md: 512 bytes). */
static void clean (stralloc *sa)
{
  if (sa->len > 400) sa->len = 400 ;
  for (size_t i = 0 ; i < sa->len ; i++) if ((unsigned char)sa->s[i] < 32 || (unsigned char)sa->s[i] > 126) sa->s[i] = '?' ;
}

int ds_filter (void)
{
  /* static: what they hold lives until exit, reachable for leak checkers */
  static stralloc msg = STRALLOC_ZERO, fields = STRALLOC_ZERO, sum = STRALLOC_ZERO ;
  tain deadline ;
  int r ;
  config_load() ;
  deadline_from(&deadline, "PH_DKIM_TIMEOUT", 300) ;
  ndelay_on(0) ;
  if (!ds_read_all(0, &msg, DS_MSG_MAX, &deadline)) strerr_diefu1sys(errno == EMSGSIZE ? 100 : 111, "read the message") ;
  r = ds_sign_message(&fields, &sum, msg.s, msg.len, eol_of(msg.s, msg.len), "-") ;
  if (!stralloc_0(&sum)) strerr_diefu1sys(111, "allocate memory") ;
  if (r < 0) strerr_diefu2x(111, "sign the message: ", sum.s) ;
  if (!r) strerr_warnw2x("message left unsigned: ", sum.s) ;
  ndelay_off(1) ;
  if (allwrite(1, fields.s, fields.len) < fields.len || allwrite(1, msg.s, msg.len) < msg.len)
    strerr_diefu1sys(111, "write the message") ;
  return 0 ;
}

/* Whether the peer's uid (IPCREMOTEEUID, SO_PEERCRED) is root or in
 * list (comma-separated numbers). */
static int uid_listed (char const *list)
{
  char const *peer = getenv("IPCREMOTEEUID") ;
  uint64_t uid ;
  if (!peer || !uint640_scan(peer, &uid)) return 0 ;
  if (!uid) return 1 ;
  while (list && *list)
  {
    uint64_t u ;
    size_t n = uint64_scan(list, &u) ;
    if (!n) return 0 ;
    if (u == uid) return 1 ;
    list += n ;
    if (*list == ',') list++ ;
    else if (*list) return 0 ;
  }
  return 0 ;
}

/* Who may ask for a signature: root and PH_DKIM_UIDS (default
 * PH_DELIVER_UIDS, queued's uid). Anyone else could get any text
 * signed with our domains' keys. */
static int peer_may_sign (void)
{
  char const *list = config_get("PH_DKIM_UIDS") ;
  return uid_listed(list ? list : config_get("PH_DELIVER_UIDS")) ;
}

/* Who may ask for an ARC seal: root and PH_ARC_UIDS (default the uid of
 * phremote: deliverd-remote seals what an alias forwards). A seal is
 * our domain's word on a message's authentication results, so the same
 * care as for signatures. */
static int peer_may_seal (void)
{
  char const *list = config_get("PH_ARC_UIDS") ;
  char fmt[UINT64_FMT] ;
  if (!list)
  {
    struct passwd const *pw = getpwnam("phremote") ;
    if (!pw) return uid_listed(0) ;
    fmt[uint64_fmt(fmt, (uint64_t)pw->pw_uid)] = 0 ;
    list = fmt ;
  }
  return uid_listed(list) ;
}

/* The qid of a request line, made safe for the logs. */
static void take_qid (char *qid, size_t max, char const *s, size_t n)
{
  if (n >= max) return ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = s[i] ;
    qid[i] = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ? c : '_' ;
  }
  qid[n] = 0 ;
}

/* "arcseal 1 <qid> <alias>": the alias address, lower-cased and checked:
 * letters, digits and the characters of a dot-atom, one @, a domain. */
static int take_alias (char *alias, size_t max, char const *s, size_t n)
{
  size_t ats = 0 ;
  if (!n || n >= max) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = s[i] ;
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A' ;
    alias[i] = c ;
    if (c == '@') ats++ ;
    else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr(".-_+=!#$%&'*/?^`{|}~", c)))) return 0 ;
  }
  if (ats != 1 || s[0] == '@' || s[n-1] == '@') return 0 ;
  alias[n] = 0 ;
  return 1 ;
}

/* Requests: "dkimsign 1 <queue id or ->\n" or "arcseal 1 <queue id>
 * <alias address>\n", then the message until EOF. Answer: docs/filters.md's:
 * the fields, an empty line, the verdict. */
int ds_server (void)
{
  /* static: what they hold lives until exit, reachable for leak checkers */
  static stralloc req = STRALLOC_ZERO, out = STRALLOC_ZERO, sum = STRALLOC_ZERO ;
  char qid[64] = "-" ;
  char alias[DS_ADDR_MAX] ;
  int seal = 0 ;
  tain deadline ;
  size_t hl ;
  int r ;
  config_load() ;
  if (!peer_may_sign() && !peer_may_seal())
  {
    log_event2("dkim_refused", "peeruid", getenv("IPCREMOTEEUID"), "reason", "peer not allowed to ask for signatures") ;
    return 1 ;
  }
  deadline_from(&deadline, "PH_DKIM_TIMEOUT", 60) ;
  ndelay_on(0) ;
  ndelay_on(1) ;
  if (!ds_read_all(0, &req, DS_MSG_MAX + HELLO_MAX, &deadline))
  {
    log_event2("dkim_request_error", "reason", errno == EMSGSIZE ? "message too large" : errno == ETIMEDOUT ? "timed out" : "read error", "peeruid", getenv("IPCREMOTEEUID")) ;
    return 111 ;
  }
  hl = byte_chr(req.s, req.len < HELLO_MAX ? req.len : HELLO_MAX, '\n') ;
  if (hl < req.len && hl < HELLO_MAX && hl >= 12 && !memcmp(req.s, "dkimsign 1 ", 11))
    take_qid(qid, sizeof(qid), req.s + 11, hl - 11) ;
  else if (hl < req.len && hl < HELLO_MAX && hl >= 13 && !memcmp(req.s, "arcseal 1 ", 10))
  {
    size_t sp = 10 + byte_chr(req.s + 10, hl - 10, ' ') ;
    if (sp >= hl || !take_alias(alias, sizeof(alias), req.s + sp + 1, hl - sp - 1))
    {
      log_event1("dkim_request_error", "reason", "malformed arcseal request") ;
      return 100 ;
    }
    take_qid(qid, sizeof(qid), req.s + 10, sp - 10) ;
    seal = 1 ;
  }
  else
  {
    log_event1("dkim_request_error", "reason", "malformed request") ;
    return 100 ;
  }
  if (!(seal ? peer_may_seal() : peer_may_sign()))
  {
    log_event3("dkim_refused", "qid", qid, "peeruid", getenv("IPCREMOTEEUID"), "reason", seal ? "peer not allowed to ask for ARC seals" : "peer not allowed to ask for signatures") ;
    return 1 ;
  }
  r = seal ? ds_arc_seal(&out, &sum, req.s + hl + 1, req.len - hl - 1, eol_of(req.s + hl + 1, req.len - hl - 1), alias, qid)
           : ds_sign_message(&out, &sum, req.s + hl + 1, req.len - hl - 1, eol_of(req.s + hl + 1, req.len - hl - 1), qid) ;
  clean(&sum) ;
  if (r < 0)
  {
    out.len = 0 ;
    log_event2("dkim_tempfail", "qid", qid, "reason", "key unusable") ;
  }
  if (!stralloc_cats(&out, "\n")
   || !stralloc_cats(&out, r < 0 ? "tempfail dkimsign: " : r ? "deliver dkimsign " : seal ? "deliver dkimsign unsealed: " : "deliver dkimsign unsigned: ")
   || !stralloc_catb(&out, sum.s, sum.len)
   || !stralloc_cats(&out, "\n")) strerr_diefu1sys(111, "allocate memory") ;
  if (!r) log_event2(seal ? "arc_unsealed" : "dkim_unsigned", "qid", qid, "reason", sum.len ? (stralloc_0(&sum), sum.s) : "") ;
  if (!ds_write_all(1, out.s, out.len, &deadline)) return 111 ;
  return 0 ;
}

static int answer (char const *verdict)
{
  size_t n = strlen(verdict) ;
  return allwrite(1, verdict, n) < n ? 111 : 0 ;
}

/* The chain entry (docs/filters.md): runs as phqueue, which may not
 * read keys; passes the message to the service and its answer back. */
int ds_client (void)
{
  /* static: what they hold lives until exit, reachable for leak checkers */
  static stralloc msg = STRALLOC_ZERO, ans = STRALLOC_ZERO, path = STRALLOC_ZERO ;
  char const *rundir ;
  char const *qid = getenv("QUEUE_ID") ;
  tain deadline ;
  int fd ;
  /* a service that closes early (a refusal) must not kill us mid-write */
  if (!sig_ignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  config_load() ;
  rundir = config_get("PH_RUN_DIR") ;
  if (!rundir) return answer("tempfail dkimsign: PH_RUN_DIR is not set\n") ;
  deadline_from(&deadline, "PH_DKIM_TIMEOUT", 60) ;
  ndelay_on(0) ;
  if (!stralloc_cats(&msg, "dkimsign 1 ") || !stralloc_cats(&msg, qid && *qid && strlen(qid) < 64 ? qid : "-") || !stralloc_cats(&msg, "\n"))
    return 111 ;
  if (!ds_read_all(0, &msg, DS_MSG_MAX, &deadline))
  {
    if (errno == EMSGSIZE) return answer("deliver dkimsign unsigned: message too large to sign\n") ;
    return answer("tempfail dkimsign: unable to read the message\n") ;
  }
  if (!stralloc_cats(&path, rundir) || !stralloc_cats(&path, "/dkimsign.sock") || !stralloc_0(&path)) return 111 ;
  fd = ipc_stream_nbcoe() ;
  if (fd < 0) return answer("tempfail dkimsign: unable to create a socket\n") ;
  if (!ipc_timed_connect_g(fd, path.s, &deadline)) return answer("tempfail dkimsign: signing service unavailable\n") ;
  if (!ds_write_all(fd, msg.s, msg.len, &deadline)) return answer("tempfail dkimsign: unable to send the message to the signing service\n") ;
  fd_shutdown(fd, 1) ;
  if (!ds_read_all(fd, &ans, ANSWER_MAX, &deadline)) return answer("tempfail dkimsign: no answer from the signing service\n") ;
  fd_close(fd) ;
  /* a whole answer ends with its verdict line */
  if (!ans.len || ans.s[ans.len - 1] != '\n') return answer("tempfail dkimsign: truncated answer from the signing service\n") ;
  if (allwrite(1, ans.s, ans.len) < ans.len) return 111 ;
  return 0 ;
}

/* dkimsign -v: verifies every signature of the message on stdin, with
 * the resolver of PH_DNS_RESOLVER; prints one RFC 8601 method result
 * per signature. Exit 0 when there is at least one signature and every
 * one passes, 1 otherwise. */
int ds_verify_at (uint64_t now)
{
  static dkim_dns kd ;
  static dkim_result res[DKIM_SIGS_MAX * 2] ;
  /* static: what they hold lives until exit, reachable for leak checkers */
  static stralloc msg = STRALLOC_ZERO, out = STRALLOC_ZERO ;
  dns d = DNS_ZERO ;
  tain deadline ;
  unsigned int n = 0, passed = 0 ;
  uint64_t timeout = 5000 ;
  config_load() ;
  if (!config_get_uint("PH_DKIM_DNS_TIMEOUT_MS", 5000, &timeout) || !timeout || timeout > 60000) timeout = 5000 ;
  deadline_from(&deadline, "PH_DKIM_TIMEOUT", 300) ;
  ndelay_on(0) ;
  if (!ds_read_all(0, &msg, DKIM_BODY_MAX + (1 << 20), &deadline)) strerr_diefu1sys(111, "read the message") ;
  if (!dns_init(&d)) strerr_diefu1sys(111, "set up the DNS resolver") ;
  dkim_dns_init(&kd, &d, (unsigned int)timeout) ;
  if (!dkim_verify(msg.s, msg.len, &dkim_dns_lookup, &kd, now, res, DKIM_SIGS_MAX * 2, &n)) strerr_diefu1sys(111, "verify") ;
  if (!n) stralloc_cats(&out, "dkim=none\n") ;
  for (unsigned int i = 0 ; i < n && i < DKIM_SIGS_MAX * 2 ; i++)
  {
    dkim_result const *r = res + i ;
    stralloc_cats(&out, "dkim=") ;
    stralloc_cats(&out, dkim_result_str(r->result)) ;
    if (r->domain[0])
    {
      stralloc_cats(&out, " header.d=") ; stralloc_cats(&out, r->domain) ;
      stralloc_cats(&out, " header.s=") ; stralloc_cats(&out, r->selector) ;
      stralloc_cats(&out, " header.a=") ;
      stralloc_cats(&out, r->alg == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : r->alg == DKIM_ALG_RSA_SHA1 ? "rsa-sha1" : "rsa-sha256") ;
      stralloc_cats(&out, " header.b=") ; stralloc_cats(&out, r->bprefix) ;
    }
    if (r->why) { stralloc_cats(&out, " (") ; stralloc_cats(&out, r->why) ; stralloc_cats(&out, ")") ; }
    stralloc_cats(&out, "\n") ;
    if (r->result == DKIM_PASS) passed++ ;
  }
  dns_free(&d) ;
  if (allwrite(1, out.s, out.len) < out.len) strerr_diefu1sys(111, "write") ;
  return n && passed == n ? 0 : 1 ;
}

int ds_verify (void)
{
  return ds_verify_at((uint64_t)time(0)) ;
}
