/* ISC license. */

#include <string.h>
#include <strings.h>

#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/log.h"
#include "authd.h"
#include "authd-internal.h"

/* The dispatcher: one client line at a time. Lines are
 *   command TAB param TAB param ...
 * (Dovecot Authentication Protocol, "General"). The client must open with
 * VERSION (major 1) and CPID before any AUTH or CONT; a line the server
 * cannot make sense of at the connection level (unknown command, bad
 * handshake, duplicate or out-of-range request id, too many requests,
 * a NUL byte, a line over AUTHD_LINE_MAX) ends the connection, as Dovecot
 * does; a problem within one request only fails that request. */

static int proto_error (char const *reason, char const *cmd)
{
  logline l ;
  log_begin(&l, "auth_proto_error") ;
  log_kv(&l, "reason", reason) ;
  if (cmd) log_kvn(&l, "cmd", cmd, strnlen(cmd, 32)) ;
  log_commit(&l) ;
  return 0 ;
}

static int bug (void)
{
  return proto_error("internal: answer queue full or answer too long", 0) ;
}

static void copy_bounded (char *dst, size_t max, char const *src)
{
  size_t n = strnlen(src, max - 1) ;
  memcpy(dst, src, n) ;
  dst[n] = 0 ;
}

static int scan_id (char const *s, uint32_t *id)
{
  size_t n = strlen(s) ;
  return n && n <= 10 && uint32_scan(s, id) == n ;
}

static authd_req *find_req (authd *a, uint32_t id)
{
  for (unsigned int i = 0 ; i < AUTHD_REQ_MAX ; i++)
    if (a->req[i].inuse && a->req[i].id == id) return a->req + i ;
  return 0 ;
}

static int do_auth (authd *a, char **f, unsigned int n, tain const *now)
{
  authd_req *r = 0 ;
  char const *resp = 0 ;
  int mech, have_service = 0 ;
  uint32_t id ;
  if (n < 3 || !scan_id(f[1], &id)) return proto_error("malformed AUTH", f[0]) ;
  if (find_req(a, id)) return proto_error("duplicate request id", f[0]) ;
  for (unsigned int i = 0 ; i < AUTHD_REQ_MAX ; i++)
    if (!a->req[i].inuse) { r = a->req + i ; break ; }
  if (!r) return proto_error("too many requests in progress", f[0]) ;
  if (!strcasecmp(f[2], "PLAIN")) mech = AUTHD_MECH_PLAIN ;
  else if (!strcasecmp(f[2], "LOGIN")) mech = AUTHD_MECH_LOGIN ;
  else mech = 0 ;
  r->id = id ;
  r->mech = mech ;
  r->step = 0 ;
  r->secured = 0 ;
  r->ticket = 0 ;
  r->namelen = 0 ;
  r->denied = 0 ;
  r->service[0] = r->rip[0] = r->lip[0] = r->claimed[0] = 0 ;
  /* Optional parameters: booleans or name=value; unknown ones are
   * ignored, as the protocol asks. */
  for (unsigned int i = 3 ; i < n ; i++)
  {
    if (!strncmp(f[i], "service=", 8)) { copy_bounded(r->service, sizeof(r->service), f[i] + 8) ; have_service = 1 ; }
    else if (!strncmp(f[i], "rip=", 4))
    {
      /* Only a daemon that got the address from the kernel may name the
       * client: anyone else could get any address banned (banwatch bans
       * what authd reports). */
      if (a->rip_untrusted) copy_bounded(r->claimed, sizeof(r->claimed), f[i] + 4) ;
      else copy_bounded(r->rip, sizeof(r->rip), f[i] + 4) ;
    }
    else if (!strncmp(f[i], "lip=", 4)) copy_bounded(r->lip, sizeof(r->lip), f[i] + 4) ;
    else if (!strcmp(f[i], "secured")) r->secured = 1 ;
    else if (!strcmp(f[i], "ticket")) r->ticket = 1 ;
    else if (!strncmp(f[i], "resp=", 5)) resp = f[i] + 5 ;
  }
  if (!have_service || !r->service[0]) return proto_error("AUTH without service", f[0]) ;
  r->inuse = 1 ;
  if (!mech)
    return authd_req_fail(a, r, now, 0, 0, "unsupported_mechanism", "Unsupported authentication mechanism") || bug() ;
  {
    size_t len = 0 ;
    int ok ;
    if (resp && !authd_b64_decode(resp, strlen(resp), a->scratch, &len))
      return authd_req_fail(a, r, now, 0, 0, "bad_base64", "Invalid base64 data in initial response") || bug() ;
    ok = authd_mech_start(a, r, now, a->scratch, len, !!resp) ;
    explicit_bzero(a->scratch, len) ;
    return ok || bug() ;
  }
}

static int do_cont (authd *a, char **f, unsigned int n, tain const *now)
{
  authd_req *r ;
  char const *data = n >= 3 ? f[2] : "" ;
  size_t len = 0 ;
  uint32_t id ;
  int ok ;
  if (n < 2 || !scan_id(f[1], &id)) return proto_error("malformed CONT", f[0]) ;
  r = find_req(a, id) ;
  if (!r)
  {
    /* Dovecot answers a CONT for a request it no longer has with a FAIL
     * (the request timed out or already ended); so do we. */
    proto_error("CONT for no request in progress", f[0]) ;
    return authd_reply_fail(a, now, id, 0, "Unknown authentication request", 0) || bug() ;
  }
  if (!authd_b64_decode(data, strlen(data), a->scratch, &len))
    return authd_req_fail(a, r, now, 0, 0, "bad_base64", "Invalid base64 data in continued response") || bug() ;
  ok = authd_mech_continue(a, r, now, a->scratch, len) ;
  explicit_bzero(a->scratch, len) ;
  return ok || bug() ;
}

static int do_line (authd *a, char *s, size_t len, tain const *now)
{
  char *f[AUTHD_FIELDS_MAX] ;
  unsigned int n = 0 ;
  if (memchr(s, 0, len)) return proto_error("NUL byte in line", 0) ;
  f[n++] = s ;
  for (size_t i = 0 ; i < len ; i++)
    if (s[i] == '\t')
    {
      if (n >= AUTHD_FIELDS_MAX) return proto_error("too many fields", f[0]) ;
      s[i] = 0 ;
      f[n++] = s + i + 1 ;
    }
  if (!strcmp(f[0], "VERSION"))
  {
    if (a->version) return proto_error("duplicate VERSION", f[0]) ;
    /* Major versions must match; the minor one is ignored. */
    if (n < 3 || strcmp(f[1], "1")) return proto_error("unsupported protocol version", f[0]) ;
    a->version = 1 ;
    return 1 ;
  }
  if (!a->version) return proto_error("no VERSION first", f[0]) ;
  if (!strcmp(f[0], "CPID"))
  {
    uint32_t pid ;
    if (a->cpid) return proto_error("duplicate CPID", f[0]) ;
    if (n < 2 || !scan_id(f[1], &pid)) return proto_error("malformed CPID", f[0]) ;
    a->cpid = 1 ;
    return 1 ;
  }
  if (!a->cpid) return proto_error("no CPID before requests", f[0]) ;
  if (!strcmp(f[0], "AUTH")) return do_auth(a, f, n, now) ;
  if (!strcmp(f[0], "CONT")) return do_cont(a, f, n, now) ;
  return proto_error("unknown command", f[0]) ;
}

int authd_feed (authd *a, tain const *now)
{
  size_t start = 0 ;
  size_t from = a->scanned < a->inlen ? a->scanned : 0 ;
  int ok = 1 ;
  /* `from` skips what earlier calls already searched for an LF, so a
   * client trickling a long line byte by byte costs linear time. */
  while (ok && a->rcount < AUTHD_REPLY_SLOTS)
  {
    char *nl = memchr(a->in + from, '\n', a->inlen - from) ;
    size_t end ;
    if (!nl) { from = a->inlen ; break ; }
    end = nl - a->in ;
    *nl = 0 ;
    ok = do_line(a, a->in + start, end - start, now) ;
    start = from = end + 1 ;
  }
  if (ok && from == a->inlen && a->inlen - start >= AUTHD_LINE_MAX)
    ok = proto_error("line too long", 0) ;
  /* What was read of the lines handled (passwords included) goes. */
  memmove(a->in, a->in + start, a->inlen - start) ;
  explicit_bzero(a->in + a->inlen - start, start) ;
  a->inlen -= start ;
  a->scanned = from - start ;
  return ok ;
}

void authd_set_ticket (authd *a, authd_ticket_func *f, void *ctx)
{
  a->ticket = f ;
  a->ticketctx = ctx ;
}

void authd_set_local (authd *a, char const *peer, authd_local_begin_func *begin, authd_local_end_func *end, void *ctx)
{
  a->rip_untrusted = 1 ;
  a->peer = peer ;
  a->localbegin = begin ;
  a->localend = end ;
  a->localctx = ctx ;
}

int authd_wants_input (authd const *a)
{
  return a->inlen < AUTHD_LINE_MAX && a->rcount < AUTHD_REPLY_SLOTS ;
}

void authd_init (authd *a, tain const *now, tain const *faildelay, authd_lookup_func *lookup, void *lookupctx, uint32_t spid, uint32_t cuid, char const *cookie)
{
  char spidfmt[UINT32_FMT], cuidfmt[UINT32_FMT] ;
  a->inlen = 0 ;
  a->scanned = 0 ;
  a->version = 0 ;
  a->cpid = 0 ;
  for (unsigned int i = 0 ; i < AUTHD_REQ_MAX ; i++) a->req[i].inuse = 0 ;
  a->rhead = 0 ;
  a->rcount = 0 ;
  a->faildelay = *faildelay ;
  a->lastfail = *now ;
  a->lookup = lookup ;
  a->lookupctx = lookupctx ;
  a->ticket = 0 ;
  a->ticketctx = 0 ;
  a->rip_untrusted = 0 ;
  a->peer = 0 ;
  a->localbegin = 0 ;
  a->localend = 0 ;
  a->localctx = 0 ;
  spidfmt[uint32_fmt(spidfmt, spid)] = 0 ;
  cuidfmt[uint32_fmt(cuidfmt, cuid)] = 0 ;
  /* Postfix wants a MECH line before SPID (it tells an auth-client
   * socket from an auth-master one that way) and stops reading at DONE.
   * The cookie is for the master REQUEST of Dovecot's login processes;
   * our own sessions use the ticket instead (authd_check.c). */
  {
    char const *parts[9] =
    {
      "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nSPID\t", spidfmt,
      "\nCUID\t", cuidfmt,
      "\nCOOKIE\t", cookie,
      "\nDONE"
    } ;
    authd_reply_queue(a, now, parts, 7) ;
  }
}
