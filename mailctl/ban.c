/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <skalibs/buffer.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/accessrules.h"
#include "common/banevent.h"
#include "common/config.h"
#include "banwatch/banwatch.h"
#include "ban.h"

/* banwatch is the only writer of bans.cdb and of its state file; mailctl
 * asks it (a datagram on banwatch.sock, from root: ban and unban are
 * taken from root only) and waits for the state file to be rewritten,
 * which banwatch does after every request. Listing reads the state file
 * (mode 0644), so it works with banwatch stopped too. */

#define USAGE "mailctl ban list | ban add IP[/BITS] [DURATION] | ban del IP[/BITS] | fail2ban ban IP | fail2ban unban IP | fail2ban status"
#define dieusage() strerr_dieusage(100, USAGE)
#define WAIT_STEPS 100        /* 100 x 50 ms */
#define WAIT_STEP_NS 50000000L

static stralloc sockpath = STRALLOC_ZERO ;
static stralloc statepath = STRALLOC_ZERO ;

static void paths (void)
{
  char const *run, *state ;
  if (!config_init()) strerr_diefu1sys(111, "read $PH_ENVFILE") ;
  run = config_get("PH_RUN_DIR") ;
  if (!run) strerr_dienotset(100, "PH_RUN_DIR") ;
  state = config_get_default("PH_STATE", "/var/mail-state/posthaste") ;
  if (!stralloc_cats(&sockpath, run) || !stralloc_cats(&sockpath, "/banwatch.sock") || !stralloc_0(&sockpath)
   || !stralloc_cats(&statepath, state) || !stralloc_cats(&statepath, "/banwatch/state") || !stralloc_0(&statepath))
    strerr_diefu1sys(111, "allocate memory") ;
}

/* DURATION: seconds, or a number with s, m, h, d or w; 0 or
 * "permanent": no end. */
static int scan_duration (char const *s, uint64_t *d)
{
  uint64_t n, mult = 1 ;
  size_t len ;
  if (!strcmp(s, "permanent")) { *d = 0 ; return 1 ; }
  len = uint64_scan(s, &n) ;
  if (!len) return 0 ;
  switch (s[len])
  {
    case 0 : break ;
    case 's' : break ;
    case 'm' : mult = 60 ; break ;
    case 'h' : mult = 3600 ; break ;
    case 'd' : mult = 86400 ; break ;
    case 'w' : mult = 604800 ; break ;
    default : return 0 ;
  }
  if (s[len] && s[len + 1]) return 0 ;
  if (n > (UINT64_C(3650) * 86400) / mult) return 0 ;
  *d = n * mult ;
  return 1 ;
}

static ino_t state_inode (void)
{
  struct stat st ;
  return stat(statepath.s, &st) < 0 ? 0 : st.st_ino ;
}

static void request (char const *line, size_t len)
{
  ino_t before = state_inode() ;
  if (!banevent_sendto(sockpath.s, line, len))
    strerr_diefu3sys(111, "reach banwatch at ", sockpath.s, " (is the banwatch service running?)") ;
  for (unsigned int i = 0 ; i < WAIT_STEPS ; i++)
  {
    struct timespec pause = { .tv_sec = 0, .tv_nsec = WAIT_STEP_NS } ;
    ino_t now = state_inode() ;
    if (now && now != before) return ;
    nanosleep(&pause, 0) ;
  }
  strerr_dief1x(111, "banwatch did not confirm the change within 5 seconds: see its log") ;
}

static void check_address (char const *s)
{
  bw_addr a ;
  if (!bw_addr_scan(s, 1, &a)) strerr_dief2x(100, "not an IP address or network: ", s) ;
}

static void ban_add (char const *ip, char const *duration)
{
  char line[BANEVENT_MAX] ;
  size_t n ;
  check_address(ip) ;
  if (strlen(ip) > 60) dieusage() ;
  memcpy(line, "event=ban ip=", 13) ;
  n = 13 ;
  memcpy(line + n, ip, strlen(ip)) ;
  n += strlen(ip) ;
  if (duration)
  {
    uint64_t d ;
    if (!scan_duration(duration, &d)) strerr_dief2x(100, "invalid duration: ", duration) ;
    memcpy(line + n, " duration=", 10) ;
    n += 10 ;
    n += uint64_fmt(line + n, d) ;
  }
  line[n++] = '\n' ;
  request(line, n) ;
}

static void ban_del (char const *ip)
{
  char line[BANEVENT_MAX] ;
  size_t n ;
  check_address(ip) ;
  if (strlen(ip) > 60) dieusage() ;
  memcpy(line, "event=unban ip=", 15) ;
  n = 15 ;
  memcpy(line + n, ip, strlen(ip)) ;
  n += strlen(ip) ;
  line[n++] = '\n' ;
  request(line, n) ;
}

/* One line per live ban: "ADDRESS/BITS until DATE|permanent bans=N" */
static unsigned int ban_list (int f2b)
{
  stralloc sa = STRALLOC_ZERO ;
  uint64_t now = (uint64_t)time(0) ;
  unsigned int shown = 0 ;
  size_t i = 0 ;
  if (!openslurpclose(&sa, statepath.s))
  {
    if (errno != ENOENT) strerr_diefu2sys(111, "read ", statepath.s) ;
  }
  while (i < sa.len)
  {
    size_t end = i + byte_chr(sa.s + i, sa.len - i, '\n') ;
    char *line = sa.s + i ;
    size_t len = end - i ;
    size_t sp1, sp2 ;
    bw_addr a ;
    uint64_t until ;
    uint32_t count ;
    i = end + 1 ;
    if (!len || line[0] == '#') continue ;
    sp1 = byte_chr(line, len, ' ') ;
    if (sp1 >= len) continue ;
    sp2 = sp1 + 1 + byte_chr(line + sp1 + 1, len - sp1 - 1, ' ') ;
    if (sp2 >= len || !bw_addr_key_scan(line, sp1, &a)
     || uint64_scan(line + sp1 + 1, &until) != sp2 - sp1 - 1
     || uint32_scan(line + sp2 + 1, &count) != len - sp2 - 1) continue ;
    if (until && until <= now) continue ;
    {
      char out[ACCESSRULES_KEY_MAX + 128] ;
      size_t n = 0 ;
      /* "ip4/192.0.2.7_32" -> "192.0.2.7/32" */
      memcpy(out, line + 4, sp1 - 4) ;
      n = sp1 - 4 ;
      out[byte_rchr(out, n, '_')] = '/' ;
      if (until)
      {
        struct tm tm ;
        time_t t = (time_t)until ;
        char date[32] ;
        if (!gmtime_r(&t, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm)) date[0] = 0 ;
        memcpy(out + n, " until ", 7) ; n += 7 ;
        memcpy(out + n, date, strlen(date)) ; n += strlen(date) ;
      }
      else { memcpy(out + n, " permanent", 10) ; n += 10 ; }
      memcpy(out + n, " bans=", 6) ; n += 6 ;
      n += uint32_fmt(out + n, count) ;
      out[n++] = '\n' ;
      if (buffer_put(buffer_1, out, n) < 0) strerr_diefu1sys(111, "write to stdout") ;
      shown++ ;
    }
  }
  if (f2b && !shown && buffer_puts(buffer_1, "No IPs have been banned\n") < 0) strerr_diefu1sys(111, "write to stdout") ;
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
  stralloc_free(&sa) ;
  return shown ;
}

int mc_ban (int argc, char const *const *argv)
{
  int f2b = !strcmp(argv[0], "fail2ban") ;
  if (argc < 2) dieusage() ;
  paths() ;
  if (!strcmp(argv[1], "list") || (f2b && !strcmp(argv[1], "status")))
  {
    if (argc != 2) dieusage() ;
    ban_list(f2b) ;
  }
  else if (!strcmp(argv[1], f2b ? "ban" : "add"))
  {
    if (argc != 3 && (f2b || argc != 4)) dieusage() ;
    ban_add(argv[2], argc == 4 ? argv[3] : 0) ;
  }
  else if (!strcmp(argv[1], f2b ? "unban" : "del"))
  {
    if (argc != 3) dieusage() ;
    ban_del(argv[2]) ;
  }
  else dieusage() ;
  return 0 ;
}
