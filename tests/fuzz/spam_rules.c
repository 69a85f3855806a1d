/* ISC license. */

/* libFuzzer harness for policyd-spam's readers of untrusted and
 * configured text: the first line of the input is a zone list
 * (PH_DNSBL_ZONES syntax) and an allow-list, the rest a message whose
 * header the header-sanity, HELO and Authentication-Results rules
 * read. Checks: zones parse into valid names that build query names of
 * at most DNS_NAME_MAX; the X-Spam fields are header fields (lines of
 * at most 998 bytes, continuations start with a tab, no control byte). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "policyd/spam.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static spam_settings set ;
  static spam s ;
  static spam_zone zones[SPAM_ZONES_MAX] ;
  char line[1024] ;
  char name[DNS_NAME_MAX + 1] ;
  unsigned int nz ;
  char const *msg = (char const *)data ;
  char const *nl = memchr(data, '\n', size) ;
  size_t l = nl ? (size_t)(nl - msg) : size ;
  stralloc fields = STRALLOC_ZERO ;
  if (l >= sizeof(line)) l = sizeof(line) - 1 ;
  memcpy(line, data, l) ;
  line[l] = 0 ;
  if (memchr(line, 0, l)) return 0 ;

  if (spam_zones_parse(line, zones, SPAM_ZONES_MAX, &nz))
  {
    if (nz > SPAM_ZONES_MAX) abort() ;
    for (unsigned int i = 0 ; i < nz ; i++)
    {
      size_t n = spam_dnsbl_name(name, "2001:db8::1", zones[i].name) ;
      if (!n || n > DNS_NAME_MAX || strlen(name) != n) abort() ;
      n = spam_dnsbl_name(name, "192.0.2.1", zones[i].name) ;
      if (!n || n > DNS_NAME_MAX) abort() ;
      if (zones[i].ncodes > SPAM_ZONE_CODES_MAX) abort() ;
    }
  }
  spam_dnsbl_name(name, line, "bl.test") ;
  spam_list_match_address(line, "a@b.test") ;
  spam_list_match_domain(line, "a@sub.b.test") ;

  memset(&s, 0, sizeof(s)) ;
  set.tag = -100 ;
  set.tag2 = 5 ;
  set.kill = 10 ;
  set.hostname = "mail.example.test" ;
  set.many_rcpts = 3 ;
  if (!stralloc_catb(&s.msg, msg + (nl ? l + 1 : size), nl ? size - l - 1 : 0)) abort() ;
  s.hlen = spam_header_length(s.msg.s, s.msg.len) ;
  if (s.hlen > s.msg.len) abort() ;
  s.ip = "192.0.2.1" ;
  s.helo = line ;
  s.qid = "fuzz" ;
  spam_check_header(&set, &s) ;
  spam_check_helo(&set, &s) ;
  spam_check_authres(&set, &s) ;
  if (s.nhits > SPAM_HITS_MAX) abort() ;
  if (!spam_fields(&fields, &set, &s)) abort() ;
  {
    stralloc removes = STRALLOC_ZERO ;
    unsigned int lines = 0 ;
    set.spam_subject = "[SPAM] " ;
    s.score = 6 ;
    if (!spam_rewrite(&set, &s, &fields, &removes)) abort() ;
    for (size_t i = 0 ; i < removes.len ; i++) if (removes.s[i] == '\n') lines++ ;
    if (lines > 16 || (removes.len && memcmp(removes.s, "remove ", 7))) abort() ;
    stralloc_free(&removes) ;
  }
  {
    size_t start = 0 ;
    for (size_t i = 0 ; i < fields.len ; i++)
    {
      unsigned char c = (unsigned char)fields.s[i] ;
      if (c == '\n')
      {
        if (i - start > 998) abort() ;
        start = i + 1 ;
        if (start < fields.len && fields.s[start] != '\t' && fields.s[start] != ' ' && memcmp(fields.s + start, "X-Spam", 6) && memcmp(fields.s + start, "Subject: ", 9)) abort() ;
      }
      else if ((c < 0x20 && c != '\t') || c == 0x7f) abort() ;
    }
  }
  stralloc_free(&fields) ;
  stralloc_free(&s.msg) ;
  return 0 ;
}
