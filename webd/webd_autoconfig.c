/* ISC license. */

/* Thunderbird's autoconfig (the "clientConfig" format, version 1.1,
 * https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat),
 * asked at http(s)://autoconfig.<domain>/mail/config-v1.1.xml and
 * /.well-known/autoconfig/mail/config-v1.1.xml, usually with
 * ?emailaddress=<address>. The servers are this host (config_hostname)
 * with the ports the services listen on: IMAP 993 (SSL) and 143
 * (STARTTLS), POP3 995 and 110 when ENABLE_POP3, SMTP submission 465
 * (SSL) and 587 (STARTTLS); the user name is the whole address
 * (%EMAILADDRESS%, as authd expects). The domain named is the
 * address's when it is local, else the Host's (without "autoconfig."),
 * else the host name's parent: nothing here reveals which addresses
 * exist. */

#include <string.h>

#include <skalibs/strerr.h>

#include "common/config.h"
#include "webd.h"

static void server (stralloc *sa, char const *kind, char const *type, char const *host, unsigned int port, char const *socket)
{
  webd_cats(sa, "    <") ; webd_cats(sa, kind) ; webd_cats(sa, " type=\"") ; webd_cats(sa, type) ; webd_cats(sa, "\">\n") ;
  webd_cats(sa, "      <hostname>") ; webd_cat_xml(sa, host) ; webd_cats(sa, "</hostname>\n") ;
  webd_cats(sa, "      <port>") ; webd_catu(sa, port) ; webd_cats(sa, "</port>\n") ;
  webd_cats(sa, "      <socketType>") ; webd_cats(sa, socket) ; webd_cats(sa, "</socketType>\n") ;
  webd_cats(sa, "      <authentication>password-cleartext</authentication>\n") ;
  webd_cats(sa, "      <username>%EMAILADDRESS%</username>\n") ;
  webd_cats(sa, "    </") ; webd_cats(sa, kind) ; webd_cats(sa, ">\n") ;
}

static int try_domain (char const *d, char *out)
{
  size_t n = strlen(d) ;
  if (!n || n > 253 || webd_domain_local(d) != 1) return 0 ;
  memcpy(out, d, n + 1) ;
  return 1 ;
}

void webd_autoconfig (webd_req const *q, webd_response *resp)
{
  char const *host = config_hostname() ;
  char domain[256] ;
  char email[320] ;
  int pop3 ;
  domain[0] = 0 ;
  if (!config_get_bool("ENABLE_POP3", 0, &pop3)) strerr_dief1x(100, "ENABLE_POP3 must be a boolean") ;
  if (http_query_param(q->r, q->head, "emailaddress", email, sizeof(email)) == 1)
  {
    char *at = strrchr(email, '@') ;
    if (at) for (char *p = at + 1 ; *p ; p++) if (*p >= 'A' && *p <= 'Z') *p += 32 ;
    if (at) try_domain(at + 1, domain) ;
  }
  if (!domain[0] && !strncmp(q->r->host, "autoconfig.", 11)) try_domain(q->r->host + 11, domain) ;
  if (!domain[0]) try_domain(q->r->host, domain) ;
  if (!domain[0])
  {
    char const *dot = strchr(host, '.') ;
    size_t n = strlen(dot && dot[1] ? dot + 1 : host) ;
    if (n > 255) n = 255 ;
    memcpy(domain, dot && dot[1] ? dot + 1 : host, n) ;
    domain[n] = 0 ;
  }
  resp->status = 200 ;
  resp->ctype = "application/xml; charset=utf-8" ;
  {
    stralloc *sa = &resp->body ;
    webd_cats(sa, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n") ;
    webd_cats(sa, "  <emailProvider id=\"") ; webd_cat_xml(sa, domain) ; webd_cats(sa, "\">\n") ;
    webd_cats(sa, "    <domain>") ; webd_cat_xml(sa, domain) ; webd_cats(sa, "</domain>\n") ;
    webd_cats(sa, "    <displayName>") ; webd_cat_xml(sa, domain) ; webd_cats(sa, " mail</displayName>\n") ;
    webd_cats(sa, "    <displayShortName>") ; webd_cat_xml(sa, domain) ; webd_cats(sa, "</displayShortName>\n") ;
    server(sa, "incomingServer", "imap", host, webd_port("PH_IMAPS_PORT", 993), "SSL") ;
    server(sa, "incomingServer", "imap", host, webd_port("PH_IMAP_PORT", 143), "STARTTLS") ;
    if (pop3)
    {
      server(sa, "incomingServer", "pop3", host, webd_port("PH_POP3S_PORT", 995), "SSL") ;
      server(sa, "incomingServer", "pop3", host, webd_port("PH_POP3_PORT", 110), "STARTTLS") ;
    }
    server(sa, "outgoingServer", "smtp", host, webd_port("PH_SUBMISSIONS_PORT", 465), "SSL") ;
    server(sa, "outgoingServer", "smtp", host, webd_port("PH_SUBMISSION_PORT", 587), "STARTTLS") ;
    webd_cats(sa, "  </emailProvider>\n</clientConfig>\n") ;
  }
}
