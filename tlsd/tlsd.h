/* ISC license. */

#ifndef POSTHASTE_TLSD_H
#define POSTHASTE_TLSD_H

/* What tlsd (no TLS library), its engine tlsd-io and tlsc share. Only
 * tlsd_io.h brings in OpenSSL: tlsd itself, forked and exec'd for every
 * connection, must stay cheap to start. */

#include <stddef.h>
#include <sys/types.h>

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

/* What the engine knows: open files and settings. tlsd's child fills it
 * as root (tlsd_conf_load) and hands it to tlsd-io as fd numbers on the
 * command line (tlsd_child.c, tlsd_io.c). ok = 0 means a configuration
 * error was found (and logged): the engine refuses TLS. */
typedef struct tlsd_conf_s tlsd_conf, *tlsd_conf_ref ;
struct tlsd_conf_s
{
  int ok ;
  int intermediate ;                /* TLS_LEVEL=intermediate, else modern */
  int opportunistic ;               /* tlsd -O: port 25's list, whatever TLS_LEVEL says */
  tlsd_keyfiles primary[2] ;        /* the default chain, and the ALT one */
  unsigned int nprimary ;
  char primaryname[TLSD_NAME_MAX + 1] ;  /* letsencrypt: its directory, not scanned again */
  tlsd_sniname sni[TLSD_SNI_MAX] ;  /* per-name chains, from the SNI directory */
  unsigned int nsni ;
  int ticketfd ;                    /* the session ticket key, checked, or -1 */
  int hasticketkey ;                /* tlsd-io: ticketkey holds it */
  unsigned char ticketkey[TLSD_TICKETKEY_LEN] ;
} ;

/* The peer's address for log lines (the client for tlsd, the server
 * for tlsc). tlsd_log.c. */
extern char const *tlsd_ip ;

/* tlsd_log.c: the event lines that need no TLS library. */
extern void tlsd_log_fail (char const *reason) ;
extern void tlsd_log_config (char const *reason, char const *file) ;
extern void tlsd_log_configsys (char const *reason, char const *file) ;  /* adds errno */
extern void tlsd_log_config_error (char const *reason, char const *file, char const *error) ;

/* tlsd_conf.c: reads the settings and opens the files (as root). */
extern void tlsd_conf_load (tlsd_conf *) ;
extern void tlsd_conf_close_sni (tlsd_conf *) ;

/* tlsd_sni.c: opens the chains of the SNI directory. */
extern void tlsd_sni_scan (tlsd_conf *, char const *dir) ;

/* tlsd_files.c: opens dir/name/fullchain.pem and privkey.pem (or key.pem,
 * as docker-mailserver accepts) into *kf. 1 on success, 0 with errno.
 * The fds are close-on-exec: tlsd's child clears that flag only on the
 * ones it hands to tlsd-io. */
extern int tlsd_files_open_dir (char const *dir, char const *name, tlsd_keyfiles *kf) ;
extern int tlsd_files_open (char const *certpath, char const *keypath, tlsd_keyfiles *kf) ;
extern void tlsd_files_close (tlsd_keyfiles *) ;

/* tlsd_pem.c: do the default chain's files look like what they should
 * (a PEM certificate, a PEM private key, not too large)? Read through
 * the fds after the drop; nothing is parsed (that is tlsd-io's job, with
 * OpenSSL). 1, or 0 (logged). */
extern int tlsd_pem_check (tlsd_keyfiles const *) ;

/* tlsd_name.c: is s a host name (LDH labels, 1 to 253 octets)? Writes its
 * lower-case form into out (TLSD_NAME_MAX + 1 bytes). */
extern int tlsd_name_valid (char const *s, char *out) ;

/* tlsd_drop.c: drops to uid/gid (refusing root), checks the drop. */
extern void tlsd_drop (uid_t uid, gid_t gid, int hasids) ;

/* tlsd_appids.c: tlsd -U, the protocol program's ids, from UID, GID and
 * GIDLIST (s6-envuidgid's variables, set once when the service starts).
 * scan reads and checks them (exits 100 when they are missing, invalid,
 * or 0); apply sets them (groups, gid, then uid) and checks the kernel
 * agrees and that setuid(0) fails. */
#define TLSD_GIDLIST_MAX 64
typedef struct tlsd_appids_s tlsd_appids, *tlsd_appids_ref ;
struct tlsd_appids_s
{
  uid_t uid ;
  gid_t gid ;
  size_t ngids ;
  gid_t gids[TLSD_GIDLIST_MAX] ;
} ;
extern void tlsd_appids_scan (tlsd_appids *) ;
extern void tlsd_appids_apply (tlsd_appids const *) ;

/* What the protocol program must not inherit: tlsd's own settings, and
 * any TLS parameters that did not come from this engine. With -U, the
 * ids too (as s6-applyuidgid -z). */
#define TLSD_UNEXPORT "TLS_UID\0TLS_GID\0PH_TLS_TICKET_KEY\0SSL_PROTOCOL\0SSL_CIPHER\0SSL_TLS_SNI_SERVERNAME\0SSLCTLFD\0SSLREADFD\0SSLWRITEFD\0"
#define TLSD_UNEXPORT_IDS "UID\0GID\0GIDLIST\0"

/* tlsd_implicit.c: the parent in implicit mode: waits (at most secs) for
 * the engine's report on ctl, then moves the pipes to fds 0 and 1 and
 * appends the report to modif (at least TLSD_REPORT_MAX bytes free).
 * Returns the report's length. Without a report, exits with the
 * engine's exit code. */
extern size_t tlsd_implicit (char *modif, pid_t engine, int ctl, int rd, int wr, unsigned int secs) ;

/* tlsd_readall.c: reads fd until EOF, at most max-1 bytes, before the
 * deadline. Returns the length, or -1 (errno EMSGSIZE, ETIMEDOUT, ...). */
extern ssize_t tlsd_readall (int fd, char *buf, size_t max, tain const *deadline) ;

/* tlsd_child.c: tlsd's child, which becomes the TLS engine. As root it
 * opens the files; it drops to the TLS ids, checks the files, and
 * (STARTTLS) says it is ready and waits for the app's 'Y'; then it execs
 * tlsd-io, which alone links OpenSSL. Never returns. */
typedef struct tlsd_childopts_s tlsd_childopts, *tlsd_childopts_ref ;
struct tlsd_childopts_s
{
  int implicit ;
  int opportunistic ;      /* -O: the MX port's opportunistic TLS (tlsd_ctx.c) */
  int ctl ;                /* the engine's end of the control socket */
  int ready ;              /* STARTTLS: one byte here when the files are there */
  int fromapp ;            /* read end of the app -> engine pipe */
  int toapp ;              /* write end of the engine -> app pipe */
  uid_t uid ;
  gid_t gid ;
  int hasids ;
  unsigned int verbosity ;
  unsigned int handshakesecs ;
  unsigned int idlesecs ;
} ;
extern void tlsd_child (tlsd_childopts const *) gccattr_noreturn ;

#endif
