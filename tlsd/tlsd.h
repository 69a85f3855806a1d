/* ISC license. */

#ifndef POSTHASTE_TLSD_H
#define POSTHASTE_TLSD_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include <skalibs/gccattributes.h>
#include <skalibs/tai.h>

/* Limits. A PEM file larger than this is not a certificate chain or a
 * key; the SNI directory is scanned up to TLSD_SNI_MAX names (each keeps
 * two fds open until the handshake is over). */
#define TLSD_PEM_MAX (256 * 1024)
#define TLSD_SNI_MAX 128
#define TLSD_NAME_MAX 253
#define TLSD_PATH_MAX 4096
#define TLSD_TICKETKEY_LEN 80     /* 16 name + 32 HMAC secret + 32 AES key */
#define TLSD_REPORT_MAX 1024      /* the text0 parameter block on the ctl socket */
#define TLSD_RELAY_BUF 16384      /* one TLS record of plaintext */
#define TLSD_SHUTDOWN_SECS 10     /* flushing and close_notify at the end */

/* A certificate chain and its key, opened as root before the drop and
 * read (once, lazily) after it. */
typedef struct tlsd_keyfiles_s tlsd_keyfiles, *tlsd_keyfiles_ref ;
struct tlsd_keyfiles_s
{
  int cert ;
  int key ;
} ;

typedef struct tlsd_sniname_s tlsd_sniname, *tlsd_sniname_ref ;
struct tlsd_sniname_s
{
  char name[TLSD_NAME_MAX + 1] ;
  tlsd_keyfiles files ;
} ;

/* What the engine knows before it drops root: open files, settings.
 * ok = 0 means a configuration error was found (and logged): the engine
 * refuses TLS. */
typedef struct tlsd_conf_s tlsd_conf, *tlsd_conf_ref ;
struct tlsd_conf_s
{
  int ok ;
  int intermediate ;                /* TLS_LEVEL=intermediate, else modern */
  tlsd_keyfiles primary[2] ;        /* the default chain, and the ALT one */
  unsigned int nprimary ;
  char primaryname[TLSD_NAME_MAX + 1] ;  /* letsencrypt: its directory, not scanned again */
  tlsd_sniname sni[TLSD_SNI_MAX] ;  /* per-name chains, from the SNI directory */
  unsigned int nsni ;
  int hasticketkey ;
  unsigned char ticketkey[TLSD_TICKETKEY_LEN] ;
} ;

/* The peer's address for log lines (the client for tlsd, the server
 * for tlsc). */
extern char const *tlsd_ip ;

/* tlsd_conf.c: reads the settings and opens the files (as root). */
extern void tlsd_conf_load (tlsd_conf *) ;
extern void tlsd_conf_close_sni (tlsd_conf *) ;

/* tlsd_sni.c: opens the chains of the SNI directory. */
extern void tlsd_sni_scan (tlsd_conf *, char const *dir) ;

/* tlsd_files.c: opens dir/name/fullchain.pem and privkey.pem (or key.pem,
 * as docker-mailserver accepts) into *kf. 1 on success, 0 with errno. */
extern int tlsd_files_open_dir (char const *dir, char const *name, tlsd_keyfiles *kf) ;
extern int tlsd_files_open (char const *certpath, char const *keypath, tlsd_keyfiles *kf) ;
extern void tlsd_files_close (tlsd_keyfiles *) ;

/* tlsd_name.c: is s a host name (LDH labels, 1 to 253 octets)? Writes its
 * lower-case form into out (TLSD_NAME_MAX + 1 bytes). */
extern int tlsd_name_valid (char const *s, char *out) ;

/* tlsd_ctx.c: the SSL_CTX for this connection (protocols, ciphers,
 * groups, options, tickets, SNI callback); 0 on failure (logged). */
extern SSL_CTX *tlsd_ctx_new (tlsd_conf *) ;

/* tlsd_cert.c: parses a chain and key from their fds and installs them
 * on ssl (clear = drop the ones already there first). 1 or 0 (logged). */
extern int tlsd_cert_install (SSL *, tlsd_keyfiles const *, unsigned int n, int clear) ;

/* tlsd_drop.c: drops to uid/gid (refusing root), checks the drop. */
extern void tlsd_drop (uid_t uid, gid_t gid, int hasids) ;

/* tlsd_handshake.c: SSL_accept (server method) or SSL_connect (client
 * method: tlsc) on the non-blocking fd before the deadline. 1 ok, 0
 * failed (errno ETIMEDOUT or EPROTO; logged). */
extern int tlsd_handshake (SSL *, int fd, tain const *deadline) ;

/* tlsd_report.c: the text0 parameter block and the event=tls line. */
extern size_t tlsd_report (SSL *, char *buf, size_t max) ;
/* Appends the record name=value\0 at buf + w if it fits in max; returns
 * the new length (w unchanged when it does not fit). */
extern size_t tlsd_report_add (char *buf, size_t max, size_t w, char const *name, char const *value) ;
extern void tlsd_log_handshake (SSL *) ;
extern void tlsd_log_fail (char const *reason) ;
extern void tlsd_log_config (char const *reason, char const *file) ;
extern void tlsd_log_configsys (char const *reason, char const *file) ;  /* adds errno */
extern void tlsd_log_configssl (char const *reason) ;  /* adds the OpenSSL error */
extern char const *tlsd_ssl_reason (void) ;

/* tlsd_relay.c: network <-> SSL <-> pipes until one side is done.
 * Returns the exit code. */
extern int tlsd_relay (SSL *, int net, int fromapp, int toapp, unsigned int idlesecs) ;

/* What the protocol program must not inherit: tlsd's own settings, and
 * any TLS parameters that did not come from this engine. */
#define TLSD_UNEXPORT "TLS_UID\0TLS_GID\0PH_TLS_TICKET_KEY\0SSL_PROTOCOL\0SSL_CIPHER\0SSL_TLS_SNI_SERVERNAME\0SSLCTLFD\0SSLREADFD\0SSLWRITEFD\0"

/* tlsd_implicit.c: the parent in implicit mode: waits (at most secs) for
 * the engine's report on ctl, then execs argv with the pipes on fds 0
 * and 1 and the report in the environment. Without a report, exits
 * with the engine's exit code. */
extern void tlsd_implicit (char const *const *argv, pid_t engine, int ctl, int rd, int wr, unsigned int secs) gccattr_noreturn ;

/* tlsd_readall.c: reads fd until EOF, at most max-1 bytes, before the
 * deadline. Returns the length, or -1 (errno EMSGSIZE, ETIMEDOUT, ...). */
extern ssize_t tlsd_readall (int fd, char *buf, size_t max, tain const *deadline) ;

/* tlsd_engine.c: the TLS engine (the child). Never returns. */
typedef struct tlsd_engineopts_s tlsd_engineopts, *tlsd_engineopts_ref ;
struct tlsd_engineopts_s
{
  int implicit ;
  int ctl ;                /* the engine's end of the control socket */
  int ready ;              /* STARTTLS: one byte here when the certificates are loaded */
  int fromapp ;            /* read end of the app -> engine pipe */
  int toapp ;              /* write end of the engine -> app pipe */
  uid_t uid ;
  gid_t gid ;
  int hasids ;
  unsigned int handshakesecs ;
  unsigned int idlesecs ;
} ;
extern void tlsd_engine (tlsd_engineopts const *) gccattr_noreturn ;

#endif
