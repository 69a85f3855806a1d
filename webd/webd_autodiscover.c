/* ISC license. */

/* Microsoft's Autodiscover for Outlook ("POX" autodiscover, [MS-OXDSCLI]):
 * Outlook POSTs to https://autodiscover.<domain>/autodiscover/autodiscover.xml
 *
 *   <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
 *     <Request><EMailAddress>user@domain</EMailAddress>
 *       <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
 *     </Request></Autodiscover>
 *
 * and gets the "outlook" response schema: an email account (Action
 * settings) with IMAP (993, SSL), POP3 when ENABLE_POP3 (995, SSL) and
 * SMTP (465, SSL), login name the address. A request for the
 * "mobilesync" schema wants Exchange ActiveSync, which this server does
 * not speak: it gets the protocol's own error answer (code 600, invalid
 * request), so the device falls back to IMAP settings. A GET (some
 * clients probe that way) is answered the same, with the address from
 * ?emailaddress= if any.
 *
 * The body is not parsed as XML: the two elements are found as text
 * (first occurrence, any namespace prefix) and the address must be a
 * valid mailbox, so no entity, DTD or nesting is ever interpreted. */

#include <string.h>

#include <skalibs/strerr.h>

#include "common/addr.h"
#include "common/config.h"
#include "webd.h"

#define NS_RESPONSE "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
#define NS_OUTLOOK "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
#define NS_MOBILESYNC "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"

/* The text of the first element whose local name is name:
 * "<name>" or "<prefix:name>", up to the next '<'. 1 and [*v, *v+*n),
 * or 0. */
static int element_text (char const *s, size_t len, char const *name, char const **v, size_t *n)
{
  size_t nl = strlen(name) ;
  for (size_t i = 0 ; i + nl + 1 < len ; i++)
  {
    size_t j, k ;
    if (s[i] != '<') continue ;
    j = i + 1 ;
    k = j ;
    while (k < len && k - j < 64 && s[k] != '>' && s[k] != ':' && s[k] != ' ' && s[k] != '<') k++ ;
    if (k < len && s[k] == ':') j = k + 1 ;
    if (len - j < nl + 1 || memcmp(s + j, name, nl) || s[j + nl] != '>') continue ;
    j += nl + 1 ;
    k = j ;
    while (k < len && s[k] != '<') k++ ;
    while (j < k && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n')) j++ ;
    while (k > j && (s[k-1] == ' ' || s[k-1] == '\t' || s[k-1] == '\r' || s[k-1] == '\n')) k-- ;
    *v = s + j ;
    *n = k - j ;
    return 1 ;
  }
  return 0 ;
}

static void protocol (stralloc *sa, char const *type, char const *host, unsigned int port, char const *login)
{
  webd_cats(sa, "      <Protocol>\n") ;
  webd_cats(sa, "        <Type>") ; webd_cats(sa, type) ; webd_cats(sa, "</Type>\n") ;
  webd_cats(sa, "        <Server>") ; webd_cat_xml(sa, host) ; webd_cats(sa, "</Server>\n") ;
  webd_cats(sa, "        <Port>") ; webd_catu(sa, port) ; webd_cats(sa, "</Port>\n") ;
  webd_cats(sa, "        <DomainRequired>off</DomainRequired>\n") ;
  if (login[0]) { webd_cats(sa, "        <LoginName>") ; webd_cat_xml(sa, login) ; webd_cats(sa, "</LoginName>\n") ; }
  webd_cats(sa, "        <SPA>off</SPA>\n        <SSL>on</SSL>\n        <AuthRequired>on</AuthRequired>\n") ;
  if (!strcmp(type, "SMTP")) webd_cats(sa, "        <UsePOPAuth>on</UsePOPAuth>\n        <SMTPLast>off</SMTPLast>\n") ;
  webd_cats(sa, "      </Protocol>\n") ;
}

static void error_answer (stralloc *sa, char const *code, char const *message)
{
  webd_cats(sa, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Autodiscover xmlns=\"" NS_RESPONSE "\">\n  <Response>\n") ;
  webd_cats(sa, "    <Error Time=\"00:00:00\" Id=\"0\">\n      <ErrorCode>") ; webd_cats(sa, code) ;
  webd_cats(sa, "</ErrorCode>\n      <Message>") ; webd_cats(sa, message) ;
  webd_cats(sa, "</Message>\n      <DebugData />\n    </Error>\n  </Response>\n</Autodiscover>\n") ;
}

void webd_autodiscover (webd_req const *q, webd_response *resp)
{
  char const *host = config_hostname() ;
  char login[ADDR_PATH_MAX + 3] ;
  char const *v ;
  size_t n ;
  int pop3 ;
  login[0] = 0 ;
  if (!config_get_bool("ENABLE_POP3", 0, &pop3)) strerr_dief1x(100, "ENABLE_POP3 must be a boolean") ;
  resp->status = 200 ;
  resp->ctype = "application/xml; charset=utf-8" ;
  if (q->r->method == HTTP_POST)
  {
    if (element_text(q->body, q->bodylen, "AcceptableResponseSchema", &v, &n)
     && n == sizeof(NS_MOBILESYNC) - 1 && !memcmp(v, NS_MOBILESYNC, n))
    {
      error_answer(&resp->body, "600", "Invalid Request") ;
      return ;
    }
    if (element_text(q->body, q->bodylen, "EMailAddress", &v, &n))
    {
      mailaddr a ;
      if (!addr_parse_mailbox(v, n, &a, 0) || a.literal) { error_answer(&resp->body, "600", "Invalid Request") ; return ; }
      memcpy(login, a.s, a.len + 1) ;
    }
  }
  else
  {
    char email[ADDR_PATH_MAX + 3] ;
    mailaddr a ;
    if (http_query_param(q->r, q->head, "emailaddress", email, sizeof(email)) == 1
     && addr_parse_mailbox(email, strlen(email), &a, 0) && !a.literal)
      memcpy(login, a.s, a.len + 1) ;
  }
  {
    stralloc *sa = &resp->body ;
    webd_cats(sa, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Autodiscover xmlns=\"" NS_RESPONSE "\">\n") ;
    webd_cats(sa, "  <Response xmlns=\"" NS_OUTLOOK "\">\n") ;
    if (login[0])
    {
      webd_cats(sa, "    <User>\n      <DisplayName>") ; webd_cat_xml(sa, login) ;
      webd_cats(sa, "</DisplayName>\n    </User>\n") ;
    }
    webd_cats(sa, "    <Account>\n      <AccountType>email</AccountType>\n      <Action>settings</Action>\n") ;
    protocol(sa, "IMAP", host, webd_port("PH_IMAPS_PORT", 993), login) ;
    if (pop3) protocol(sa, "POP3", host, webd_port("PH_POP3S_PORT", 995), login) ;
    protocol(sa, "SMTP", host, webd_port("PH_SUBMISSIONS_PORT", 465), login) ;
    webd_cats(sa, "    </Account>\n  </Response>\n</Autodiscover>\n") ;
  }
}
