/* ISC license. */

/* common/rfc5322addr: RFC 5322 3.4 address lists (groups, display
 * names, comments, folding, the obsolete forms of 4.4) and refusals. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>

#include "common/rfc5322addr.h"
#include "tests/unit/check.h"

static stralloc got = STRALLOC_ZERO ;
static unsigned int stop_after = 0 ;
static unsigned int calls = 0 ;

/* Collects "spec|" for each mailbox, with a "g:" prefix for group
 * members, and checks the at index. */
static int collect (rfc5322addr const *a, void *ctx)
{
  (void)ctx ;
  if (stop_after && ++calls > stop_after) return (errno = EDOM, 0) ;
  if (a->s[a->len] || a->at > a->len || (a->at < a->len && a->s[a->at] != '@')) return (errno = EFAULT, 0) ;
  return (!a->ingroup || stralloc_cats(&got, "g:")) && stralloc_catb(&got, a->s, a->len) && stralloc_catb(&got, "|", 1) ;
}

static int run (char const *in, unsigned int flags, char const *want)
{
  int r ;
  got.len = 0 ;
  r = rfc5322addr_parse(in, strlen(in), flags, &collect, 0) ;
  if (r != 1 || !stralloc_0(&got)) return 0 ;
  return !strcmp(got.s, want) ;
}

static int refused (char const *in, size_t len, unsigned int flags, int e)
{
  got.len = 0 ;
  return rfc5322addr_parse(in, len, flags, &collect, 0) == 0 && errno == e ;
}
#define REFUSED(s) refused((s), sizeof(s) - 1, 0, EINVAL)

int main (void)
{
  CHECK(run("a@b.example", 0, "a@b.example|"), "plain_addr_spec") ;
  CHECK(run("", 0, "") && run("  (nobody) ", 0, ""), "empty_list") ;
  CHECK(run("John Doe <john@example.com>", 0, "john@example.com|"), "display_name") ;
  CHECK(run("\"Doe, John\" <john@x.org>, jane@y.org", 0, "john@x.org|jane@y.org|"), "quoted_display_name_with_comma") ;
  CHECK(run("\"J. \\\"Q\\\" Doe\" <j@x.org>", 0, "j@x.org|"), "quoted_pairs_in_display_name") ;
  CHECK(run("<only@angle.org>", 0, "only@angle.org|"), "angle_without_name") ;
  CHECK(run("friends: a@b.org, Carol <c@d.org>;, e@f.org", 0, "g:a@b.org|g:c@d.org|e@f.org|"), "group_members") ;
  CHECK(run("undisclosed-recipients:;", 0, "") && run("Empty: (nothing here) ;", 0, ""), "empty_groups") ;
  CHECK(run("a@b.org, g: x@y.org; , z@w.org", 0, "a@b.org|g:x@y.org|z@w.org|"), "group_between_mailboxes") ;
  CHECK(run("john@x.org (John (the man) Doe), (c) <k@l.org>", 0, "john@x.org|k@l.org|"), "nested_comments") ;
  CHECK(run("(lead)a(mid)@(dom)x.org(trail)", 0, "a@x.org|"), "comments_between_tokens") ;
  CHECK(run("john . doe @ example . com", 0, "john.doe@example.com|"), "obs_local_part_and_domain_with_spaces") ;
  CHECK(run("Mary Q. Smith <mary@x.org>", 0, "mary@x.org|"), "obs_phrase_with_dot") ;
  CHECK(run("<@relay.org,@r2.org:user@host.org>", 0, "user@host.org|") && run("Old <@a.org:u@h.org>", 0, "u@h.org|"), "obs_route_dropped") ;
  CHECK(run("\"john doe\"@x.org", 0, "\"john doe\"@x.org|"), "quoted_local_part_kept") ;
  CHECK(run("user@[192.0.2.1], u2@[ IPv6:2001:db8::1 ]", 0, "user@[192.0.2.1]|u2@[IPv6:2001:db8::1]|"), "domain_literals") ;
  CHECK(run("a@b.org,\n c@d.org", 0, "a@b.org|c@d.org|") && run("Doe\r\n\t<x@y.org>", 0, "x@y.org|"), "folding") ;
  CHECK(run("\"folded\n quoted\"@x.org", 0, "\"folded quoted\"@x.org|"), "fold_inside_quoted_string") ;
  CHECK(run(", a@b.org,, ,c@d.org,", 0, "a@b.org|c@d.org|"), "obs_empty_elements") ;
  CHECK(run("root, admin@x.org", RFC5322ADDR_BARE_OK, "root|admin@x.org|"), "bare_local_part_allowed") ;
  CHECK(run("\xc3\x85lice <\xc3\xa5lice@ex\xc3\xa4mple.org>", 0, "\xc3\xa5lice@ex\xc3\xa4mple.org|"), "utf8_passes_through") ;

  CHECK(REFUSED("root"), "bare_refused_by_default") ;
  CHECK(REFUSED("a@b.org c@d.org"), "missing_comma") ;
  CHECK(REFUSED("John Doe a@b.org"), "phrase_without_angle") ;
  CHECK(REFUSED("<a@b.org") && REFUSED("a@b.org>") && REFUSED("<a@b.org>>"), "unbalanced_angle") ;
  CHECK(REFUSED("g: a@b.org"), "group_without_semicolon") ;
  CHECK(REFUSED("g: h: a@b.org;;"), "nested_group") ;
  CHECK(REFUSED(": a@b.org;"), "group_without_name") ;
  CHECK(REFUSED("a@b.org;"), "semicolon_outside_group") ;
  CHECK(REFUSED("g: a@b.org; c@d.org"), "missing_comma_after_group") ;
  CHECK(REFUSED("<>") && REFUSED("Nobody <>"), "null_path_refused") ;
  CHECK(REFUSED("a@") && REFUSED("@b.org") && REFUSED("a@b.") && REFUSED("a@b..c") && REFUSED("a..b@c.org") && REFUSED(".a@b.org") && REFUSED("a.@b.org"), "empty_labels_and_words") ;
  CHECK(REFUSED("a@b.org\nc@d.org") && REFUSED("a@b.org\r\n") && REFUSED("a@b\r.org"), "bare_line_breaks") ;
  CHECK(refused("a\0b@c.org", 9, 0, EINVAL) && REFUSED("a\001b@c.org") && REFUSED("\"a\001\"@c.org") && REFUSED("a@c.org (\x7f)"), "control_characters") ;
  CHECK(REFUSED("(unclosed a@b.org") && REFUSED("a@b.org (x))") && REFUSED("\"unclosed@b.org") && REFUSED("a@[1.2.3.4"), "unterminated_tokens") ;
  CHECK(REFUSED("a@[1.2\\.3.4]") && REFUSED("a@[1.[2].3]"), "bad_literals") ;
  CHECK(REFUSED("a\\b@c.org") && REFUSED("a@b.org]") && REFUSED("a@b.org)"), "stray_specials") ;
  CHECK(REFUSED("<@relay.org user@host.org>") && REFUSED("<@:user@host.org>"), "bad_routes") ;
  CHECK(REFUSED("<a@b.org> <c@d.org>"), "two_angles") ;
  {
    static char big[RFC5322ADDR_MAX + 32] ;
    memset(big, 'a', RFC5322ADDR_MAX) ;
    memcpy(big + RFC5322ADDR_MAX, "@x.org", 6) ;
    CHECK(refused(big, RFC5322ADDR_MAX + 6, 0, ENAMETOOLONG), "addr_spec_too_long") ;
    CHECK(refused(big, RFC5322ADDR_MAX - 6, 0, EINVAL), "long_bare_still_needs_domain") ;
    memcpy(big + RFC5322ADDR_MAX - 7, "@x.org", 6) ;
    CHECK(!refused(big, RFC5322ADDR_MAX - 1, 0, EINVAL), "addr_spec_just_fits") ;
  }
  stop_after = 1 ;
  calls = 0 ;
  got.len = 0 ;
  CHECK(rfc5322addr_parse("a@b.org, c@d.org", 16, 0, &collect, 0) == -1 && errno == EDOM, "callback_stops") ;
  stop_after = 0 ;
  stralloc_free(&got) ;
  return check_done() ;
}
