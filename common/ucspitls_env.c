/* ISC license. */

#include <stdlib.h>

#include "common/ucspitls.h"
#include "common/ucspitls-internal.h"

/* tlsd -i puts the parameters in the environment and removes SSLCTLFD;
 * tlsd without -i removes the parameters. So SSL_PROTOCOL beside
 * SSLCTLFD did not come from tlsd and is not believed. */

int ucspitls_env (ucspitls_info *info)
{
  char const *proto = getenv("SSL_PROTOCOL") ;
  char const *cipher = getenv("SSL_CIPHER") ;
  char const *sni = getenv("SSL_TLS_SNI_SERVERNAME") ;
  info->protocol[0] = info->cipher[0] = info->sni[0] = 0 ;
  info->discarded = 0 ;
  if (getenv("SSLCTLFD") || !proto || !*proto || !cipher || !*cipher) return 0 ;
  if (!ucspitls_copy(info->protocol, UCSPITLS_PROTOCOL_MAX, proto)
   || !ucspitls_copy(info->cipher, UCSPITLS_CIPHER_MAX, cipher)) return 0 ;
  if (sni && !ucspitls_copy(info->sni, UCSPITLS_SNI_MAX, sni)) info->sni[0] = 0 ;
  return 1 ;
}
