/* ISC license. */

/* imapd: IMAP before login (RFC 9051, RFC 3501), the half that faces
 * the network without a mailbox (docs/internals.md, "Mail access").
 * What it shares with pop3d (settings, counters, authd, the handover)
 * is common/preauth.h; the IMAP words are here.
 *
 * Security: runs as phimap under tcpd and tlsd (plaintext on fds 0/1;
 * TLS is tlsd's), one process per connection. It trusts nothing the
 * client sends: commands are assembled by the bounded imap_reader
 * (lines, literals ≤ IMAPD_LITERAL_MAX), AUTHENTICATE lines are bounded,
 * the connection has an idle deadline (PH_IMAP_PREAUTH_TIMEOUT), a BAD
 * limit and a failed-login limit. It never opens anything under
 * $PH_MAILROOT and never sees a password hash: credentials go to authd,
 * which answers with a one-time ticket; the client's fds and the ticket
 * then go to imap-session (uid vmail), which believes only the ticket.
 * It writes nothing on disk. It is not dumpable (nodump(), first thing
 * in preauth_init): the other imapd processes of phimap cannot read its
 * memory; and once a command is handled, its bytes are wiped from the
 * command buffer and the input buffer, so a password does not outlive
 * its LOGIN or AUTHENTICATE. A compromise gives the passwords of the
 * clients that connect to this process while it lasts, and a way to try
 * passwords at authd's pace, no more. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/banevent.h"
#include "common/log.h"
#include "common/preauth.h"
#include "imapd/imapd.h"

#define USAGE "imapd (under tcpd and tlsd, with PH_RUN_DIR set)"

static imapd d ;
static char inbuf[IMAPD_INBUF] ;
static char outbuf[IMAPD_OUTBUF] ;

/* Every command's bytes, passwords included, leave no copy behind: the
 * command buffer is preallocated above malloc's mmap threshold (so
 * growing it moves pages, not copies) and wiped up to its high-water
 * mark; the input buffer's free part (the consumed bytes) is wiped too. */
#define CMD_PREALLOC (2 * IMAP_LINE_MAX)
static size_t cmd_high = 0 ;

static void wipe_consumed (void)
{
  if (d.rd.cmd.len > cmd_high) cmd_high = d.rd.cmd.len ;
  preauth_wipe_consumed(&d.in.c) ;
}

static void wipe_command (void)
{
  if (cmd_high > d.rd.cmd.len) explicit_bzero(d.rd.cmd.s + d.rd.cmd.len, cmd_high - d.rd.cmd.len) ;
  cmd_high = d.rd.cmd.len ;
}

static void reader_error (void)
{
  /* the tag of a refused command is not trusted to be one: untagged BAD
   * (RFC 9051 §7.1.5 allows it when the tag cannot be determined) */
  char const *why ;
  switch (d.rd.error)
  {
    case IMAP_READER_TOOLONG : why = "BAD Command line too long" ; break ;
    case IMAP_READER_LITERAL_TOOBIG : why = "BAD Literal too big before login" ; break ;
    case IMAP_READER_BADLITERAL : why = "BAD Malformed literal" ; break ;
    case IMAP_READER_BARELINE : why = "BAD NUL byte or broken line" ; break ;
    default : why = "BAD Out of memory" ; break ;
  }
  if (imap_reader_must_close(&d.rd))
  {
    log_event2("bad_command", "ip", d.p.rip, "reason", why + 4) ;
    if (d.p.rip[0]) banevent_send("bad_command", d.p.rip, "imap", 0) ;
    imapd_bye(&d, why + 4, 1) ;
  }
  imapd_bad(&d, "*", "", why) ;
}

int main (int argc, char const *const *argv)
{
  PROG = "imapd" ;
  (void)argv ;
  if (argc > 1) strerr_dieusage(100, USAGE) ;
  preauth_init(&d.p, "imap", "PH_IMAP") ;
  tain_uint(&d.idle, d.p.idlesecs) ;
  buffer_init(&d.in, &buffer_read, 0, inbuf, sizeof(inbuf)) ;
  buffer_init(&d.out, &buffer_write, 1, outbuf, sizeof(outbuf)) ;
  d.rd = (imap_reader)IMAP_READER_ZERO ;
  d.rd.literal_max = IMAPD_LITERAL_MAX ;
  if (!stralloc_ready(&d.rd.cmd, CMD_PREALLOC)) strerr_diefu1sys(111, "allocate memory") ;
  imapd_touch(&d) ;
  {
    /* RFC 9051 §7.1.1: the greeting may carry the capabilities, which
     * saves the client a round trip */
    stralloc g = STRALLOC_ZERO ;
    if (!stralloc_cats(&g, "* OK [CAPABILITY ") || !stralloc_cats(&g, imapd_capability(&d))
     || !stralloc_cats(&g, "] ") || !stralloc_cats(&g, d.p.host) || !stralloc_cats(&g, " ready\r\n"))
      strerr_diefu1sys(111, "allocate memory") ;
    imapd_put(&d, g.s, g.len) ;
    stralloc_free(&g) ;
  }

  for (;;)
  {
    int r = imap_reader_get(&d.rd, &d.in) ;
    if (!r)
    {
      if (d.rd.want_continuation) imapd_puts(&d, "+ Ready for literal data\r\n") ;
      if (!imapd_fill(&d))
      {
        log_event2("disconnect", "ip", d.p.rip, "session", d.p.session) ;
        return 0 ;
      }
      continue ;
    }
    if (r < 0) reader_error() ;
    else
    {
      imapd_command(&d) ;
      wipe_consumed() ;
      imap_reader_reset(&d.rd) ;
      wipe_command() ;
    }
    imapd_touch(&d) ;
  }
}
