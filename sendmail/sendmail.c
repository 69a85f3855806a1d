/* ISC license. */

/* sendmail: the local mail injector (sendmail(1) as Postfix has it), so
 * cron, PHP's mail(), git send-email and scripts work unchanged.
 *
 * Security. Runs as whoever calls it, any local user or root; it is not
 * setuid and gains nothing. It trusts nothing it reads: the command line
 * and the message are the caller's own, bounded by the message size
 * limit, and parsed strictly (addresses with common/rfc5322addr and
 * common/addr, headers by line). It writes nothing on disk and talks
 * only to queued-inject on $PH_RUN_DIR/inject.sock, which decides by the
 * peer's uid (SO_PEERCRED) whether to take the message and records that
 * uid itself: the uid and user name sendmail puts in the envelope and in
 * its Received header are the caller's claim only. A compromise gives
 * nothing but the caller's own rights. */

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/random.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "sendmail.h"

#define SIZE_LIMIT_DEFAULT 10240000   /* docker-mailserver's default */
#define RUN_DIR_DEFAULT "/run/posthaste"

static void gccattr_noreturn dienomem (void)
{
  strerr_diefu1sys(EX_OSERR, "allocate memory") ;
}

/* -bp: the queue is queued's, and mailctl is its tool. */
static void gccattr_noreturn list_queue (void)
{
  char const *args[4] = { "mailctl", "queue", "list", 0 } ;
  char self[4096] ;
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 9) ;
  if (n > 0)
  {
    char *slash ;
    self[n] = 0 ;
    slash = strrchr(self, '/') ;
    if (slash)
    {
      memcpy(slash + 1, "mailctl", 8) ;
      execv(self, (char *const *)args) ;
    }
  }
  execvp("mailctl", (char *const *)args) ;
  strerr_dief1sys(EX_UNAVAILABLE, "the queue is listed with \"mailctl queue list\", which cannot be run") ;
}

/* RFC 3461 4.2 xtext: "+" and "=" and anything outside "!".."~" become
 * "+HH". */
static int cat_xtext (stralloc *sa, char const *s)
{
  static char const hex[] = "0123456789ABCDEF" ;
  for (; *s ; s++)
  {
    unsigned char c = *s ;
    if (c < '!' || c > '~' || c == '+' || c == '=')
    {
      char e[3] = { '+', hex[c >> 4], hex[c & 15] } ;
      if (!stralloc_catb(sa, e, 3)) return 0 ;
    }
    else if (!stralloc_catb(sa, (char const *)&c, 1)) return 0 ;
  }
  return 1 ;
}

/* RFC 3461 4.1: NOTIFY=NEVER, or a list of SUCCESS, FAILURE, DELAY. */
static void notify_param (char const *arg, stralloc *out)
{
  static char const *const words[3] = { "success", "failure", "delay" } ;
  unsigned int seen = 0 ;
  char const *s = arg ;
  if (!stralloc_cats(out, "NOTIFY=")) dienomem() ;
  if (!strcasecmp(arg, "never"))
  {
    if (!stralloc_cats(out, "NEVER") || !stralloc_0(out)) dienomem() ;
    return ;
  }
  for (;;)
  {
    size_t n = str_chr(s, ',') ;
    unsigned int i = 0 ;
    for (; i < 3 ; i++) if (strlen(words[i]) == n && !strncasecmp(s, words[i], n)) break ;
    if (i == 3 || seen & (1u << i)) strerr_dief2x(EX_USAGE, "-N takes never or a list of success,delay,failure, not: ", arg) ;
    seen |= 1u << i ;
    if ((out->s[out->len - 1] != '=' && !stralloc_catb(out, ",", 1)) || !stralloc_cats(out, words[i])) dienomem() ;
    if (!s[n]) break ;
    s += n + 1 ;
  }
  for (size_t k = 7 ; k < out->len ; k++) if (out->s[k] >= 'a' && out->s[k] <= 'z') out->s[k] -= 'a' - 'A' ;
  if (!stralloc_0(out)) dienomem() ;
}

static void add_param (stralloc *params, char const *a, char const *b)
{
  if (!stralloc_cats(params, a) || (b && !stralloc_cats(params, b)) || !stralloc_0(params)) dienomem() ;
}

static void random_token (char *s, size_t n)
{
  static char const set[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" ;
  random_buf(s, n) ;
  for (size_t i = 0 ; i < n ; i++) s[i] = set[(unsigned char)s[i] % 62] ;
  s[n] = 0 ;
}

static void gccattr_noreturn addr_fail (int e, char const *where, char *bad, int code)
{
  if (e == ENOMEM) dienomem() ;
  if (e == E2BIG) strerr_dief3x(code, "more than 10000 recipients (", where, ")") ;
  /* folded header text: keep the message on one line */
  for (char *p = bad ; *p ; p++) if ((unsigned char)*p < 0x20) *p = ' ' ;
  strerr_dief6x(code, "invalid address ", where, ": ", bad[0] ? "\"" : "", bad, bad[0] ? "\"" : "") ;
}

int main (int argc, char const *const *argv)
{
  static sm_opts o ;
  static sm_msg m = { .text = STRALLOC_ZERO, .fields = GENALLOC_ZERO } ;
  static sm_addrs rcpts = SM_ADDRS_ZERO ;
  static sm_addrs from = SM_ADDRS_ZERO ;
  static stralloc top = STRALLOC_ZERO, added = STRALLOC_ZERO, params = STRALLOC_ZERO, path = STRALLOC_ZERO ;
  char bad[128] ;
  char idtok[17] ;
  char const *host, *domain, *user ;
  char const *sender ;
  uint64_t limit ;
  size_t max ;
  uid_t uid = getuid() ;
  PROG = "sendmail" ;
  if (!fd_sanitize()) strerr_diefu1sys(EX_OSERR, "make sure fds 0, 1 and 2 are open") ;
  sm_opts_parse(argc, argv, &o) ;
  if (o.mode == SM_MODE_LIST) list_queue() ;
  if (o.mode == SM_MODE_ALIASES)
  {
    strerr_warni1x("aliases are compiled by mailctl (mailctl update), nothing to do here") ;
    return 0 ;
  }

  /* The env file may be readable by root only: a user's sendmail then
   * goes on with the environment and the defaults, and queued-inject
   * still applies the real limits. */
  if (!config_init())
  {
    if (errno == EINVAL) strerr_dief1x(EX_CONFIG, "syntax error in $PH_ENVFILE") ;
    if (errno != EACCES) strerr_diefu1sys(EX_CONFIG, "read $PH_ENVFILE") ;
  }
  if (!config_get_size("POSTFIX_MESSAGE_SIZE_LIMIT", SIZE_LIMIT_DEFAULT, &limit))
    strerr_dief1x(EX_CONFIG, "POSTFIX_MESSAGE_SIZE_LIMIT is not a size") ;
  max = limit && limit < SM_UNLIMITED_MAX ? (size_t)limit : SM_UNLIMITED_MAX ;
  host = config_hostname() ;
  domain = config_get_default("PH_SENDMAIL_DOMAIN", host) ;
  if (!stralloc_cats(&path, config_get_default("PH_RUN_DIR", RUN_DIR_DEFAULT)) || !stralloc_cats(&path, "/inject.sock") || !stralloc_0(&path)) dienomem() ;
  {
    struct passwd *pw = getpwuid(uid) ;
    char fmt[UINT64_FMT] ;
    if (!pw || !pw->pw_name || !pw->pw_name[0])
    {
      fmt[uint64_fmt(fmt, (uint64_t)uid)] = 0 ;
      strerr_dief2x(EX_NOUSER, "no user name for uid ", fmt) ;
    }
    user = pw->pw_name ;
  }

  /* The envelope sender: -f, else user@domain. "<>" or "" is the null
   * sender (bounces, auto-replies). */
  if (o.sender && (!o.sender[0] || !strcmp(o.sender, "<>"))) sender = "" ;
  else
  {
    char const *s = o.sender ? o.sender : user ;
    if (!sm_addrs_add(&from, s, strlen(s), domain, bad, sizeof(bad)) || from.n != 1)
    {
      if (!o.sender) strerr_dief3x(EX_NOUSER, "user name ", user, " does not make a mail address") ;
      addr_fail(from.n > 1 ? EINVAL : errno, "given with -f", bad, EX_USAGE) ;
    }
    sender = from.list.s ;
  }
  for (unsigned int i = 0 ; i < o.nrcpt ; i++)
    if (!sm_addrs_add(&rcpts, o.rcpt[i], strlen(o.rcpt[i]), domain, bad, sizeof(bad)))
      addr_fail(errno, "on the command line", bad, EX_USAGE) ;

  if (!sm_read(&m.text, max, o.ignoredots))
  {
    if (errno == EFBIG)
    {
      char fmt[UINT64_FMT] ;
      fmt[uint64_fmt(fmt, (uint64_t)max)] = 0 ;
      strerr_dief3x(EX_DATAERR, "message is larger than the limit of ", fmt, " bytes") ;
    }
    if (errno == EILSEQ) strerr_dief1x(EX_DATAERR, "message contains a NUL byte") ;
    if (errno == ENOMEM) dienomem() ;
    strerr_diefu1sys(EX_IOERR, "read the message from stdin") ;
  }
  if (!sm_msg_scan(&m)) dienomem() ;

  /* -t: To, Cc and Bcc, or their Resent- forms if any is there (the
   * message is being resent, RFC 5322 3.6.6). */
  if (o.extract)
  {
    for (size_t i = 0 ; i < genalloc_len(sm_field, &m.fields) ; i++)
    {
      sm_field const *f = genalloc_s(sm_field, &m.fields) + i ;
      int take = m.has_resent
        ? sm_field_is(&m, f, "resent-to") || sm_field_is(&m, f, "resent-cc") || sm_field_is(&m, f, "resent-bcc")
        : sm_field_is(&m, f, "to") || sm_field_is(&m, f, "cc") || sm_field_is(&m, f, "bcc") ;
      size_t end = f->start + f->len ;
      /* the value runs to the field's last LF, which is no fold */
      if (end > f->value && m.text.s[end - 1] == '\n') end-- ;
      if (take && !sm_addrs_add(&rcpts, m.text.s + f->value, end - f->value, domain, bad, sizeof(bad)))
      {
        char name[32] ;
        size_t n = f->namelen < sizeof(name) - 12 ? f->namelen : sizeof(name) - 12 ;
        memcpy(name, "in the ", 7) ;
        memcpy(name + 7, m.text.s + f->start, n) ;
        memcpy(name + 7 + n, " field", 7) ;
        addr_fail(errno, name, bad, EX_DATAERR) ;
      }
    }
  }
  if (!rcpts.n)
  {
    if (o.extract) strerr_dief1x(EX_DATAERR, "no recipients: none on the command line, none in To:, Cc: or Bcc:") ;
    strerr_dief1x(EX_USAGE, "no recipients given (name them, or use -t to read them from the headers)") ;
  }

  /* ESMTP parameters as smtpd would have recorded them. */
  if (o.body || m.eightbit) add_param(&params, "BODY=", o.body ? o.body : "8BITMIME") ;
  /* Postfix's smtputf8_autodetect_classes default covers sendmail: UTF-8
   * in an address or in the headers asks for SMTPUTF8 (RFC 6531). */
  {
    int utf8 = rcpts.utf8 || from.utf8 ;
    for (size_t i = 0 ; !utf8 && i < m.body ; i++) if ((unsigned char)m.text.s[i] >= 0x80) utf8 = 1 ;
    if (utf8) add_param(&params, "SMTPUTF8", 0) ;
  }
  if (o.ret) add_param(&params, "RET=", o.ret) ;
  if (o.envid)
  {
    size_t n = strlen(o.envid) ;
    if (!n || n > 100) strerr_dief1x(EX_USAGE, "-V takes an envelope id of 1 to 100 characters") ;
    if (!stralloc_cats(&params, "ENVID=") || !cat_xtext(&params, o.envid) || !stralloc_0(&params)) dienomem() ;
  }
  {
    static stralloc notify = STRALLOC_ZERO ;
    if (o.notify) notify_param(o.notify, &notify) ;

    /* The headers: Received first (trace fields go on top, RFC 5321
     * 4.4), the missing Date, Message-ID and From after the message's
     * own, as Postfix's cleanup adds them. */
    {
      sm_origin origin = { .user = user, .uid = uid, .host = host, .id = idtok, .when = time(0) } ;
      random_token(idtok, 16) ;
      if (!sm_received(&top, &origin)) dienomem() ;
      if (!m.has_date && !(stralloc_cats(&added, "Date: ") && sm_date(&added, origin.when) && stralloc_catb(&added, "\n", 1))) dienomem() ;
      if (!m.has_msgid && !sm_messageid(&added, &origin)) dienomem() ;
    }
    if (!m.has_from)
    {
      static sm_addrs self = SM_ADDRS_ZERO ;
      char const *address = sender ;
      if (!address[0])
      {
        if (!sm_addrs_add(&self, user, strlen(user), domain, bad, sizeof(bad))) strerr_dief3x(EX_NOUSER, "user name ", user, " does not make a mail address") ;
        address = self.list.s ;
      }
      if (!sm_from(&added, o.fullname, address))
      {
        if (errno == EINVAL) strerr_dief1x(EX_USAGE, "-F: the full name holds control characters") ;
        dienomem() ;
      }
    }
    {
      sm_job j =
      {
        .path = path.s, .sender = sender, .rcpts = &rcpts, .mparams = &params,
        .notify = o.notify ? notify.s : 0, .user = user, .uid = uid,
        .top = &top, .m = &m, .added = &added, .verbose = o.verbose
      } ;
      return sm_inject(&j) ;
    }
  }
}
