/* ISC license. */

/* The key list, and paths written for docker-mailserver's container
 * mapped onto this host's config folder. */

#include <string.h>
#include <unistd.h>

#include "common/dns.h"
#include "dkimsign.h"

void ds_keys_add (dskeys *k, char const *domain, size_t dlen, char const *selector, size_t slen, char const *path, size_t plen)
{
  dskey *e ;
  if (k->n >= DS_KEYS_MAX || !dlen || dlen > DNS_NAME_MAX || !slen || slen > DS_SELECTOR_MAX || !plen || plen > DS_PATH_MAX) return ;
  for (unsigned int i = 0 ; i < k->n ; i++)
    if (strlen(k->key[i].domain) == dlen && !strncasecmp(k->key[i].domain, domain, dlen)
     && strlen(k->key[i].selector) == slen && !memcmp(k->key[i].selector, selector, slen)) return ;
  e = k->key + k->n++ ;
  for (size_t i = 0 ; i < dlen ; i++) e->domain[i] = domain[i] >= 'A' && domain[i] <= 'Z' ? domain[i] + 32 : domain[i] ;
  e->domain[dlen] = 0 ;
  memcpy(e->selector, selector, slen) ;
  e->selector[slen] = 0 ;
  memcpy(e->path, path, plen) ;
  e->path[plen] = 0 ;
}

static int join (char *out, char const *a, char const *b, size_t blen)
{
  size_t al = strlen(a) ;
  if (al + 1 + blen > DS_PATH_MAX) return 0 ;
  memcpy(out, a, al) ;
  out[al] = '/' ;
  memcpy(out + al + 1, b, blen) ;
  out[al + 1 + blen] = 0 ;
  return 1 ;
}

/* docker-mailserver copies config/opendkim/ to /etc/opendkim/ and
 * mounts the config folder at /tmp/docker-mailserver/: its tables name
 * those paths. A path that exists here as written is used as is. */
int ds_path_map (char *out, char const *confdir, char const *path, size_t plen, char const *reldir)
{
  static char const etc[] = "/etc/opendkim/" ;
  static char const dms[] = "/tmp/docker-mailserver/" ;
  char sub[DS_PATH_MAX + 1] ;
  if (!plen || plen > DS_PATH_MAX) return 0 ;
  if (path[0] != '/')
  {
    if (!join(sub, confdir, reldir, strlen(reldir))) return 0 ;
    return join(out, sub, path, plen) ;
  }
  memcpy(out, path, plen) ;
  out[plen] = 0 ;
  if (!access(out, F_OK)) return 1 ;
  if (plen > sizeof(etc) - 1 && !memcmp(path, etc, sizeof(etc) - 1))
  {
    if (!join(sub, confdir, "opendkim", 8)) return 0 ;
    return join(out, sub, path + sizeof(etc) - 1, plen - (sizeof(etc) - 1)) ;
  }
  if (plen > sizeof(dms) - 1 && !memcmp(path, dms, sizeof(dms) - 1))
    return join(out, confdir, path + sizeof(dms) - 1, plen - (sizeof(dms) - 1)) ;
  return 1 ;
}
