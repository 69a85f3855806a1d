/* ISC license. */

#include <string.h>
#include <time.h>
#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "cmd_queue.h"

/* The printers of queued's answers. Every line is split with mcq_split,
 * which never yields more fields than asked: a short line just has empty
 * fields (queued writes them all), so nothing here reads out of bounds. */

static stralloc out = STRALLOC_ZERO ;

static void cat (char const *s)
{
  if (!stralloc_cats(&out, s)) strerr_diefu1sys(111, "allocate memory") ;
}

static void catn (char const *s, size_t n)
{
  if (!stralloc_catb(&out, s, n)) strerr_diefu1sys(111, "allocate memory") ;
}

static void pad (char const *s, size_t width, int right)
{
  size_t n = strlen(s) ;
  if (right) for (; n < width ; n++) cat(" ") ;
  cat(s) ;
  if (!right) for (; n < width ; n++) cat(" ") ;
}

static void flush (void)
{
  if (allwrite(1, out.s, out.len) < out.len) strerr_diefu1sys(111, "write to stdout") ;
  out.len = 0 ;
}

static void date (char const *secs, char const *fmt)
{
  uint64_t u ;
  time_t t ;
  struct tm tm ;
  char buf[64] ;
  size_t n ;
  if (!uint640_scan(secs, &u)) { cat("?") ; return ; }
  t = (time_t)u ;
  if (!localtime_r(&t, &tm)) { cat("?") ; return ; }
  n = strftime(buf, sizeof(buf), fmt, &tm) ;
  catn(buf, n) ;
}

static void field_fill (char **f, unsigned int n, unsigned int max)
{
  for (; n < max ; n++) f[n] = "" ;
}

/* Walks the answer line by line; f receives the fields. Returns the next
 * line's fields count, 0 at the end. */
static unsigned int next_line (stralloc *reply, size_t *pos, char **f)
{
  char *nl ;
  unsigned int n ;
  if (*pos >= reply->len) return 0 ;
  nl = memchr(reply->s + *pos, '\n', reply->len - *pos) ;
  if (!nl) return 0 ;
  *nl = 0 ;
  n = mcq_split(reply->s + *pos, f, MCQ_FIELDS_MAX) ;
  *pos = (size_t)(nl - reply->s) + 1 ;
  field_fill(f, n, MCQ_FIELDS_MAX) ;
  return n ;
}

static int final (char **f)
{
  if (!strcmp(f[0], "ok")) return 0 ;
  if (!strcmp(f[0], "error"))
  {
    flush() ;
    strerr_warnw1x(f[1]) ;
    return 1 ;
  }
  return -1 ;
}

static int incomplete (void)
{
  flush() ;
  strerr_warnw1x("queued's answer ended early") ;
  return 111 ;
}

int mcq_print_status (stralloc *reply)
{
  char *f[MCQ_FIELDS_MAX] ;
  size_t pos = 0 ;
  while (next_line(reply, &pos, f))
  {
    int r = final(f) ;
    if (r < 0) continue ;
    if (!r) { cat(f[1]) ; cat("\n") ; flush() ; }
    return r ;
  }
  return incomplete() ;
}

static void due (char const *secs)
{
  if (!strcmp(secs, "0") || !*secs) return ;
  cat(", next attempt in ") ;
  cat(secs) ;
  cat(" s") ;
}

int mcq_print_list (stralloc *reply)
{
  char *f[MCQ_FIELDS_MAX] ;
  size_t pos = 0 ;
  int held = 0 ;   /* the message of the R lines that follow */
  while (next_line(reply, &pos, f))
  {
    int r = final(f) ;
    if (!r) { cat(f[1]) ; cat("\n") ; flush() ; return 0 ; }
    if (r > 0) return r ;
    if (!strcmp(f[0], "M"))
    {
      /* M qid size arrival state sender */
      cat(f[1]) ; cat("  ") ; cat(f[2]) ; cat(" bytes  ") ;
      date(f[3], "%Y-%m-%d %H:%M:%S") ;
      cat("  ") ; cat(f[4]) ; cat("  from <") ; cat(f[5]) ; cat(">\n") ;
      held = !strcmp(f[4], "held") ;
    }
    else if (!strcmp(f[0], "R"))
    {
      /* R state due route addr notify orcpt last */
      cat("    <") ; cat(f[4]) ; cat(">  ") ; cat(f[1]) ;
      /* a held message is not scheduled: its recipients' due times
       * apply only once it is released */
      if (!held) due(f[2]) ;
      if (*f[7]) { cat("  (") ; cat(f[7]) ; cat(")") ; }
      cat("\n") ;
    }
    else if (!strcmp(f[0], "W")) { cat("note: ") ; cat(f[1]) ; cat("\n") ; }
  }
  return incomplete() ;
}

/* Postfix's mailq layout (postqueue -p / showq): id with '*' (being
 * delivered) or '!' (held), size, arrival, sender; then per recipient
 * the last reason in parentheses and the address, indented. */
int mcq_print_mailq (stralloc *reply)
{
  char *f[MCQ_FIELDS_MAX] ;
  size_t pos = 0 ;
  uint64_t bytes = 0, count = 0 ;
  int head = 0 ;
  while (next_line(reply, &pos, f))
  {
    int r = final(f) ;
    if (r > 0) return r ;
    if (!r)
    {
      char fmt[UINT64_FMT] ;
      if (!count) { cat("Mail queue is empty\n") ; flush() ; return 0 ; }
      cat("\n-- ") ;
      fmt[uint64_fmt(fmt, (bytes + 1023) / 1024)] = 0 ;
      cat(fmt) ;
      cat(" Kbytes in ") ;
      fmt[uint64_fmt(fmt, count)] = 0 ;
      cat(fmt) ;
      cat(count == 1 ? " Request.\n" : " Requests.\n") ;
      flush() ;
      return 0 ;
    }
    if (!strcmp(f[0], "M"))
    {
      uint64_t size = 0 ;
      if (!head) { cat("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n") ; head = 1 ; }
      else cat("\n") ;
      uint640_scan(f[2], &size) ;
      bytes += size ;
      count++ ;
      pad(f[1], 11, 0) ;
      cat(!strcmp(f[4], "active") ? "*" : !strcmp(f[4], "held") ? "!" : " ") ;
      cat(" ") ;
      pad(f[2], 8, 1) ;
      cat(" ") ;
      date(f[3], "%a %b %e %H:%M:%S") ;
      cat("  ") ;
      cat(*f[5] ? f[5] : "MAILER-DAEMON") ;
      cat("\n") ;
    }
    else if (!strcmp(f[0], "R"))
    {
      if (*f[7]) { cat("(") ; cat(f[7]) ; cat(")\n") ; }
      pad("", 41, 0) ;
      cat(f[4]) ;
      cat("\n") ;
    }
  }
  return incomplete() ;
}

int mcq_print_show (stralloc *reply)
{
  char *f[MCQ_FIELDS_MAX] ;
  size_t pos = 0 ;
  int rcpts = 0, header = 0 ;
  while (next_line(reply, &pos, f))
  {
    int r = final(f) ;
    if (!r) { flush() ; return 0 ; }
    if (r > 0) return r ;
    if (!strcmp(f[0], "M"))
    {
      cat("queue id:     ") ; cat(f[1]) ;
      cat("\nstate:        ") ; cat(f[4]) ;
      cat("\nsize:         ") ; cat(f[2]) ;
      cat("\narrival:      ") ; date(f[3], "%Y-%m-%d %H:%M:%S %z") ;
      cat("\nsender:       <") ; cat(f[5]) ; cat(">\n") ;
    }
    else if (!strcmp(f[0], "E"))
    {
      size_t n = strlen(f[1]) ;
      cat(f[1]) ; cat(":") ;
      for (; n < 13 ; n++) cat(" ") ;
      cat(f[2]) ; cat("\n") ;
    }
    else if (!strcmp(f[0], "R"))
    {
      if (!rcpts++) cat("recipients:\n") ;
      cat("  <") ; cat(f[4]) ; cat(">  ") ; cat(f[1]) ;
      if (*f[3]) { cat(", ") ; cat(f[3]) ; }
      due(f[2]) ;
      if (*f[5]) { cat(", NOTIFY=") ; cat(f[5]) ; }
      if (*f[6]) { cat(", ORCPT=") ; cat(f[6]) ; }
      cat("\n") ;
      if (*f[7]) { cat("      last: ") ; cat(f[7]) ; cat("\n") ; }
    }
    else if (!strcmp(f[0], "H"))
    {
      if (!header++) cat("header:\n") ;
      cat("  ") ; cat(f[1]) ; cat("\n") ;
    }
  }
  return incomplete() ;
}
