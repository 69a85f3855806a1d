/* ISC license. */

#include <errno.h>
#include <string.h>

#include "common/greylist-internal.h"

/* RFC 6647 §2.2 with postgrey's choices: a triplet seen for the first
 * time (or whose earlier attempt is older than the retry window, or
 * which passed but was then unused for max_age) is deferred and
 * recorded; a retry after the delay passes, and the triplet passes from
 * then on; each triplet that passes counts once for its client network,
 * which after auto_whitelist of them is not greylisted any more (a
 * server that retries properly gains nothing from more delays). Keys
 * are lower-cased: the same sender in another case is the same sender. */

#define KEY_MAX (GREYLIST_NET_MAX + 2 * 1024)

static size_t lower_cat (char *key, size_t n, char const *s)
{
  size_t l = strlen(s) ;
  if (l > 1023) l = 1023 ;
  for (size_t i = 0 ; i < l ; i++) key[n + i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i] ;
  key[n + l] = 0 ;
  return n + l + 1 ;
}

int greylist_check (char const *dir, greylist_settings const *set, char const *ip, char const *sender, char const *rcpt, uint64_t now, uint64_t *wait)
{
  char key[KEY_MAX] ;
  char cpath[GREYLIST_PATH_MAX], tpath[GREYLIST_PATH_MAX] ;
  uint64_t c[2], t[3] ;
  size_t netlen = greylist_net(key, ip), n ;
  int r ;
  *wait = 0 ;
  if (!netlen) return (errno = EINVAL, -1) ;
  if (!greylist_path(cpath, dir, 'c', key, netlen)) return (errno = ENAMETOOLONG, -1) ;

  r = greylist_record_read(cpath, c, 2) ;
  if (r < 0) return -1 ;
  if (!r) c[0] = c[1] = 0 ;
  if (set->auto_whitelist && c[0] >= set->auto_whitelist && now - c[1] <= set->max_age)
  {
    /* known good: refresh its age now and then, not at every mail */
    if (now - c[1] > 3600)
    {
      c[1] = now ;
      if (!greylist_record_write(cpath, c, 2)) return -1 ;
    }
    return GREYLIST_CLIENT_OK ;
  }

  n = lower_cat(key, netlen + 1, sender ? sender : "") ;
  n = lower_cat(key, n, rcpt ? rcpt : "") ;
  if (!greylist_path(tpath, dir, 't', key, n)) return (errno = ENAMETOOLONG, -1) ;
  r = greylist_record_read(tpath, t, 3) ;
  if (r < 0) return -1 ;
  if (!r || t[0] > now
   || (!t[2] && now - t[0] > set->retry_window)
   || (t[2] && now - t[1] > set->max_age))
  {
    t[0] = t[1] = now ;
    t[2] = 0 ;
    if (!greylist_record_write(tpath, t, 3)) return -1 ;
    *wait = set->delay ;
    return GREYLIST_DEFER ;
  }
  if (!t[2])
  {
    if (now - t[0] < set->delay)
    {
      *wait = set->delay - (now - t[0]) ;
      return GREYLIST_DEFER ;   /* too early: the first attempt's time stays */
    }
    t[2] = 1 ;
    t[1] = now ;
    if (!greylist_record_write(tpath, t, 3)) return -1 ;
    c[0]++ ;
    c[1] = now ;
    if (!greylist_record_write(cpath, c, 2)) return -1 ;
    return GREYLIST_PASS ;
  }
  if (now - t[1] > 3600)
  {
    t[1] = now ;
    if (!greylist_record_write(tpath, t, 3)) return -1 ;
  }
  return GREYLIST_PASS ;
}
