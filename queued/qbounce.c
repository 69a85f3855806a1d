/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/types.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/dsn_utf8.h"
#include "common/log.h"
#include "queued/qconf.h"
#include "queued/qdsn.h"
#include "queued/qmsg.h"
#include "queued/inject_store.h"
#include "queued/qbounce.h"

#define HEADER_RETURN_MAX (256U << 10)   /* a returned header section */
#define LINE_TEXT_MAX 900                /* text in one header field, RFC 5322 2.1.1 */
#define LINE_MAX_OCTETS 998              /* one line, RFC 5322 2.1.1: a unitext address has no place to fold */

static injstore store ;
static int store_ready = 0 ;
static stralloc content = STRALLOC_ZERO ;   /* what is returned of the message */
static stralloc out = STRALLOC_ZERO ;       /* the notification, part by part */
static stralloc tmp = STRALLOC_ZERO ;
static stralloc utf8addr = STRALLOC_ZERO ;   /* a decoded "utf-8" ORCPT */
static size_t ctepos ;   /* in out: the top-level transfer encoding's value */

char const *qbounce_target (qmsg const *m, int action, unsigned char *kind, char const **why)
{
  *why = 0 ;
  if (qmsg_sender(m)[0])
  {
    *kind = QDSN_BOUNCE ;
    return qmsg_sender(m) ;
  }
  /* RFC 5321 4.5.5: never a notification to the null reverse-path. A
   * failed message from <> (a bounce, ours or another's) is a double
   * bounce for the postmaster; a failed double bounce is dropped. */
  if (action != QBOUNCE_FAILED) { *why = "null sender" ; return 0 ; }
  if (m->dsn == QDSN_DOUBLE) { *why = "double bounce undeliverable: dropped" ; return 0 ; }
  *kind = QDSN_DOUBLE ;
  return conf.postmaster ;
}

int qbounce_wanted (qmsg const *m, size_t i, int action)
{
  unsigned char b = qmsg_notify(m, i) ;
  if (!qmsg_sender(m)[0]) return action == QBOUNCE_FAILED ;
  if (b & QNOTIFY_NEVER) return 0 ;
  switch (action)
  {
    case QBOUNCE_FAILED : return !b || (b & QNOTIFY_FAILURE) ;
    /* RFC 3461 4.1: without NOTIFY, "FAILURE" or "FAILURE,DELAY" at the
     * MTA's choice; delay notices are already opt-in (the setting). */
    case QBOUNCE_DELAYED : return !b || (b & QNOTIFY_DELAY) ;
    default : return !!(b & QNOTIFY_SUCCESS) ;
  }
}

static int cats (char const *s)
{
  return stralloc_cats(&out, s) ;
}

/* An address or text for a header line: control bytes become '?'; UTF-8
 * stays (RFC 6532), and *eight notes it. */
static int cat_safe (char const *s, size_t max, int *eight)
{
  size_t n = strlen(s) ;
  if (n > max) n = max ;
  if (!stralloc_readyplus(&out, n)) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char c = s[i] ;
    if (c >= 0x80) *eight = 1 ;
    out.s[out.len++] = c < 32 || c == 127 ? '?' : (char)c ;
  }
  return 1 ;
}

/* RFC 5322 3.3 date-time, in UTC. */
static int cat_date (uint64_t t)
{
  struct tm tm ;
  time_t tt = (time_t)t ;
  char buf[64] ;
  size_t n ;
  if (!gmtime_r(&tt, &tm)) return 0 ;
  n = strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &tm) ;
  return n && stralloc_catb(&out, buf, n) ;
}

static int has_8bit (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++) if ((unsigned char)s[i] >= 0x80) return 1 ;
  return 0 ;
}

/* Reads what goes back to the sender: the whole message (a failure,
 * RET=FULL or no RET, not larger than PH_BOUNCE_SIZE_LIMIT), else its
 * header section. Returns 1 (whole) or 2 (headers), 0 on error. */
static int read_content (qmsg const *m, int action)
{
  char path[12 + QID_MAX + 1] ;
  size_t n = strlen(m->qid) ;
  int whole = action == QBOUNCE_FAILED && m->ret != 2 && m->size <= conf.bounce_size ;
  uint64_t want = whole ? m->size : (m->size < HEADER_RETURN_MAX ? m->size : HEADER_RETURN_MAX) ;
  int fd ;
  memcpy(path, "queue/", 6) ;
  memcpy(path + 6, m->qid, n) ;
  memcpy(path + 6 + n, "/mess", 6) ;
  content.len = 0 ;
  fd = open(path, O_RDONLY | O_CLOEXEC) ;
  if (fd < 0) return 0 ;
  if (!stralloc_ready(&content, (size_t)want + 1)) goto err ;
  while (content.len < want)
  {
    ssize_t r = pread(fd, content.s + content.len, (size_t)want - content.len, (off_t)content.len) ;
    if (r < 0) { if (errno == EINTR) continue ; goto err ; }
    if (!r) break ;
    content.len += (size_t)r ;
  }
  fd_close(fd) ;
  if (whole) return 1 ;
  /* The header section ends at the first empty line (RFC 5322 2.1); a
   * header cut by the size cap ends at its last complete line. */
  {
    char const *e = content.len && content.s[0] == '\n' ? content.s : memmem(content.s, content.len, "\n\n", 2) ;
    if (e) content.len = (size_t)(e - content.s) + (e == content.s ? 0 : 1) ;
    else
    {
      while (content.len && content.s[content.len - 1] != '\n') content.len-- ;
    }
  }
  return 2 ;
 err:
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return 0 ;
}

/* RFC 6533 3: in an internationalized report, an address that is not
 * ASCII has the "utf-8" type, written as utf-8-addr-unitext (UTF-8 as
 * is, '+', '=', '\\', space and controls as \\x{HEX}); an ASCII one keeps
 * "rfc822". An address the encoder refuses (not UTF-8, an unwritable
 * control; smtpd lets none through), or whose escapes would make the
 * line too long, is written as before. */
static int cat_address (char const *field, char const *addr, size_t len, int global, int *eight)
{
  if (!cats(field)) return 0 ;
  if (global && len <= 1024 && has_8bit(addr, len))
  {
    size_t pos = out.len ;
    if (!cats("utf-8; ")) return 0 ;
    if (dsn_utf8addr_encode(&out, addr, len, 0))
    {
      if (out.len - pos + strlen(field) <= LINE_MAX_OCTETS) { *eight = 1 ; return 1 ; }
    }
    else if (errno != EINVAL) return 0 ;
    out.len = pos ;
  }
  return cats("rfc822; ") && cat_safe(addr, 1024, eight) ;
}

/* The bytes an ORCPT value stands for, into tmp: an xtext one decoded
 * (RFC 3461 4.2), else the raw UTF-8 of a utf-8-addr-unitext one (RFC
 * 6533 3, which has no xtext wrapping; qdsn_orcpt let no other through).
 * 0 on ENOMEM. */
static int orcpt_bytes (char const *a, size_t al)
{
  tmp.len = 0 ;
  if (qdsn_xtext_valid(a, al)) return qdsn_xtext_decode(a, al, &tmp) ;
  return stralloc_catb(&tmp, a, al) ;
}

/* The ORCPT value of an internationalized report: a "utf-8" one in
 * either RFC 6533 form (after its xtext wrapping, RFC 3461 4.2, if it
 * came as xtext) is written as utf-8-addr-unitext; an "rfc822" one whose
 * bytes are UTF-8 becomes "utf-8" too. 1 when written, 2 when the caller
 * should write it as an RFC 3464 report would, 0 on ENOMEM. */
static int cat_orcpt_global (char const *t, size_t tl, char const *a, size_t al, int *eight)
{
  size_t pos = out.len ;
  if (!orcpt_bytes(a, al)) return 0 ;
  if (tl == 5 && !case_diffb(t, 5, "utf-8"))
  {
    utf8addr.len = 0 ;
    if (!dsn_utf8addr_decode(&utf8addr, tmp.s, tmp.len)) return errno == EINVAL ? 2 : 0 ;
    if (!cats("Original-Recipient: utf-8; ")) return 0 ;
    if (!dsn_utf8addr_encode(&out, utf8addr.s, utf8addr.len, 0))
    {
      if (errno != EINVAL) return 0 ;
      out.len = pos ;
      return 2 ;
    }
    if (out.len - pos > LINE_MAX_OCTETS) { out.len = pos ; return 2 ; }
    if (has_8bit(utf8addr.s, utf8addr.len)) *eight = 1 ;
    return 1 ;
  }
  if (!has_8bit(tmp.s, tmp.len) || tmp.len > 1024) return 2 ;
  if (!cats("Original-Recipient: utf-8; ")) return 0 ;
  if (dsn_utf8addr_encode(&out, tmp.s, tmp.len, 0))
  {
    if (out.len - pos <= LINE_MAX_OCTETS) { *eight = 1 ; return 1 ; }
  }
  else if (errno != EINVAL) return 0 ;
  out.len = pos ;
  return 2 ;
}

/* Does the report have to be an internationalized one (RFC 6533)? When
 * the message came with SMTPUTF8 (RFC 6531), or an address it names is
 * not ASCII: the recipient, the original recipient, the one it goes
 * to. */
static int wants_global (qmsg const *m, qbitem const *items, unsigned int n, char const *to)
{
  if (m->smtputf8 || has_8bit(to, strlen(to))) return 1 ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    int isaddr ;
    char const *addr = qmsg_addr(m, items[k].i) ;
    char const *orcpt = qmsg_orcpt(m, items[k].i, &isaddr) ;
    if (has_8bit(addr, strlen(addr))) return 1 ;
    if (!orcpt) continue ;
    if (isaddr)
    {
      if (has_8bit(orcpt, strlen(orcpt))) return 1 ;
    }
    else
    {
      /* a unitext ORCPT (RFC 6533 3) shows its UTF-8; an xtext one
       * only once decoded */
      char const *t, *a ;
      size_t tl, al ;
      if (qdsn_orcpt(orcpt, strlen(orcpt), &t, &tl, &a, &al))
      {
        if (has_8bit(a, al)) return 1 ;
        if (orcpt_bytes(a, al) && has_8bit(tmp.s, tmp.len)) return 1 ;
      }
    }
  }
  return 0 ;
}

static char const *action_name (int action)
{
  static char const *const names[] = { "failed", "delayed", "delivered", "relayed" } ;
  return names[action & 3] ;
}

/* The status code of an item: the text's own, if its class fits the
 * action, else the generic one. */
static void cat_status (qbitem const *b, int action)
{
  size_t n = qdsn_status(b->text) ;
  char want = action == QBOUNCE_FAILED ? 0 : action == QBOUNCE_DELAYED ? '4' : '2' ;
  if (n && (!want || b->text[0] == want) && (want || b->text[0] != '2'))
    stralloc_catb(&out, b->text, n) ;
  else cats(action == QBOUNCE_FAILED ? "5.0.0" : action == QBOUNCE_DELAYED ? "4.0.0" : "2.0.0") ;
}

static char const *text_after_code (char const *text)
{
  size_t n = qdsn_status(text) ;
  text += n ;
  while (*text == ' ') text++ ;
  return text ;
}

static int human_part (qmsg const *m, int action, qbitem const *items, unsigned int n, int *eight)
{
  if (!cats("This is the mail system at ") || !cat_safe(conf.hostname, 255, eight) || !cats(".\n\n")) return 0 ;
  switch (action)
  {
    case QBOUNCE_FAILED :
      if (!cats("Your message could not be delivered to the recipients below; the\n"
                "reasons follow each address. ")) return 0 ;
      if (!cats(content.len && m->ret != 2 && m->size <= conf.bounce_size
                ? "The message is attached.\n\n" : "Its header section is attached.\n\n")) return 0 ;
      break ;
    case QBOUNCE_DELAYED :
      if (!cats("Your message has not been delivered yet to the recipients below.\n"
                "This is only a warning: nothing needs to be done, delivery will be\n"
                "tried again until ")
       || !cat_date(m->arrival + conf.lifetime)
       || !cats(".\n\n")) return 0 ;
      break ;
    case QBOUNCE_RELAYED :
      if (!cats("Your message was handed to the next mail server for the recipients\n"
                "below, as you asked to know. That server sends no delivery\n"
                "notifications: this is the last one you will get.\n\n")) return 0 ;
      break ;
    default :
      if (!cats("Your message was delivered to the recipients below, as you asked.\n\n")) return 0 ;
      break ;
  }
  for (unsigned int k = 0 ; k < n ; k++)
  {
    if (!cats("<") || !cat_safe(qmsg_addr(m, items[k].i), 1024, eight) || !cats(">: ")) return 0 ;
    if (items[k].diag)
    {
      if (!cats("the remote server ") || (items[k].remotemta && (!cat_safe(items[k].remotemta, 255, eight) || !cats(" ")))
       || !cats("said: ") || !cat_safe(items[k].diag, LINE_TEXT_MAX, eight)) return 0 ;
    }
    else if (!cat_safe(items[k].text, LINE_TEXT_MAX, eight)) return 0 ;
    if (items[k].last && (!cats(" (last attempt: ") || !cat_safe(items[k].last, LINE_TEXT_MAX, eight) || !cats(")"))) return 0 ;
    if (!cats("\n")) return 0 ;
  }
  if (action == QBOUNCE_FAILED && !cats("\nFor help, write to the postmaster of this site and include this\nreport.\n")) return 0 ;
  return 1 ;
}

/* RFC 3464 2.2 and 2.3: the per-message fields, then one block per
 * recipient. */
static int status_part (qmsg const *m, int action, qbitem const *items, unsigned int n, uint64_t now, int global, int *eight)
{
  if (!cats("Reporting-MTA: dns; ") || !cat_safe(conf.hostname, 255, eight)
   || !cats("\nX-Posthaste-Queue-ID: ") || !cats(m->qid) || !cats("\n")) return 0 ;
  if (m->envid != QNONE)
  {
    tmp.len = 0 ;
    if (qdsn_xtext_decode(m->sa.s + m->envid, strlen(m->sa.s + m->envid), &tmp))
    {
      if (!cats("Original-Envelope-Id: ") || !qdsn_printable(&out, tmp.s, tmp.len, LINE_TEXT_MAX) || !cats("\n")) return 0 ;
    }
  }
  if (!cats("Arrival-Date: ") || !cat_date(m->arrival) || !cats("\n")) return 0 ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    qbitem const *b = items + k ;
    int isaddr ;
    char const *orcpt = qmsg_orcpt(m, b->i, &isaddr) ;
    if (!cats("\n")) return 0 ;
    if (orcpt)
    {
      if (isaddr)
      {
        if (!cat_address("Original-Recipient: ", orcpt, strlen(orcpt), global, eight)) return 0 ;
      }
      else
      {
        char const *t, *a ;
        size_t tl, al ;
        int done = 2 ;
        if (qdsn_orcpt(orcpt, strlen(orcpt), &t, &tl, &a, &al) && global)
        {
          done = cat_orcpt_global(t, tl, a, al, eight) ;
          if (!done) return 0 ;
        }
        if (done == 2 && qdsn_orcpt(orcpt, strlen(orcpt), &t, &tl, &a, &al))
        {
          if (!orcpt_bytes(a, al)) return 0 ;
          if (!cats("Original-Recipient: ") || !stralloc_catb(&out, t, tl) || !cats("; ")
           || !qdsn_printable(&out, tmp.s, tmp.len, LINE_TEXT_MAX)) return 0 ;
        }
      }
      if (!cats("\n")) return 0 ;
    }
    if (!cat_address("Final-Recipient: ", qmsg_addr(m, b->i), strlen(qmsg_addr(m, b->i)), global, eight)
     || !cats("\nAction: ") || !cats(action_name(action)) || !cats("\nStatus: ")) return 0 ;
    cat_status(b, action) ;
    if (!cats("\n")) return 0 ;
    if (b->remotemta && (!cats("Remote-MTA: dns; ") || !cat_safe(b->remotemta, 255, eight) || !cats("\n"))) return 0 ;
    if (b->diag)
    {
      if (!cats("Diagnostic-Code: smtp; ") || !cat_safe(b->diag, LINE_TEXT_MAX, eight) || !cats("\n")) return 0 ;
    }
    else
    {
      if (!cats("Diagnostic-Code: X-Posthaste; ") || !cat_safe(text_after_code(b->text), LINE_TEXT_MAX, eight)) return 0 ;
      if (b->last && (!cats("; last attempt: ") || !cat_safe(b->last, LINE_TEXT_MAX, eight))) return 0 ;
      if (!cats("\n")) return 0 ;
    }
    if (!cats("Last-Attempt-Date: ") || !cat_date(now) || !cats("\n")) return 0 ;
    if (action == QBOUNCE_DELAYED && (!cats("Will-Retry-Until: ") || !cat_date(m->arrival + conf.lifetime) || !cats("\n"))) return 0 ;
  }
  return 1 ;
}

static int build (qmsg const *m, int action, qbitem const *items, unsigned int n, char const *to, char const *qid, int returned, int global, int *eight)
{
  uint64_t now = (uint64_t)time(0) ;
  out.len = 0 ;
  if (!cats("From: Mail Delivery System <MAILER-DAEMON@") || !cat_safe(conf.hostname, 255, eight)
   || !cats(">\nTo: <") || !cat_safe(to, 1024, eight)
   || !cats(">\nSubject: ")
   || !cats(action == QBOUNCE_FAILED ? "Undelivered Mail Returned to Sender" : action == QBOUNCE_DELAYED ? "Delayed Mail (still being retried)" : "Successful Mail Delivery Report")
   || !cats("\nDate: ") || !cat_date(now)
   || !cats("\nMessage-ID: <") || !cats(qid) || !cats(".dsn@") || !cat_safe(conf.hostname, 255, eight)
   /* RFC 3834 5: an automatic answer; nobody should answer it. */
   || !cats(">\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=")
   || !cats(global ? "global-delivery-status" : "delivery-status")
   || !cats(";\n\tboundary=\"")
   || !cats(qid) || !cats("/posthaste\"\nContent-Transfer-Encoding: ")) return 0 ;
  ctepos = out.len ;
  if (!cats("7bit\n\nThis is a MIME-encapsulated message (RFC 6522).\n\n--") || !cats(qid)
   || !cats("/posthaste\nContent-Description: Notification\nContent-Type: text/plain; charset=")) return 0 ;
  {
    size_t cspos = out.len ;
    int e8 = 0 ;
    if (!cats("us-ascii\n\n")) return 0 ;
    if (!human_part(m, action, items, n, &e8)) return 0 ;
    if (e8)
    {
      /* Replace the charset: the text quotes UTF-8 addresses or replies. */
      tmp.len = 0 ;
      if (!stralloc_catb(&tmp, out.s + cspos + 8, out.len - cspos - 8)) return 0 ;
      out.len = cspos ;
      if (!cats("utf-8") || !stralloc_catb(&out, tmp.s, tmp.len)) return 0 ;
      *eight = 1 ;
    }
  }
  if (!cats("\n--") || !cats(qid) || !cats("/posthaste\nContent-Description: Delivery report\n"
            "Content-Type: message/")
   || !cats(global ? "global-delivery-status\n" : "delivery-status\n")) return 0 ;
  {
    /* RFC 6533 6.4: message/global-delivery-status is UTF-8 text; say
     * 8bit when it has some (RFC 2045 6: the default is 7bit). */
    size_t ctpos = out.len ;
    int s8 = 0 ;
    if (!cats("\n")) return 0 ;
    if (!status_part(m, action, items, n, now, global, &s8)) return 0 ;
    if (s8)
    {
      *eight = 1 ;
      if (global && !stralloc_inserts(&out, ctpos, "Content-Transfer-Encoding: 8bit\n")) return 0 ;
    }
  }
  if (returned)
  {
    int c8 = has_8bit(content.s, content.len) ;
    if (!cats("\n--") || !cats(qid) || !cats("/posthaste\nContent-Description: ")) return 0 ;
    /* RFC 6533 3 and 6.3, RFC 6532 3.7: the message of an
     * internationalized report is message/global, its header section
     * message/global-headers. */
    if (returned == 1)
    {
      if (!cats("Undelivered Message\nContent-Type: ")
       || !cats(global ? "message/global\n" : "message/rfc822\n")) return 0 ;
    }
    else if (!cats(action == QBOUNCE_FAILED ? "Undelivered Message Headers\n" : "Message Headers\n")
          || !cats("Content-Type: ")
          || !cats(global ? "message/global-headers\n" : "text/rfc822-headers\n")) return 0 ;
    if (c8)
    {
      *eight = 1 ;
      if (!cats("Content-Transfer-Encoding: 8bit\n")) return 0 ;
    }
    if (!cats("\n")) return 0 ;
  }
  return 1 ;
}

int qbounce_queue (qmsg const *m, int action, qbitem const *items, unsigned int n, char const *to, unsigned char kind, char *newqid)
{
  int eight = 0 ;
  int returned ;
  int global = wants_global(m, items, n, to) ;
  char qid[QID_MAX + 1] ;
  if (!store_ready) { injstore_init(&store) ; store_ready = 1 ; }
  returned = read_content(m, action) ;
  if (!returned) return 0 ;
  if (!injstore_begin(&store)) goto err ;
  memcpy(qid, store.qid, QID_MAX + 1) ;
  if (!build(m, action, items, n, to, qid, returned, global, &eight)) goto err ;
  if (eight || has_8bit(content.s, content.len))
  {
    /* 8-bit text in the notification: say so in its top-level header. */
    memcpy(out.s + ctepos, "8bit", 4) ;
    eight = 1 ;
  }
  if (!injstore_field(&store, 'F', "", 0)
   || !injstore_field(&store, 'T', to, strlen(to))
   || !injstore_field(&store, 'X', kind == QDSN_DOUBLE ? "DSN=double" : "DSN=bounce", 10)
   || (eight && !injstore_field(&store, 'M', "BODY=8BITMIME", 13))
   /* RFC 6533 4: an internationalized report travels with SMTPUTF8
    * (RFC 6531), which deliverd-remote then asks the next hop for */
   || ((global || has_8bit(to, strlen(to))) && !injstore_field(&store, 'M', "SMTPUTF8", 8))
   || !injstore_envend(&store)
   || !injstore_data(&store, out.s, out.len)
   || (returned && !injstore_data(&store, content.s, content.len))
   || !injstore_data(&store, "\n--", 3)
   || !injstore_data(&store, qid, strlen(qid))
   || !injstore_data(&store, "/posthaste--\n", 13)
   || !injstore_commit(&store)) goto err ;
  memcpy(newqid, store.qid, QID_MAX + 1) ;
  {
    logline l ;
    log_begin(&l, "dsn") ;
    log_kv(&l, "qid", newqid) ;
    log_kv(&l, "orig", m->qid) ;
    log_kv(&l, "action", action_name(action)) ;
    log_kv(&l, "to", to) ;
    log_kvu(&l, "rcpts", n) ;
    log_commit(&l) ;
  }
  return 1 ;
 err:
  injstore_abort(&store) ;
  return 0 ;
}
