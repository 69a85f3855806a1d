/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>
#include <skalibs/random.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/log.h"
#include "common/rfc5322addr.h"
#include "common/rfc5322date.h"
#include "smtpd/smtp_session.h"
#include "sub_header.h"
#include "sub_owner.h"
#include "submitd.h"

/* RFC 6409 8: what a submission server may do to a message. submitd
 * adds Date (8.2) and Message-ID (8.3) when the message has none, at
 * the end of its header section; the Received header and the
 * envelope's U field (the login: queued's outbound chain, DKIM) come
 * from the engine. With SPOOF_PROTECTION, the header From is the
 * login's own too, checked when the data is whole and before anything
 * is committed. */

/* RFC 5322 3.6.4: id-right is a dot-atom-text; our host name should be
 * one, and is reduced to one if not. */
static size_t clean_host (char *out, size_t max, char const *host)
{
  size_t n = 0 ;
  for (; *host && n < max ; host++)
  {
    char c = *host ;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || (c == '.' && n && out[n - 1] != '.'))
      out[n++] = c ;
  }
  while (n && out[n - 1] == '.') n-- ;
  if (!n) { memcpy(out, "localhost", 9) ; n = 9 ; }
  return n ;
}

void sub_msgstart (smtp_session *s)
{
  static char const alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" ;
  sub_state *st = s->hookdata ;
  unsigned char r[24] ;
  size_t n ;
  char date[RFC5322DATE_FMT] ;
  size_t dlen = rfc5322date_fmt(date, time(0)) ;
  memcpy(st->adddate, "Date: ", 6) ;
  memcpy(st->adddate + 6, date, dlen) ;
  memcpy(st->adddate + 6 + dlen, "\n", 2) ;
  /* "<" 24 random base-62 characters (about 143 bits) "@" host ">" */
  memcpy(st->addmsgid, "Message-ID: <", 13) ;
  n = 13 ;
  random_buf((char *)r, sizeof(r)) ;
  for (unsigned int i = 0 ; i < sizeof(r) ; i++) st->addmsgid[n++] = alphabet[r[i] % 62] ;
  st->addmsgid[n++] = '@' ;
  n += clean_host(st->addmsgid + n, 255, s->engine->hostname) ;
  memcpy(st->addmsgid + n, ">\n", 3) ;
  sub_header_init(&st->hdr, st->adddate, st->addmsgid) ;
}

void sub_msgput (smtp_session *s, char const *p, size_t len)
{
  static char out[SMTP_INBUF_SIZE + SUB_HDR_EXTRA] ;
  sub_state *st = s->hookdata ;
  while (len)
  {
    size_t n = len < SMTP_INBUF_SIZE ? len : SMTP_INBUF_SIZE ;
    if (sub_header_inbody(&st->hdr)) { smtp_message_write(s, p, len) ; return ; }
    smtp_message_write(s, out, sub_header_feed(&st->hdr, p, n, out)) ;
    p += n ;
    len -= n ;
  }
}

typedef struct fromcheck_s fromcheck, *fromcheck_ref ;
struct fromcheck_s
{
  sub_state *st ;
  unsigned int n ;     /* mailboxes seen */
  int lookuperr ;
  char bad[RFC5322ADDR_MAX + 1] ;   /* the first one not owned */
} ;

static int check_one (rfc5322addr const *a, void *data)
{
  fromcheck *fc = data ;
  mailaddr m ;
  char key[ADDR_PATH_MAX + 3] ;
  size_t keylen ;
  int r ;
  fc->n++ ;
  if (!addr_parse_mailbox(a->s, a->len, &m, ADDR_UTF8_OK)) goto notowned ;
  keylen = addr_key(&m, key) ;
  key[keylen] = 0 ;
  r = sub_owns(&fc->st->policy.maps.aliases, fc->st->delims, fc->st->login, key, keylen) ;
  if (r > 0) return 1 ;
  if (r < 0) { fc->lookuperr = 1 ; return 0 ; }
 notowned:
  memcpy(fc->bad, a->s, a->len + 1) ;
  return (errno = EPERM, 0) ;
}

/* 1: every mailbox of every From field is the login's; 0: not (fc->bad
 * says which, or "" when the field cannot be read); -1: lookup error. */
static int header_from_owned (sub_state *st, fromcheck *fc)
{
  size_t i = 0 ;
  fc->st = st ;
  fc->n = 0 ;
  fc->lookuperr = 0 ;
  fc->bad[0] = 0 ;
  if (!st->hdr.nfrom) return 1 ;   /* no From at all: nobody is claimed */
  if (st->hdr.fromtoolong) return 0 ;
  while (i <= st->hdr.fromlen)
  {
    char const *v = st->hdr.from + i ;
    char const *nul = memchr(v, 0, st->hdr.fromlen - i) ;
    size_t vlen = nul ? (size_t)(nul - v) : st->hdr.fromlen - i ;
    unsigned int before = fc->n ;
    int r = rfc5322addr_parse(v, vlen, 0, &check_one, fc) ;
    if (fc->lookuperr) return -1 ;
    if (r != 1) return 0 ;
    if (fc->n == before) return 0 ;   /* RFC 5322 3.6.2: From is a mailbox-list, never empty */
    i += vlen + 1 ;
  }
  return 1 ;
}

void sub_msgend (smtp_session *s, smtp_verdict *v)
{
  static char out[SUB_HDR_EXTRA] ;
  static char text[RFC5322ADDR_MAX + AUTHCLIENT_TEXT_MAX + 80] ;
  sub_state *st = s->hookdata ;
  size_t n = sub_header_end(&st->hdr, out) ;
  if (st->spoof)
  {
    fromcheck fc ;
    int r = header_from_owned(st, &fc) ;
    if (r < 0)
    {
      *v = (smtp_verdict){ .code = 451, .enh = "4.3.0", .text = "temporary sender lookup failure", .reason = "lookup_error" } ;
      return ;
    }
    if (!r)
    {
      static char const middle[] = ">: Sender address in From header rejected: not owned by user " ;
      static char const unreadable[] = "From header without a readable address: not owned by user " ;
      size_t b = strlen(fc.bad) ;
      size_t u = strlen(st->login) ;
      size_t w = 0 ;
      logline l ;
      log_begin(&l, "spoof") ;
      log_kv(&l, "ip", s->ip) ;
      log_kv(&l, "user", s->authuser) ;
      log_kv(&l, "where", "header") ;
      log_kv(&l, "from", b ? fc.bad : "unreadable") ;
      log_kv(&l, "smtpid", s->id) ;
      log_commit(&l) ;
      if (b)
      {
        text[w++] = '<' ;
        memcpy(text + w, fc.bad, b) ; w += b ;
        memcpy(text + w, middle, sizeof(middle) - 1) ; w += sizeof(middle) - 1 ;
      }
      else
      {
        memcpy(text + w, unreadable, sizeof(unreadable) - 1) ;
        w += sizeof(unreadable) - 1 ;
      }
      memcpy(text + w, st->login, u) ; w += u ;
      text[w] = 0 ;
      *v = (smtp_verdict){ .code = 550, .enh = "5.7.1", .text = text, .reason = "spoof" } ;
      return ;
    }
  }
  smtp_message_write(s, out, n) ;
}
