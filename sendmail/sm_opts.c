/* ISC license. */

#include <string.h>
#include <strings.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>

#include "sendmail.h"

/* The options of Postfix's sendmail(1), which cron, PHP's mail(), git
 * send-email, mutt and the like rely on. Those that only tune a
 * classic sendmail's own behaviour (queueing mode, error mode, alias
 * file, config file, log label, hop count) change nothing here and are
 * accepted and ignored; those asking for something this program does
 * not do (SMTP on stdin, address verification, queue runs, daemon
 * mode, configuration overrides) are refused with EX_USAGE rather than
 * silently doing something else. */

#define USAGE "sendmail [ -t ] [ -i | -oi ] [ -f sender ] [ -F fullname ] [ -B 7BIT|8BITMIME ] [ -N never|success,delay,failure ] [ -R full|hdrs ] [ -V envid ] [ -v ] [ -bm | -bp | -bi ] [ -- ] [ recipient... ]"
#define OPTS "A:B:C:F:GIL:N:O:R:UV:X:b:e:f:h:imno:p:qr:tv"

static void gccattr_noreturn usage (char const *what, char const *detail)
{
  if (what) strerr_warnw3x(what, detail ? ": " : "", detail ? detail : "") ;
  strerr_dieusage(EX_USAGE, USAGE) ;
}

/* -o<letter>[value]: classic sendmail's one-letter options. */
static void opt_o (sm_opts *o, char const *arg)
{
  switch (arg[0])
  {
    case 'i' :
      if (arg[1]) usage("unsupported option -o", arg) ;
      o->ignoredots = 1 ;
      return ;
    case 'm' : case '7' : case '8' :   /* me-too, body type hints */
      if (arg[1]) usage("unsupported option -o", arg) ;
      return ;
    case 'd' :   /* delivery mode (b, i, q, d): injection is synchronous anyway */
    case 'e' :   /* error mode (m, w, p, q, e): errors go to stderr and the exit code */
    case 'A' :   /* alias file: aliases are mailctl's */
    case 'L' :   /* log level */
      return ;
    default : usage("unsupported option -o", arg) ;
  }
}

static void opt_b (sm_opts *o, char const *arg)
{
  if (!strcmp(arg, "m")) o->mode = SM_MODE_DELIVER ;
  else if (!strcmp(arg, "p")) o->mode = SM_MODE_LIST ;
  else if (!strcmp(arg, "i")) o->mode = SM_MODE_ALIASES ;
  else usage("unsupported mode -b", arg) ;
}

static char const *body_type (char const *arg)
{
  if (!strcasecmp(arg, "7bit")) return "7BIT" ;
  if (!strcasecmp(arg, "8bitmime")) return "8BITMIME" ;
  usage("-B takes 7BIT or 8BITMIME, not", arg) ;
}

static char const *ret_type (char const *arg)
{
  if (!strcasecmp(arg, "full")) return "FULL" ;
  if (!strcasecmp(arg, "hdrs")) return "HDRS" ;
  usage("-R takes full or hdrs, not", arg) ;
}

void sm_opts_parse (int argc, char const *const *argv, sm_opts *o)
{
  subgetopt l = SUBGETOPT_ZERO ;
  char const *name = argc ? strrchr(argv[0], '/') : 0 ;
  name = name ? name + 1 : argc ? argv[0] : "sendmail" ;
  memset(o, 0, sizeof(*o)) ;
  o->mode = SM_MODE_DELIVER ;
  if (!strcmp(name, "mailq")) o->mode = SM_MODE_LIST ;
  else if (!strcmp(name, "newaliases")) o->mode = SM_MODE_ALIASES ;
  for (;;)
  {
    int c = subgetopt_r(argc, argv, OPTS, &l) ;
    if (c == -1) break ;
    switch (c)
    {
      case 't' : o->extract = 1 ; break ;
      case 'i' : o->ignoredots = 1 ; break ;
      case 'v' : o->verbose = 1 ; break ;
      case 'f' : case 'r' : o->sender = l.arg ; break ;
      case 'F' : o->fullname = l.arg ; break ;
      case 'B' : o->body = body_type(l.arg) ; break ;
      case 'N' : o->notify = l.arg ; break ;
      case 'R' : o->ret = ret_type(l.arg) ; break ;
      case 'V' : o->envid = l.arg ; break ;
      case 'o' : opt_o(o, l.arg) ; break ;
      case 'b' : opt_b(o, l.arg) ; break ;
      case 'I' : o->mode = SM_MODE_ALIASES ; break ;
      /* accepted, nothing to do: gateway, initial submission, me-too,
       * no aliasing, config file, log label, hop count, error mode,
       * received protocol, traffic log */
      case 'G' : case 'U' : case 'm' : case 'n' :
      case 'A' : case 'C' : case 'L' : case 'h' : case 'e' : case 'p' : case 'X' :
        break ;
      case 'O' : usage("-O (configuration override) is not supported", 0) ;
      case 'q' : usage("-q: queued runs the queue by itself; see mailctl", 0) ;
      default :
      {
        char opt[3] = { '-', (char)l.problem, 0 } ;
        usage("unknown option, or an option without its argument", opt) ;
      }
    }
  }
  o->rcpt = argv + l.ind ;
  o->nrcpt = argc - l.ind ;
}
