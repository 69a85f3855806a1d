/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

#include <skalibs/stralloc.h>

#include "common/config.h"
#include "tests/unit/check.h"

/* Parses text and compares the records, written as "A=1|B=2|" (| for \0). */
static int parses_to (char const *text, char const *want)
{
  stralloc sa = STRALLOC_ZERO ;
  unsigned int line = 99 ;
  int ok ;
  size_t i ;
  if (!envfile_parse(text, strlen(text), &sa, &line)) { printf("# parse failed at line %u\n", line) ; return 0 ; }
  for (i = 0 ; i < sa.len ; i++) if (!sa.s[i]) sa.s[i] = '|' ;
  ok = sa.len == strlen(want) && (!sa.len || !memcmp(sa.s, want, sa.len)) && line == 0 ;
  if (!ok) printf("# got: %.*s want: %s\n", (int)sa.len, sa.s, want) ;
  stralloc_free(&sa) ;
  return ok ;
}

static int fails_at (char const *text, size_t len, unsigned int wantline)
{
  stralloc sa = STRALLOC_ZERO ;
  unsigned int line = 0 ;
  int ok ;
  if (!stralloc_catb(&sa, "KEEP", 4)) return 0 ;
  errno = 0 ;
  ok = !envfile_parse(text, len, &sa, &line) && errno == EINVAL && line == wantline && sa.len == 4 ;
  if (!ok) printf("# line %u errno %d len %zu\n", line, errno, sa.len) ;
  stralloc_free(&sa) ;
  return ok ;
}

static char tmpdir[] = "/tmp/test_config.XXXXXX" ;
static char envpath[256] ;

static void write_file (char const *path, char const *s, size_t len)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) ;
  if (fd < 0 || write(fd, s, len) != (ssize_t)len) { perror(path) ; exit(111) ; }
  close(fd) ;
}

static int child_status (int broken)
{
  int status ;
  pid_t pid = fork() ;
  if (pid < 0) { perror("fork") ; exit(111) ; }
  if (!pid)
  {
    char const *v ;
    int devnull = open("/dev/null", O_WRONLY) ;
    dup2(devnull, 2) ;
    v = config_get("TC_LAZY") ;
    _exit(!broken && v && !strcmp(v, "yes") ? 0 : 1) ;
  }
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return -1 ;
  return WEXITSTATUS(status) ;
}

int main (void)
{
  /* envfile_parse */
  CHECK(parses_to("", ""), "envfile empty input") ;
  CHECK(parses_to("A=1\nB=2\n", "A=1|B=2|"), "envfile simple lines") ;
  CHECK(parses_to("A=1", "A=1|"), "envfile last line without newline") ;
  CHECK(parses_to("# comment\n\n   \n\t# indented comment\nA=1\n", "A=1|"), "envfile comments and blank lines") ;
  CHECK(parses_to("  A=1  \r\n", "A=1|"), "envfile trims the line and CRLF") ;
  CHECK(parses_to("export A=1\nexport\tB=2\n", "A=1|B=2|"), "envfile export prefix") ;
  CHECK(parses_to("exportX=1\n", "exportX=1|"), "envfile name starting with export") ;
  CHECK(parses_to("A=\n", "A=|"), "envfile empty value") ;
  CHECK(parses_to("A=b=c d\n", "A=b=c d|"), "envfile unquoted value with = and spaces") ;
  CHECK(parses_to("A='x y # z'\n", "A=x y # z|"), "envfile single quotes") ;
  CHECK(parses_to("A='a\\\"b'\n", "A=a\\\"b|"), "envfile single quotes literal") ;
  CHECK(parses_to("A=\"x \\\"y\\\" \\\\ \\n\"\n", "A=x \"y\" \\ \\n|"), "envfile double quote escapes") ;
  CHECK(parses_to("A=\"\"\nB=''\n", "A=|B=|"), "envfile empty quoted values") ;
  CHECK(parses_to("A=\"v\"  # note\n", "A=v|"), "envfile comment after quotes") ;
  CHECK(parses_to("A=1 # note\nB=a#b\n", "A=1|B=a#b|"), "envfile inline comment after whitespace only") ;
  CHECK(parses_to("_a9=x\n", "_a9=x|"), "envfile name charset") ;
  CHECK(parses_to("A=\"it's\"\n", "A=it's|"), "envfile other quote inside") ;
  CHECK(parses_to("A=caf\xc3\xa9\n", "A=caf\xc3\xa9|"), "envfile UTF-8 value") ;

  CHECK(fails_at("A=1\n9A=2\n", 9, 2), "envfile name starting with digit") ;
  CHECK(fails_at("A=1\n\nA\n", 7, 3), "envfile line without =") ;
  CHECK(parses_to("A =1\nB = 2\nC=\t3\nD= \"q \"\n", "A=1|B=2|C=3|D=q |"), "envfile blanks around =") ;
  CHECK(parses_to("A=1\t#x\n", "A=1\t#x|"), "envfile only space-# starts a comment") ;
  CHECK(parses_to("A='v'\t# c\n", "A=v|"), "envfile tab before comment after quotes") ;
  CHECK(fails_at("A B=1\n", 6, 1), "envfile space inside name") ;
  CHECK(fails_at("A='v'#c\n", 8, 1), "envfile comment glued to closing quote") ;
  CHECK(fails_at("A-B=1\n", 6, 1), "envfile bad name char") ;
  CHECK(fails_at("A=\"open\n", 8, 1), "envfile unterminated double quote") ;
  CHECK(fails_at("A='open\n", 8, 1), "envfile unterminated single quote") ;
  CHECK(fails_at("A=\"x\"y\n", 7, 1), "envfile garbage after quote") ;
  CHECK(fails_at("A=\"x\\\"\n", 7, 1), "envfile escaped closing quote") ;
  CHECK(fails_at("A=1\nB=x\0y\n", 10, 2), "envfile NUL byte") ;
  CHECK(fails_at("export\n", 7, 1), "envfile bare export") ;
  CHECK(fails_at("=1\n", 3, 1), "envfile empty name") ;

  if (!mkdtemp(tmpdir)) { perror("mkdtemp") ; return 111 ; }
  snprintf(envpath, sizeof(envpath), "%s/mailserver.env", tmpdir) ;

  /* Getters called before config_init() load the file themselves, and
   * stop the program (exit 100) on a broken file. Run in children, which
   * start with nothing loaded. */
  setenv("PH_ENVFILE", envpath, 1) ;
  write_file(envpath, "TC_LAZY=yes\n", 12) ;
  CHECK(child_status(0) == 0, "config_get loads the file without config_init") ;
  write_file(envpath, "TC_LAZY=yes\nbroken\n", 19) ;
  CHECK(child_status(1) == 100, "config_get exits 100 on a broken file without config_init") ;
  unlink(envpath) ;

  /* config_* with a real file */
  unsetenv("PH_ENVFILE") ;
  unsetenv("OVERRIDE_HOSTNAME") ;
  unsetenv("PH_HOSTNAME") ;
  CHECK(config_init() == 1 && !config_get("TC_A"), "config without PH_ENVFILE") ;

  setenv("PH_ENVFILE", envpath, 1) ;
  CHECK(config_init() == 1 && !config_get("TC_A"), "config with missing file") ;

  {
    char const text[] =
      "# docker-mailserver style\n"
      "TC_A=from-file\n"
      "TC_B=file-b\n"
      "TC_EMPTY=\n"
      "TC_DUP=first\n"
      "TC_DUP=second\n"
      "TC_N=12345\n"
      "TC_BADN=12x\n"
      "TC_HUGE=99999999999999999999\n"
      "TC_S1=10240000\n"
      "TC_S2=10k\n"
      "TC_S3=5M\n"
      "TC_S4=2g\n"
      "TC_S5=10t\n"
      "TC_S6=17179869184G\n"
      "TC_S7=k\n"
      "TC_Y1=1\nTC_Y2=Yes\nTC_Y3=true\nTC_Y4=ON\n"
      "TC_N1=0\nTC_N2=no\nTC_N3=False\nTC_N4=off\nTC_BADB=maybe\n"
      "OVERRIDE_HOSTNAME=mail.example.test\n" ;
    uint64_t u ;
    int b ;
    write_file(envpath, text, sizeof(text) - 1) ;
    CHECK(config_init() == 1 && config_error_line() == 0, "config_init reads the file") ;
    setenv("TC_B", "from-env", 1) ;
    setenv("TC_EMPTYENV", "", 1) ;
    CHECK(config_get("TC_A") && !strcmp(config_get("TC_A"), "from-file"), "config_get from file") ;
    CHECK(config_get("TC_B") && !strcmp(config_get("TC_B"), "from-env"), "config_get environment first") ;
    setenv("TC_A", "", 1) ;
    CHECK(config_get("TC_A") && !strcmp(config_get("TC_A"), "from-file"), "config_get empty env falls back to file") ;
    CHECK(!config_get("TC_EMPTY"), "config_get empty value is unset") ;
    CHECK(!config_get("TC_EMPTYENV"), "config_get empty env value is unset") ;
    CHECK(!config_get("TC_"), "config_get prefix of a name is not a match") ;
    CHECK(!config_get("TC_AA"), "config_get longer name is not a match") ;
    CHECK(config_get("TC_DUP") && !strcmp(config_get("TC_DUP"), "second"), "config_get last definition wins") ;
    CHECK(!strcmp(config_get_default("TC_NONE", "dflt"), "dflt"), "config_get_default unset") ;
    CHECK(!strcmp(config_get_default("TC_EMPTY", "dflt"), "dflt"), "config_get_default empty") ;
    CHECK(!strcmp(config_get_default("TC_A", "dflt"), "from-file"), "config_get_default set") ;

    CHECK(config_get_uint("TC_N", 7, &u) && u == 12345, "config_get_uint") ;
    CHECK(config_get_uint("TC_NONE", 7, &u) && u == 7, "config_get_uint default") ;
    errno = 0 ;
    CHECK(!config_get_uint("TC_BADN", 7, &u) && errno == EINVAL, "config_get_uint garbage") ;
    CHECK(!config_get_uint("TC_HUGE", 7, &u), "config_get_uint overflow") ;
    CHECK(config_get_size("TC_S1", 0, &u) && u == 10240000, "config_get_size plain") ;
    CHECK(config_get_size("TC_S2", 0, &u) && u == 10240, "config_get_size k") ;
    CHECK(config_get_size("TC_S3", 0, &u) && u == 5 * 1048576ULL, "config_get_size M") ;
    CHECK(config_get_size("TC_S4", 0, &u) && u == 2 * 1073741824ULL, "config_get_size g") ;
    CHECK(config_get_size("TC_NONE", 42, &u) && u == 42, "config_get_size default") ;
    CHECK(!config_get_size("TC_S5", 0, &u) && errno == EINVAL, "config_get_size bad suffix") ;
    CHECK(!config_get_size("TC_S6", 0, &u), "config_get_size overflow") ;
    CHECK(!config_get_size("TC_S7", 0, &u), "config_get_size suffix alone") ;
    CHECK(config_get_bool("TC_Y1", 0, &b) && b == 1 && config_get_bool("TC_Y2", 0, &b) && b == 1
       && config_get_bool("TC_Y3", 0, &b) && b == 1 && config_get_bool("TC_Y4", 0, &b) && b == 1, "config_get_bool true words") ;
    CHECK(config_get_bool("TC_N1", 1, &b) && b == 0 && config_get_bool("TC_N2", 1, &b) && b == 0
       && config_get_bool("TC_N3", 1, &b) && b == 0 && config_get_bool("TC_N4", 1, &b) && b == 0, "config_get_bool false words") ;
    CHECK(config_get_bool("TC_NONE", 1, &b) && b == 1, "config_get_bool default") ;
    CHECK(!config_get_bool("TC_BADB", 1, &b) && errno == EINVAL, "config_get_bool garbage") ;

    CHECK(!strcmp(config_hostname(), "mail.example.test"), "config_hostname OVERRIDE_HOSTNAME from file") ;
    setenv("OVERRIDE_HOSTNAME", "env.example.test", 1) ;
    CHECK(!strcmp(config_hostname(), "env.example.test"), "config_hostname OVERRIDE_HOSTNAME from env") ;
  }
  {
    char const text[] = "PH_HOSTNAME=ph.example.test\n" ;
    char sys[256] ;
    unsetenv("OVERRIDE_HOSTNAME") ;
    write_file(envpath, text, sizeof(text) - 1) ;
    CHECK(config_init() == 1 && !config_get("TC_N"), "config_init replaces the previous file") ;
    CHECK(!strcmp(config_hostname(), "ph.example.test"), "config_hostname PH_HOSTNAME") ;
    write_file(envpath, "", 0) ;
    CHECK(config_init() == 1, "config_init empty file") ;
    gethostname(sys, sizeof(sys)) ;
    sys[255] = 0 ;
    CHECK(!strcmp(config_hostname(), sys) && !strcmp(config_hostname(), sys), "config_hostname falls back to gethostname") ;
  }
  {
    char const text[] = "A=1\n# ok\nB C\n" ;
    write_file(envpath, text, sizeof(text) - 1) ;
    errno = 0 ;
    CHECK(!config_init() && errno == EINVAL && config_error_line() == 3, "config_init syntax error line") ;
  }
  {
    /* 1 MiB exactly is accepted, one byte more is refused. */
    size_t n = 1024 * 1024 ;
    char *big = malloc(n + 1) ;
    if (!big) return 111 ;
    memset(big, '#', n + 1) ;
    big[n - 1] = '\n' ;
    write_file(envpath, big, n) ;
    CHECK(config_init() == 1, "config_init accepts 1 MiB") ;
    big[n - 1] = '#' ; big[n] = '\n' ;
    write_file(envpath, big, n + 1) ;
    errno = 0 ;
    CHECK(!config_init() && errno == EFBIG, "config_init refuses more than 1 MiB") ;
    free(big) ;
  }
  {
    errno = 0 ;
    setenv("PH_ENVFILE", tmpdir, 1) ;
    CHECK(!config_init() && errno == EISDIR, "config_init on a directory fails") ;
  }
  unlink(envpath) ;
  rmdir(tmpdir) ;
  return check_done() ;
}
