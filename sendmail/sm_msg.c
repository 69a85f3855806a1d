/* ISC license. */

#include <string.h>
#include <strings.h>
#include <skalibs/genalloc.h>

#include "sendmail.h"

/* RFC 5322 2.2 and 3.6.8: field-name = 1*ftext, ftext = %d33-57 /
 * %d59-126; obs-optional allows white space before the colon (4.5.8). */
static int is_ftext (unsigned char c)
{
  return c >= 33 && c <= 126 && c != ':' ;
}

static size_t line_end (char const *s, size_t len, size_t i)
{
  char const *lf = memchr(s + i, '\n', len - i) ;
  return lf ? (size_t)(lf - s) : len ;
}

int sm_field_is (sm_msg const *m, sm_field const *f, char const *name)
{
  size_t n = strlen(name) ;
  return f->namelen == n && !strncasecmp(m->text.s + f->start, name, n) ;
}

int sm_msg_scan (sm_msg *m)
{
  char const *s = m->text.s ;
  size_t len = m->text.len ;
  size_t i = 0 ;
  genalloc_setlen(sm_field, &m->fields, 0) ;
  m->has_from = m->has_date = m->has_msgid = m->has_resent = m->eightbit = 0 ;
  for (size_t k = 0 ; k < len ; k++) if ((unsigned char)s[k] >= 0x80) { m->eightbit = 1 ; break ; }
  m->body = len ;
  while (i < len)
  {
    sm_field f ;
    size_t eol = line_end(s, len, i) ;
    size_t j = i ;
    if (eol == i) { m->body = i + 1 ; return 1 ; }   /* the empty line */
    while (j < eol && is_ftext(s[j])) j++ ;
    f.namelen = j - i ;
    while (j < eol && (s[j] == ' ' || s[j] == '\t')) j++ ;
    if (!f.namelen || j >= eol || s[j] != ':') { m->body = i ; return 1 ; }  /* no field: the body begins */
    f.start = i ;
    f.value = j + 1 ;
    i = eol + 1 ;
    while (i < len && (s[i] == ' ' || s[i] == '\t')) i = line_end(s, len, i) + 1 ;
    if (i > len) i = len ;
    f.len = i - f.start ;
    if (!genalloc_append(sm_field, &m->fields, &f)) return 0 ;
    if (sm_field_is(m, &f, "from")) m->has_from = 1 ;
    else if (sm_field_is(m, &f, "date")) m->has_date = 1 ;
    else if (sm_field_is(m, &f, "message-id")) m->has_msgid = 1 ;
    else if (sm_field_is(m, &f, "resent-to") || sm_field_is(m, &f, "resent-cc") || sm_field_is(m, &f, "resent-bcc")) m->has_resent = 1 ;
  }
  return 1 ;
}
