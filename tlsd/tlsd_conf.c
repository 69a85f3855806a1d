/* ISC license. */

#include <string.h>
#include <errno.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>

#include "common/config.h"
#include "tlsd.h"

/* Everything the engine needs root for happens here, once per
 * connection: so a certificate renewed on disk is served by the next
 * connection, and a rotated ticket key is used at once. The settings are
 * docker-mailserver's (SSL_TYPE, SSL_*_PATH, SSL_DOMAIN, TLS_LEVEL). */

#define LETSENCRYPT_LIVE "/etc/letsencrypt/live"

static void confail (tlsd_conf *conf, char const *reason, char const *file)
{
  tlsd_log_config(reason, file) ;
  conf->ok = 0 ;
}

static void confailsys (tlsd_conf *conf, char const *reason, char const *file)
{
  tlsd_log_configsys(reason, file) ;
  conf->ok = 0 ;
}

/* docker-mailserver tries SSL_DOMAIN (without a "*." prefix), then the
 * host name, then the bare domain (the host name without its first
 * label), and takes the first live/<name>/ that has fullchain.pem. */
static void load_letsencrypt (tlsd_conf *conf, char const *dir, char const *fqdn)
{
  char const *cand[3] = { 0, fqdn, 0 } ;
  char const *x = config_get("SSL_DOMAIN") ;
  unsigned int i = 0 ;
  if (x) cand[0] = !strncmp(x, "*.", 2) ? x + 2 : x ;
  x = strchr(fqdn, '.') ;
  if (x && strchr(x + 1, '.')) cand[2] = x + 1 ;
  for (; i < 3 ; i++)
  {
    char name[TLSD_NAME_MAX + 1] ;
    if (!cand[i]) continue ;
    if (!tlsd_name_valid(cand[i], name))
    {
      confail(conf, "invalid host name for the letsencrypt directory", cand[i]) ;
      return ;
    }
    if (tlsd_files_open_dir(dir, name, &conf->primary[0]))
    {
      conf->nprimary = 1 ;
      memcpy(conf->primaryname, name, strlen(name) + 1) ;
      return ;
    }
    if (errno != ENOENT)
    {
      confailsys(conf, "unable to open the letsencrypt certificate or key", name) ;
      return ;
    }
  }
  confailsys(conf, "no letsencrypt directory for the host name (fullchain.pem and privkey.pem)", dir) ;
}

/* manual: SSL_CERT_PATH and SSL_KEY_PATH, and optionally a second chain
 * of another key type (SSL_ALT_*): both go into the context, and OpenSSL
 * serves each client the one its signature algorithms accept. */
static void load_manual (tlsd_conf *conf)
{
  char const *cert = config_get("SSL_CERT_PATH") ;
  char const *key = config_get("SSL_KEY_PATH") ;
  char const *altcert = config_get("SSL_ALT_CERT_PATH") ;
  char const *altkey = config_get("SSL_ALT_KEY_PATH") ;
  if (!cert || !key)
  {
    confail(conf, "SSL_TYPE=manual needs SSL_CERT_PATH and SSL_KEY_PATH", 0) ;
    return ;
  }
  if (!tlsd_files_open(cert, key, &conf->primary[0]))
  {
    confailsys(conf, "unable to open the certificate or key", cert) ;
    return ;
  }
  conf->nprimary = 1 ;
  if (!altcert && !altkey) return ;
  if (!altcert || !altkey)
  {
    confail(conf, "SSL_ALT_CERT_PATH and SSL_ALT_KEY_PATH go together", 0) ;
    return ;
  }
  if (!tlsd_files_open(altcert, altkey, &conf->primary[1]))
  {
    confailsys(conf, "unable to open the alternative certificate or key", altcert) ;
    return ;
  }
  conf->nprimary = 2 ;
}

/* self-signed: docker-mailserver's file names in the config volume,
 * ssl/<hostname>-cert.pem and ssl/<hostname>-key.pem (mailctl tls
 * selfsigned writes them). */
static void load_selfsigned (tlsd_conf *conf, char const *fqdn)
{
  char name[TLSD_NAME_MAX + 1] ;
  char const *dir = config_get_default("PH_CONFIG_DIR", "/tmp/docker-mailserver") ;
  size_t dirlen = strlen(dir) ;
  size_t namelen ;
  if (!tlsd_name_valid(fqdn, name))
  {
    confail(conf, "invalid host name for the self-signed files", fqdn) ;
    return ;
  }
  namelen = strlen(name) ;
  if (dirlen + namelen + 16 > TLSD_PATH_MAX)
  {
    confail(conf, "PH_CONFIG_DIR is too long", 0) ;
    return ;
  }
  {
    char cert[dirlen + namelen + 16] ;
    char key[dirlen + namelen + 16] ;
    memcpy(cert, dir, dirlen) ;
    memcpy(cert + dirlen, "/ssl/", 5) ;
    memcpy(cert + dirlen + 5, name, namelen) ;
    memcpy(key, cert, dirlen + 5 + namelen) ;
    memcpy(cert + dirlen + 5 + namelen, "-cert.pem", 10) ;
    memcpy(key + dirlen + 5 + namelen, "-key.pem", 9) ;
    if (!tlsd_files_open(cert, key, &conf->primary[0]))
    {
      confailsys(conf, "unable to open the self-signed certificate or key (mailctl tls selfsigned makes them)", cert) ;
      return ;
    }
    conf->nprimary = 1 ;
  }
}

/* The session ticket key: 80 random bytes, mode 0600 (a key anyone can
 * read lets anyone decrypt recorded sessions that resumed with it). A
 * missing file just means no tickets; a bad one is logged, and tickets
 * are off for this connection. Opened and checked here, as root; read
 * by tlsd-io, through the fd, only if the client asks for TLS. */
static void open_ticketkey (tlsd_conf *conf)
{
  struct stat st ;
  char const *path = config_get("PH_TLS_TICKET_KEY") ;
  char const *state = config_get("PH_STATE") ;
  size_t statelen = state ? strlen(state) : 0 ;
  char buf[statelen + 16] ;
  int fd ;
  if (!path)
  {
    if (!state) return ;
    memcpy(buf, state, statelen) ;
    memcpy(buf + statelen, "/tls/ticket.key", 16) ;
    path = buf ;
  }
  fd = openc_read(path) ;
  if (fd < 0)
  {
    if (errno != ENOENT) tlsd_log_configsys("unable to open the ticket key", path) ;
    return ;
  }
  if (fstat(fd, &st) < 0) tlsd_log_configsys("unable to stat the ticket key", path) ;
  else if (!S_ISREG(st.st_mode) || st.st_size != TLSD_TICKETKEY_LEN)
    tlsd_log_config("the ticket key must be a file of exactly 80 bytes", path) ;
  else if (st.st_mode & 077)
    tlsd_log_config("the ticket key must not be readable by group or others", path) ;
  else
  {
    conf->ticketfd = fd ;
    return ;
  }
  fd_close(fd) ;
}

void tlsd_conf_load (tlsd_conf *conf)
{
  char const *type ;
  char const *level = config_get_default("TLS_LEVEL", "modern") ;
  char const *snidir = config_get("PH_TLS_CERT_DIR") ;
  char const *fqdn = config_hostname() ;
  conf->ok = 1 ;
  conf->nprimary = 0 ;
  conf->nsni = 0 ;
  conf->ticketfd = -1 ;
  conf->hasticketkey = 0 ;
  conf->primaryname[0] = 0 ;
  conf->primary[0].cert = conf->primary[0].key = -1 ;
  conf->primary[1].cert = conf->primary[1].key = -1 ;

  if (!strcmp(level, "modern")) conf->intermediate = 0 ;
  else if (!strcmp(level, "intermediate")) conf->intermediate = 1 ;
  else
  {
    confail(conf, "TLS_LEVEL must be modern or intermediate", level) ;
    return ;
  }

  type = config_get("SSL_TYPE") ;
  if (!type)
  {
    confail(conf, "SSL_TYPE is not set: no certificate, no TLS", 0) ;
    return ;
  }
  if (!strcmp(type, "letsencrypt"))
  {
    if (!snidir) snidir = LETSENCRYPT_LIVE ;
    load_letsencrypt(conf, snidir, fqdn) ;
  }
  else if (!strcmp(type, "manual")) load_manual(conf) ;
  else if (!strcmp(type, "self-signed")) load_selfsigned(conf, fqdn) ;
  else
  {
    confail(conf, "SSL_TYPE must be letsencrypt, manual or self-signed", type) ;
    return ;
  }
  if (!conf->ok) return ;
  if (snidir) tlsd_sni_scan(conf, snidir) ;
  open_ticketkey(conf) ;
}
