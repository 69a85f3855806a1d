/* ISC license. */

/* banwatch: counts failures per client and bans repeat offenders
 * (fail2ban's job, inside the suite; banwatch/README.md).
 *
 * Security: started as root only to bind $PH_RUN_DIR/banwatch.sock (a
 * datagram socket, mode 0666); it then drops to phban (-U: UID, GID from
 * s6-envuidgid) and checks that root cannot be regained. It trusts the
 * kernel's word on each datagram's sender (SO_PASSCRED): events are
 * taken only from the uids in PH_BAN_UIDS (the protocol daemons'),
 * its own and root; ban and unban requests only from root (mailctl).
 * Datagram contents are bounded (512 bytes) and parsed without copies.
 * It writes only bans.cdb and its state file, in $PH_STATE/banwatch
 * (phban's). A compromise lets an attacker ban or unban clients of
 * every service (deny service, or let a guesser go on guessing at
 * authd's failure delay), nothing more: no mail, no passwords.
 *
 * With PH_BAN_NFT_SETS, the bans also go into an nftables set. That
 * needs CAP_NET_ADMIN, which this daemon never holds: before the drop it
 * forks a helper (bw_nfthelper.c) that becomes phban keeping only that
 * capability, reads checked operations from a pipe and runs `nft -f -`
 * on scripts it writes itself. A helper process rather than libnftables
 * linked in here: the capability stays out of the process that parses
 * untrusted datagrams, a stuck or failing nft (bounded to 30 s, its
 * error logged) only delays the set, never the loop (the pipe is written
 * when writable, from a bounded queue) nor bans.cdb, which stays the
 * reference that tcpd applies; and the daemon does not carry
 * libnftables' parser. A compromise of banwatch reaches the helper only
 * through that pipe: elements of the two sets, as bans.cdb already. */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/accessrules.h"
#include "common/banevent.h"
#include "common/config.h"
#include "common/log.h"
#include "smtpd/smtp_relaynet.h"
#include "banwatch.h"

#define USAGE "banwatch [ -v verbosity ] [ -d notif-fd ] [ -U ] [ -s socket ] [ -b bans.cdb ] [ -S statefile ]  |  banwatch -l rules.conf [ -s socket ]"
#define dieusage() strerr_dieusage(100, USAGE)

#define UIDS_MAX 32
#define BATCH 256              /* datagrams per loop turn */
#define FLUSH_EVERY_SECS 60    /* periodic prune and save */
#define GATEWAY_RUN 50         /* events in a row from one private address */
#define GATEWAY_WARN_EVERY 3600

static unsigned int maxretry = 6 ;
static uid_t uids[UIDS_MAX] ;
static unsigned int nuids = 0 ;
static smtp_relaynets ignorenets ;
static int loopback_ignore = 1 ;
static int cont = 1 ;

/* the one-gateway warning */
static bw_addr lastsrc ;
static unsigned int samesrc = 0 ;
static uint64_t gateway_warned = 0 ;

static void die_config (char const *name)
{
  strerr_dief2x(100, "invalid value for ", name) ;
}

static uint64_t get_uint (char const *name, uint64_t def, uint64_t min, uint64_t max)
{
  uint64_t v ;
  if (!config_get_uint(name, def, &v) || v < min || v > max) die_config(name) ;
  return v ;
}

static void parse_uids (char const *s)
{
  while (s && *s)
  {
    uint64_t u ;
    size_t n = uint64_scan(s, &u) ;
    if (!n || nuids >= UIDS_MAX) die_config("PH_BAN_UIDS") ;
    uids[nuids++] = (uid_t)u ;
    s += n ;
    if (*s == ',') s++ ;
    else if (*s) die_config("PH_BAN_UIDS") ;
  }
}

static int uid_allowed (uid_t u)
{
  if (!u || u == geteuid()) return 1 ;
  for (unsigned int i = 0 ; i < nuids ; i++) if (uids[i] == u) return 1 ;
  return 0 ;
}

static int is_loopback (bw_addr const *a)
{
  static char const one6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } ;
  if (!a->is6) return (unsigned char)a->ip[0] == 127 ;
  return a->bits == 128 && !memcmp(a->ip, one6, 16) ;
}

/* The events use the host address; ::1 must be seen before masking to /64 */
static int ignored (char const *text, bw_addr const *host)
{
  if (loopback_ignore && is_loopback(host)) return 1 ;
  return smtp_relaynets_match(&ignorenets, text) ;
}

static int is_private (bw_addr const *a)
{
  unsigned char const *b = (unsigned char const *)a->ip ;
  if (a->is6) return (b[0] & 0xfe) == 0xfc ;
  return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ;
}

/* Behind Docker's userland proxy or NAT every client has the gateway's
 * address: banning it bans everyone. Say so, loudly, once an hour. */
static void watch_gateway (bw_addr const *a, uint64_t now)
{
  if (samesrc && bw_addr_same(a, &lastsrc)) samesrc++ ;
  else { lastsrc = *a ; samesrc = 1 ; }
  if (samesrc >= GATEWAY_RUN && is_private(a) && now >= gateway_warned + GATEWAY_WARN_EVERY)
  {
    char key[ACCESSRULES_KEY_MAX] ;
    logline l ;
    log_begin(&l, "warning_one_source") ;
    log_kvn(&l, "key", key, bw_addr_key(key, a)) ;
    log_kvu(&l, "events", samesrc) ;
    log_kv(&l, "hint", "every client seems to come from one private address: a Docker gateway hiding the real clients? Use host networking, PROXY protocol (tcpd -p), or put the gateway in PH_BAN_IGNORE_NETS") ;
    log_commit(&l) ;
    gateway_warned = now ;
  }
}

static void log_refused (char const *why, uid_t u)
{
  logline l ;
  log_begin(&l, "event_refused") ;
  log_kv(&l, "reason", why) ;
  log_kvu(&l, "uid", (uint64_t)u) ;
  log_commit(&l) ;
}

static void control (banevent const *ev, uint64_t now, uint64_t bantime)
{
  bw_addr a ;
  int exact = strchr(ev->ip, '/') != 0 ;
  if (!bw_addr_scan(ev->ip, 1, &a)) { log_refused("bad address", 0) ; return ; }
  if (!strcmp(ev->event, "ban"))
  {
    uint64_t d = bantime ;
    if (*ev->duration && (uint64_scan(ev->duration, &d) != strlen(ev->duration))) { log_refused("bad duration", 0) ; return ; }
    if (!bw_bans_add_manual(&a, now, d)) log_refused("ban table full", 0) ;
  }
  else
  {
    bw_bans_remove(&a, exact, now) ;
    bw_track_forget(&a) ;
    bw_bans_dirty() ;  /* rewrite anyway: mailctl waits for the state file */
  }
}

static void handle (char *buf, size_t len, uid_t sender, uint64_t bantime)
{
  banevent ev ;
  bw_addr host, key ;
  uint64_t now = (uint64_t)time(0) ;
  if (!uid_allowed(sender)) { log_refused("uid not allowed", sender) ; return ; }
  if (!banevent_parse(buf, len, &ev)) { log_refused("malformed", sender) ; return ; }
  if (!strcmp(ev.event, "ban") || !strcmp(ev.event, "unban"))
  {
    if (sender) { log_refused("ban requests only from root", sender) ; return ; }
    control(&ev, now, bantime) ;
    return ;
  }
  if (!bw_addr_scan(ev.ip, 0, &key)) { log_refused("bad address", sender) ; return ; }
  host = key ;
  if (host.is6)
  {
    /* the host address for the loopback test: rescan without masking */
    char tmp[72] ;
    size_t n = strlen(ev.ip) ;
    if (n + 4 >= sizeof(tmp)) return ;
    memcpy(tmp, ev.ip, n) ;
    memcpy(tmp + n, "/128", 5) ;
    if (!bw_addr_scan(tmp, 1, &host)) return ;
  }
  if (ignored(ev.ip, &host))
  {
    if (log_verbosity >= 2) log_event3("ignored", "ip", ev.ip, "reason", ev.event, "service", ev.service) ;
    return ;
  }
  watch_gateway(&key, now) ;
  if (log_verbosity >= 2)
  {
    logline l ;
    log_begin(&l, "failure") ;
    log_kv(&l, "ip", ev.ip) ;
    log_kv(&l, "reason", ev.event) ;
    log_kv(&l, "service", ev.service) ;
    if (*ev.user) log_kv(&l, "user", ev.user) ;
    log_commit(&l) ;
  }
  if (bw_track_hit(&key, (uint32_t)now))
  {
    if (!bw_bans_live(&key, now)) bw_bans_add_auto(&key, now, ev.event) ;
  }
}

static int open_socket (char const *path)
{
  struct sockaddr_un sa ;
  size_t plen = strlen(path) ;
  int one = 1 ;
  int fd ;
  if (plen >= sizeof(sa.sun_path)) strerr_dief2x(100, "socket path too long: ", path) ;
  memset(&sa, 0, sizeof(sa)) ;
  sa.sun_family = AF_UNIX ;
  memcpy(sa.sun_path, path, plen + 1) ;
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  if (fd < 0) strerr_diefu1sys(111, "create socket") ;
  if (unlink(path) < 0 && errno != ENOENT) strerr_diefu2sys(111, "remove ", path) ;
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) strerr_diefu2sys(111, "bind ", path) ;
  /* any local program may send; the uid check below decides */
  if (chmod(path, 0666) < 0) strerr_diefu2sys(111, "chmod ", path) ;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) strerr_diefu1sys(111, "set SO_PASSCRED") ;
  {
    int size = 1 << 20 ;  /* room for a burst while a flush runs */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) ;
  }
  return fd ;
}

static void target_ids (uid_t *uid, gid_t *gid)
{
  char const *su = getenv("UID") ;
  char const *sg = getenv("GID") ;
  if (!su || !sg || !uid0_scan(su, uid) || !gid0_scan(sg, gid)) strerr_dief1x(100, "-U needs UID and GID (s6-envuidgid)") ;
  if (!*uid || !*gid) strerr_dief1x(100, "refusing to run as uid or gid 0") ;
}

static void drop_privileges (uid_t uid, gid_t gid)
{
  if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) strerr_diefu1sys(111, "drop privileges") ;
  if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid || !setuid(0))
    strerr_dief1x(111, "privileges were not dropped") ;
}

/* Reads up to BATCH datagrams; each carries the sender's credentials */
static void drain (int fd, uint64_t bantime)
{
  for (unsigned int i = 0 ; i < BATCH ; i++)
  {
    char buf[BANEVENT_MAX + 1] ;
    union { struct cmsghdr h ; char b[CMSG_SPACE(sizeof(struct ucred))] ; } cbuf ;
    struct iovec v = { .iov_base = buf, .iov_len = BANEVENT_MAX } ;
    struct msghdr m = { .msg_name = 0, .msg_namelen = 0, .msg_iov = &v, .msg_iovlen = 1, .msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b), .msg_flags = 0 } ;
    struct cmsghdr *c ;
    uid_t sender = (uid_t)-1 ;
    ssize_t r = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) ;
    if (r < 0)
    {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return ;
      strerr_diefu1sys(111, "receive") ;
    }
    for (c = CMSG_FIRSTHDR(&m) ; c ; c = CMSG_NXTHDR(&m, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
      {
        struct ucred cr ;
        memcpy(&cr, CMSG_DATA(c), sizeof(cr)) ;
        sender = cr.uid ;
      }
    if (sender == (uid_t)-1) { log_refused("no credentials", sender) ; continue ; }
    if (m.msg_flags & MSG_TRUNC) { log_refused("too long", sender) ; continue ; }
    handle(buf, (size_t)r, sender, bantime) ;
  }
}

int main (int argc, char const *const *argv)
{
  char const *sockpath = 0 ;
  char const *cdbpath = 0 ;
  char const *statepath = 0 ;
  char const *rules = 0 ;
  static stralloc paths = STRALLOC_ZERO ;  /* lives until exit */
  unsigned int verbosity = 1 ;
  int notif = -1 ;
  int dropuid = 0 ;
  bw_config cfg ;
  bw_nftspec nftspec = { .family = "" } ;
  uint64_t findtime, trackmax ;
  PROG = "banwatch" ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "v:d:Us:b:S:l:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'v' : if (!uint0_scan(l.arg, &verbosity)) dieusage() ; break ;
        case 'd' :
        {
          unsigned int u ;
          if (!uint0_scan(l.arg, &u) || u < 3) dieusage() ;
          notif = (int)u ;
          break ;
        }
        case 'U' : dropuid = 1 ; break ;
        case 's' : sockpath = l.arg ; break ;
        case 'b' : cdbpath = l.arg ; break ;
        case 'S' : statepath = l.arg ; break ;
        case 'l' : rules = l.arg ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (argc) dieusage() ;
  log_verbosity = verbosity ;
  config_load() ;
  /* default paths: $PH_RUN_DIR/banwatch.sock, $PH_STATE/banwatch/{bans.cdb,state} */
  {
    char const *run = config_get("PH_RUN_DIR") ;
    char const *state = config_get_default("PH_STATE", "/var/mail-state/posthaste") ;
    size_t s0, s1, s2 ;
    s0 = paths.len ;
    if (!run && !sockpath) strerr_dienotset(100, "PH_RUN_DIR") ;
    if (!stralloc_cats(&paths, run ? run : "") || !stralloc_cats(&paths, "/banwatch.sock") || !stralloc_0(&paths)) strerr_diefu1sys(111, "allocate memory") ;
    s1 = paths.len ;
    if (!stralloc_cats(&paths, state) || !stralloc_cats(&paths, "/banwatch/bans.cdb") || !stralloc_0(&paths)) strerr_diefu1sys(111, "allocate memory") ;
    s2 = paths.len ;
    if (!stralloc_cats(&paths, state) || !stralloc_cats(&paths, "/banwatch/state") || !stralloc_0(&paths)) strerr_diefu1sys(111, "allocate memory") ;
    if (!sockpath) sockpath = paths.s + s0 ;
    if (!cdbpath) cdbpath = paths.s + s1 ;
    if (!statepath) statepath = paths.s + s2 ;
  }
  if (rules) return bw_loglines_main(rules, sockpath) ;

  maxretry = (unsigned int)get_uint("PH_BAN_MAXRETRY", 6, 1, 100) ;
  findtime = get_uint("PH_BAN_FINDTIME", 604800, 1, 365U * 86400U) ;
  cfg.bantime = get_uint("PH_BAN_BANTIME", 604800, 1, 3650U * 86400U) ;
  cfg.maxtime = get_uint("PH_BAN_MAXTIME", 4 * cfg.bantime > 3650U * 86400U ? 3650U * 86400U : 4 * cfg.bantime, cfg.bantime, 3650U * 86400U) ;
  cfg.maxbans = (uint32_t)get_uint("PH_BAN_MAX", 10000, 1, 1000000) ;
  trackmax = get_uint("PH_BAN_TRACK_MAX", 8192, 16, 1000000) ;
  cfg.cdbpath = cdbpath ;
  cfg.statepath = statepath ;
  if (!config_get_bool("PH_BAN_LOOPBACK_IGNORE", 1, &loopback_ignore)) die_config("PH_BAN_LOOPBACK_IGNORE") ;
  parse_uids(config_get("PH_BAN_UIDS")) ;
  {
    size_t errpos ;
    char const *mode = config_get("PERMIT_DOCKER") ;
    if (!smtp_relaynets_parse(&ignorenets, config_get("PH_BAN_IGNORE_NETS"), &errpos)) die_config("PH_BAN_IGNORE_NETS") ;
    if (mode && !smtp_permitnet_add(&ignorenets, mode)) die_config("PERMIT_DOCKER") ;
  }
  {
    char const *why ;
    char const *v = config_get("PH_BAN_NFT_SETS") ;
    if (v && *v && !bw_nft_spec_scan(v, &nftspec, &why)) strerr_dief4x(100, "invalid value for PH_BAN_NFT_SETS", ": ", why, " (want: inet TABLE SET4 SET6, ip TABLE SET4 or ip6 TABLE SET6)") ;
  }

  {
    iopause_fd x[4] = { { .fd = -1, .events = IOPAUSE_READ }, { .fd = -1, .events = IOPAUSE_READ }, { .fd = -1, .events = IOPAUSE_WRITE }, { .fd = -1, .events = IOPAUSE_READ } } ;
    tain next_flush ;
    uid_t uid = 0 ;
    gid_t gid = 0 ;
    if (dropuid) target_ids(&uid, &gid) ;
    else if (!geteuid()) strerr_dief1x(100, "refusing to run as root: use -U") ;
    x[1].fd = open_socket(sockpath) ;
    /* the nftables helper is forked while we are still root: it alone
       keeps CAP_NET_ADMIN (bw_nfthelper.c) */
    if (nftspec.family[0] && bw_nft_start(&nftspec, uid, gid))
    {
      bw_nft_setmax((size_t)cfg.maxbans * BW_NFT_LINE_MAX + (1 << 20)) ;
      bw_bans_nft_resync() ;
    }
    if (dropuid) drop_privileges(uid, gid) ;
    x[0].fd = selfpipe_init() ;
    if (x[0].fd < 0) strerr_diefu1sys(111, "create the selfpipe") ;
    if (!sig_altignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
    {
      sigset_t set ;
      sigemptyset(&set) ;
      sigaddset(&set, SIGTERM) ;
      sigaddset(&set, SIGHUP) ;
      if (!selfpipe_trapset(&set)) strerr_diefu1sys(111, "trap signals") ;
    }
    bw_track_init((uint32_t)trackmax, maxretry, (unsigned int)findtime) ;
    bw_bans_init(&cfg) ;
    bw_bans_load((uint64_t)time(0)) ;
    if (!bw_bans_flush((uint64_t)time(0), 1)) strerr_diefu2sys(111, "write ", cdbpath) ;
    {
      logline l ;
      log_begin(&l, "start") ;
      log_kvu(&l, "maxretry", maxretry) ;
      log_kvu(&l, "findtime", findtime) ;
      log_kvu(&l, "bantime", cfg.bantime) ;
      log_kvu(&l, "maxtime", cfg.maxtime) ;
      log_kvu(&l, "bans", bw_bans_count()) ;
      log_kv(&l, "loopback_ignore", loopback_ignore ? "yes" : "no") ;
      log_kv(&l, "nft", bw_nft_active() ? "helper" : "off") ;
      log_commit(&l) ;
    }
    if (notif >= 0)
    {
      if (fd_write(notif, "\n", 1) < 1) strerr_diefu1sys(111, "write to the notification fd") ;
      fd_close(notif) ;
    }
    tain_now_set_stopwatch_g() ;
    tain_addsec_g(&next_flush, FLUSH_EVERY_SECS) ;
    while (cont)
    {
      int r ;
      x[2].fd = bw_nft_wfd() ;
      x[3].fd = bw_nft_rfd() ;
      x[2].revents = x[3].revents = 0 ;
      r = iopause_g(x, x[3].fd >= 0 ? 4 : 2, &next_flush) ;
      if (r < 0) strerr_diefu1sys(111, "iopause") ;
      if (x[0].revents & IOPAUSE_READ)
      {
        for (;;)
        {
          int sig = selfpipe_read() ;
          if (sig < 0) strerr_diefu1sys(111, "read the selfpipe") ;
          if (!sig) break ;
          if (sig == SIGTERM) cont = 0 ;
          /* SIGHUP: write the files again now, refill the nftables sets */
          if (sig == SIGHUP) { bw_bans_dirty() ; if (bw_nft_active()) bw_bans_nft_resync() ; }
        }
      }
      if (x[1].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) drain(x[1].fd, cfg.bantime) ;
      if (!r || !tain_less(&STAMP, &next_flush))
      {
        bw_bans_flush((uint64_t)time(0), 0) ;
        tain_addsec_g(&next_flush, FLUSH_EVERY_SECS) ;
      }
      else bw_bans_flush((uint64_t)time(0), 0) ;  /* only writes when a ban changed */
      if (x[3].fd >= 0 && x[3].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) bw_nft_read() ;
      /* the operations this turn queued go out as far as the pipe takes */
      if (bw_nft_wfd() >= 0) bw_nft_write() ;
    }
    bw_bans_flush((uint64_t)time(0), 0) ;
    if (bw_nft_wfd() >= 0) bw_nft_write() ;  /* what the pipe takes now; a restart re-syncs the rest */
    log_event1("stop", "signal", "SIGTERM") ;
  }
  return 0 ;
}
