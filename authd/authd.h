/* ISC license. */

#ifndef POSTHASTE_AUTHD_H
#define POSTHASTE_AUTHD_H

/* The Dovecot authentication protocol, server side, as one connection's
 * state machine without any I/O: the main loop (authd.c) puts received
 * bytes in `in`, calls authd_feed(), and sends what authd_release()
 * hands it when it is due. So the fuzzer (tests/fuzz/authd_proto.c)
 * drives exactly the code that faces the client.
 *
 * Protocol: Dovecot "Authentication Protocol" v1.1/1.2 (client <-> server
 * part), as Postfix's xsasl_dovecot_server.c speaks it; see
 * authd/README.md for the lines, limits and answers. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/tai.h>

#define AUTHD_LINE_MAX 65536   /* one line with its LF: Dovecot allows long AUTH lines */
#define AUTHD_FIELDS_MAX 64    /* TAB-separated fields in one line */
#define AUTHD_REQ_MAX 16       /* requests in progress on one connection */
#define AUTHD_REPLY_SLOTS 32   /* answers queued, not yet sent */
#define AUTHD_REPLY_MAX 512    /* one answer line */
#define AUTHD_NAME_MAX 512     /* a LOGIN user name kept between steps */
#define AUTHD_HASH_MAX 512     /* a {SCHEME}hash from passwd.cdb */

#define AUTHD_MECH_PLAIN 1
#define AUTHD_MECH_LOGIN 2

/* Finds the stored hash of key (a lower-cased address): copies it,
 * NUL-terminated, into hash (AUTHD_HASH_MAX bytes). Returns 1 found,
 * 0 no such user, -1 lookup error (errno). */
typedef int authd_lookup_func (void *ctx, char const *key, size_t keylen, char *hash) ;

/* Local peers (authd_local.c): before a password check, *slot gets the
 * earliest time the answer may leave (at least now); after it, the
 * outcome is reported (failed: 1 for auth_fail). begin returns 1, or 0
 * with errno (the check is then answered FAIL temp). */
typedef int authd_local_begin_func (void *ctx, tain const *now, tain *slot) ;
typedef void authd_local_end_func (void *ctx, int failed) ;

/* Issues a one-time ticket (docs/internals.md, "Tickets") for user,
 * logged in for service (imap or pop3) from rip (may be empty): writes
 * 64 lower-case hex characters and a NUL into hex. Returns 1, or 0 with
 * errno. The dispatcher does no I/O itself: authd.c gives it this. */
typedef int authd_ticket_func (void *ctx, char const *user, char const *service, char const *rip, char *hex) ;
#define AUTHD_TICKET_HEX 64

typedef struct authd_req_s authd_req, *authd_req_ref ;
struct authd_req_s
{
  uint32_t id ;
  unsigned int inuse : 1 ;
  unsigned int secured : 1 ;
  unsigned int step : 1 ;      /* LOGIN: 0 wants the name, 1 the password */
  unsigned int ticket : 1 ;    /* AUTH parameter "ticket": issue one on success */
  unsigned int denied : 1 ;    /* the check ended in auth_fail (authd_check.c) */
  int mech ;
  char service[32] ;
  char rip[64] ;
  char lip[64] ;
  char claimed[64] ;           /* rip= from a peer not believed (logged only) */
  size_t namelen ;
  char name[AUTHD_NAME_MAX] ;
} ;

typedef struct authd_reply_s authd_reply, *authd_reply_ref ;
struct authd_reply_s
{
  tain when ;                  /* not to be sent before */
  size_t len ;
  char s[AUTHD_REPLY_MAX] ;
} ;

typedef struct authd_s authd, *authd_ref ;
struct authd_s
{
  size_t inlen ;
  size_t scanned ;                /* in[0..scanned) holds no LF */
  char in[AUTHD_LINE_MAX] ;
  char scratch[AUTHD_LINE_MAX] ;  /* decoded SASL data */
  unsigned int version : 1 ;      /* the client's VERSION was seen */
  unsigned int cpid : 1 ;         /* ... and its CPID */
  authd_req req[AUTHD_REQ_MAX] ;
  unsigned int rhead ;
  unsigned int rcount ;
  authd_reply reply[AUTHD_REPLY_SLOTS] ;
  tain faildelay ;
  tain lastfail ;                 /* when the latest FAIL goes out */
  authd_lookup_func *lookup ;
  void *lookupctx ;
  authd_ticket_func *ticket ;     /* 0: tickets cannot be issued (FAIL temp) */
  void *ticketctx ;
  unsigned int rip_untrusted : 1 ; /* the peer is not a daemon: rip= is not believed */
  char const *peer ;              /* its uid (IPCREMOTEEUID), logged as uid= */
  authd_local_begin_func *localbegin ;
  authd_local_end_func *localend ;
  void *localctx ;
} ;

/* Sets up a connection and queues the server handshake (VERSION, MECH
 * PLAIN, MECH LOGIN, SPID, CUID, COOKIE, DONE). cookie is 32 hex
 * characters. */
extern void authd_init (authd *, tain const *now, tain const *faildelay, authd_lookup_func *, void *lookupctx, uint32_t spid, uint32_t cuid, char const *cookie) ;

/* Lets the connection issue tickets (authd_init leaves it unable to). */
extern void authd_set_ticket (authd *, authd_ticket_func *, void *ctx) ;

/* Marks the peer (uid, decimal) as not one of PH_AUTH_RIP_UIDS: its rip=
 * is logged as claimed_rip= and never reaches banwatch, and every
 * password check goes through begin and end (authd_init leaves the peer
 * trusted, as the fuzzer wants). */
extern void authd_set_local (authd *, char const *peer, authd_local_begin_func *begin, authd_local_end_func *end, void *ctx) ;

/* Handles every complete line in a->in (a->inlen bytes), as long as
 * there is room to queue an answer; the rest stays in a->in. Returns 1,
 * or 0 if the connection must be closed (the reason has been logged). */
extern int authd_feed (authd *, tain const *now) ;

/* May the main loop read more input? (The line buffer has room and an
 * answer could be queued for the next line.) */
extern int authd_wants_input (authd const *) ;

/* Copies the answers that are due at now, in order, into out (at most
 * max bytes), stopping at the first one that is not due or does not fit.
 * Returns the number of bytes copied. */
extern size_t authd_release (authd *, tain const *now, char *out, size_t max) ;

/* If an answer is waiting, sets *when to the time it is due and returns
 * 1; else returns 0. */
extern int authd_pending (authd const *, tain *when) ;

/* Strict RFC 4648 base64 (section 4 alphabet, '=' padding required, no
 * white space, unused bits zero). Returns 1 and the decoded length in
 * *outlen (out must hold 3 * (len / 4) bytes), or 0 if s is not canonical
 * base64. */
extern int authd_b64_decode (char const *s, size_t len, char *out, size_t *outlen) ;
/* Encodes s[0..len) into out (4 * ((len + 2) / 3) bytes). Returns the
 * encoded length. */
extern size_t authd_b64_encode (char const *s, size_t len, char *out) ;

/* ---- the ticket files (authd_ticket.c, I/O) and authd -m (authd_master.c) ---- */

/* What authd.c passes as the ticket context. */
typedef struct authd_tickets_s authd_tickets, *authd_tickets_ref ;
struct authd_tickets_s
{
  char const *dir ;     /* $PH_STATE/tickets */
  unsigned int ttl ;    /* PH_TICKET_TTL seconds */
} ;

/* An authd_ticket_func: ctx is an authd_tickets. Removes expired
 * tickets it meets first (at most AUTHD_TICKET_SWEEP). */
extern int authd_ticket_issue (void *ctx, char const *user, char const *service, char const *rip, char *hex) ;
#define AUTHD_TICKET_SWEEP 64
#define AUTHD_TICKET_FILE_MAX 1024   /* a ticket file's content */

/* Reads the ticket file at fd (bounded by AUTHD_TICKET_FILE_MAX) into
 * buf and finds its fields: pointers into buf, NUL-terminated. Returns 1,
 * or 0 (errno EPROTO: not a ticket; else a read error). */
typedef struct authd_ticket_s authd_ticket, *authd_ticket_ref ;
struct authd_ticket_s
{
  char const *user ;
  char const *service ;
  char const *rip ;
  uint64_t expires ;
} ;
extern int authd_ticket_read (int fd, char *buf, authd_ticket *t) ;
extern int authd_ticket_parse (char *buf, size_t len, authd_ticket *t) ;

/* Is s[0..len) 64 lower-case hex characters? */
extern int authd_ticket_hex_valid (char const *s, size_t len) ;

/* ---- local peers (authd_local.c, I/O) ---- */

#define AUTHD_LOCAL_CONNS 4          /* connections at once per local uid */
#define AUTHD_LOCAL_DELAY_MAX 60     /* seconds between answers, at most */
#define AUTHD_LOCAL_FORGET 900       /* quiet seconds that reset the count */

typedef struct authd_local_s authd_local, *authd_local_ref ;
struct authd_local_s
{
  char const *dir ;       /* $PH_STATE/authd-local */
  char const *uid ;       /* the peer's uid, decimal */
  unsigned int base ;     /* seconds: the first failure's delay */
  int fd ;                /* the counter file, locked between begin and end */
  int conn ;              /* the connection slot's lock file */
  uint32_t fails ;
  tain slot ;
} ;

/* Takes one of the uid's AUTHD_LOCAL_CONNS connection slots (a lock file
 * held until exit). Returns 1, 0 if all are taken, -1 on error (errno). */
extern int authd_local_connect (authd_local *) ;
extern authd_local_begin_func authd_local_begin ;
extern authd_local_end_func authd_local_end ;

/* Is uid root or in list (comma-separated decimal uids, may be 0)?
 * Returns 1 or 0, or -1 if the list is malformed. */
extern int authd_uid_listed (char const *list, uint64_t uid) ;

/* authd -m: serves one auth-master.sock connection (fds 0/1). Returns
 * the exit code. */
extern int authd_master_main (void) ;

#endif
