#!/usr/bin/python3
"""mailctl, run directly against a temporary PH_CONFIG_DIR / PH_CDB_DIR:
accounts and aliases are added, changed, listed and removed; the text
files keep the admin's lines; the compiled maps are checked with tinycdb's
`cdb -q` tool and their modes; password hashes are checked against
`openssl passwd -6`, an implementation independent of ours.

The binary comes from $PH_TEST_BIN (default build/bin of this checkout).
Every case prints one PASS/FAIL line; the last line is "N passed, N failed".
"""

import grp
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import traceback

TOP = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("PH_TEST_BIN") or "build/bin")
if not BIN.is_absolute():
    BIN = TOP / BIN
MAILCTL = str(BIN / "mailctl")

_cases = []


def case(fn):
    _cases.append(fn)
    return fn


class Env:
    """A fresh config folder and cdb directory."""

    def __init__(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="test_mailctl."))
        self.config = self.tmp / "config"
        self.cdb = self.tmp / "cdb"
        self.config.mkdir()
        self.cdb.mkdir()

    def run(self, *args, input=None, env=None, expect=0):
        e = {k: v for k, v in os.environ.items() if not k.startswith("PH_")}
        e.update({"PH_CONFIG_DIR": str(self.config), "PH_CDB_DIR": str(self.cdb)})
        if env is not None:
            e = {k: v for k, v in e.items() if k not in env}
            e.update({k: v for k, v in env.items() if v is not None})
        r = subprocess.run([MAILCTL] + list(args), input=input, env=e, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        if expect is not None and r.returncode != expect:
            raise AssertionError("mailctl %s: exit %d, wanted %d; stderr: %s"
                                 % (" ".join(args), r.returncode, expect, r.stderr.strip()))
        return r

    def accounts(self):
        return (self.config / "postfix-accounts.cf").read_text()

    def virtual(self):
        return (self.config / "postfix-virtual.cf").read_text()

    def cdbq(self, name, key):
        """The value of key in cdb file name (tinycdb's tool), or None."""
        r = subprocess.run(["cdb", "-q", str(self.cdb / name), key], stdout=subprocess.PIPE)
        if r.returncode == 100:
            return None
        if r.returncode != 0:
            raise AssertionError("cdb -q %s %s: exit %d" % (name, key, r.returncode))
        return r.stdout

    def cdbkeys(self, name):
        r = subprocess.run(["cdb", "-l", str(self.cdb / name)], stdout=subprocess.PIPE, check=True)
        keys = []
        for line in r.stdout.splitlines():
            if line:
                # +klen:key
                head, key = line.split(b":", 1)
                keys.append(key.decode())
        return sorted(keys)

    def mode(self, path):
        return stat.S_IMODE(os.stat(path).st_mode)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def openssl_sha512(password, salt):
    r = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "-stdin"], input=password,
                       stdout=subprocess.PIPE, text=True, check=True)
    return r.stdout.strip()


def check_hash(field, password):
    """field is {SHA512-CRYPT}$6$salt$hash; recompute it with openssl."""
    assert field.startswith("{SHA512-CRYPT}$6$"), field
    h = field[len("{SHA512-CRYPT}"):]
    salt = h.split("$")[2]
    assert len(salt) == 16, "salt %r" % salt
    assert "rounds=" not in h
    assert openssl_sha512(password, salt) == h, "openssl disagrees with %s" % h


def account_line(env, addr):
    for line in env.accounts().splitlines():
        if line.split("|")[0] == addr:
            return line
    return None


@case
def email_add_compiles_every_map(env):
    env.run("email", "add", "User@Example.TEST", "s3cret pass")
    line = account_line(env, "user@example.test")
    assert line is not None, env.accounts()
    check_hash(line.split("|", 1)[1], "s3cret pass")
    assert env.cdbq("users.cdb", "user@example.test") == b"maildir=example.test/user\0"
    pw = env.cdbq("passwd.cdb", "user@example.test")
    assert pw == line.split("|", 1)[1].encode() + b"\0", pw
    assert env.cdbq("domains.cdb", "example.test") == b""
    assert env.cdbq("users.cdb", "User@Example.TEST") is None  # keys are lower-cased
    assert env.cdbkeys("aliases.cdb") == []


@case
def map_and_file_modes(env):
    env.run("email", "add", "a@example.test", "pw1")
    assert env.mode(env.config / "postfix-accounts.cf") == 0o600
    for name in ("domains.cdb", "users.cdb", "aliases.cdb"):
        assert env.mode(env.cdb / name) == 0o644, name
    st = os.stat(env.cdb / "passwd.cdb")
    try:
        gid = grp.getgrnam("phauth").gr_gid
    except KeyError:
        gid = None
    if gid is None:
        assert stat.S_IMODE(st.st_mode) == 0o600
    else:
        assert stat.S_IMODE(st.st_mode) == 0o640, oct(st.st_mode)
        assert st.st_gid == gid
        if os.geteuid() == 0:
            assert st.st_uid == 0
    left = [p.name for p in list(env.cdb.iterdir()) + list(env.config.iterdir()) if ".tmp." in p.name]
    assert not left, left


@case
def email_add_password_from_stdin(env):
    env.run("email", "add", "b@example.test", input="from stdin\n")
    check_hash(account_line(env, "b@example.test").split("|", 1)[1], "from stdin")
    env.run("email", "add", "c@example.test", input="crlf line\r\nignored second line\n")
    check_hash(account_line(env, "c@example.test").split("|", 1)[1], "crlf line")


@case
def email_add_refusals(env):
    env.run("email", "add", "d@example.test", "pw")
    r = env.run("email", "add", "D@EXAMPLE.test", "other", expect=1)
    assert "already exists" in r.stderr, r.stderr
    env.run("email", "add", "e@example.test", input="\n", expect=100)
    env.run("email", "add", "not-an-address", "pw", expect=100)
    env.run("email", "add", "a/b@example.test", "pw", expect=100)
    env.run("email", "add", "a|b@example.test", "pw", expect=100)
    env.run("email", "add", '"q u"@example.test', "pw", expect=100)
    env.run("email", "add", "x@[127.0.0.1]", "pw", expect=100)
    env.run("email", "add", "f@example.test", "x" * 512, expect=100)
    assert [l.split("|")[0] for l in env.accounts().splitlines()] == ["d@example.test"]


@case
def usage_errors_exit_100(env):
    for args in ([], ["email"], ["email", "add"], ["email", "frob", "x"], ["alias", "add", "a@b.test"],
                 ["email", "list", "extra"], ["update", "x"], ["nonsense"]):
        r = env.run(*args, expect=100)
        assert "usage" in r.stderr, (args, r.stderr)
    r = env.run("email", "list", env={"PH_CONFIG_DIR": None}, expect=100)
    assert "PH_CONFIG_DIR" in r.stderr, r.stderr
    r = env.run("update", env={"PH_CDB_DIR": None}, expect=100)
    assert "PH_CDB_DIR" in r.stderr, r.stderr


@case
def email_update_keeps_extra_fields(env):
    (env.config / "postfix-accounts.cf").write_text(
        "# my accounts\n"
        "g@example.test|{PLAIN}old|userdb_quota_rule=*:storage=1G\n")
    env.run("update")
    assert env.cdbq("passwd.cdb", "g@example.test") == b"{PLAIN}old\0userdb_quota_rule=*:storage=1G"
    ino = os.stat(env.cdb / "passwd.cdb").st_ino
    env.run("email", "update", "G@example.test", "new one")
    lines = env.accounts().splitlines()
    assert lines[0] == "# my accounts", lines
    addr, h, extra = lines[1].split("|", 2)
    assert addr == "g@example.test" and extra == "userdb_quota_rule=*:storage=1G", lines
    check_hash(h, "new one")
    assert env.cdbq("passwd.cdb", "g@example.test") == h.encode() + b"\0userdb_quota_rule=*:storage=1G"
    assert os.stat(env.cdb / "passwd.cdb").st_ino != ino, "passwd.cdb replaced in place"
    env.run("email", "update", "nobody@example.test", "x", expect=1)


@case
def email_del_keeps_mail(env):
    env.run("email", "add", "h@example.test", "pw")
    env.run("email", "add", "i@other.test", "pw")
    maildir = env.tmp / "mail" / "example.test" / "h" / "new"
    maildir.mkdir(parents=True)
    env.run("email", "del", "H@example.test")
    assert account_line(env, "h@example.test") is None
    assert env.cdbq("users.cdb", "h@example.test") is None
    assert env.cdbq("passwd.cdb", "h@example.test") is None
    assert env.cdbkeys("domains.cdb") == ["other.test"]
    assert maildir.is_dir()
    r = env.run("email", "del", "h@example.test", expect=1)
    assert "does not exist" in r.stderr


@case
def email_list(env):
    env.run("email", "add", "z@example.test", "pw")
    env.run("email", "add", "Y@Example.test", "pw")
    r = env.run("email", "list")
    assert r.stdout == "z@example.test\ny@example.test\n", r.stdout


@case
def alias_add_list_del(env):
    env.run("email", "add", "u@example.test", "pw")
    env.run("alias", "add", "Postmaster@example.test", "u@example.test")
    env.run("alias", "add", "postmaster@example.test", "boss@elsewhere.test")
    env.run("alias", "add", "@catchall.test", "u@example.test")
    assert env.virtual() == ("postmaster@example.test u@example.test,boss@elsewhere.test\n"
                             "@catchall.test u@example.test\n"), env.virtual()
    assert env.cdbq("aliases.cdb", "postmaster@example.test") == b"u@example.test\0boss@elsewhere.test\0"
    assert env.cdbq("aliases.cdb", "@catchall.test") == b"u@example.test\0"
    # aliases' left-hand domains are local; targets' domains are not
    assert env.cdbkeys("domains.cdb") == ["catchall.test", "example.test"]
    assert env.mode(env.config / "postfix-virtual.cf") == 0o644
    r = env.run("alias", "list")
    assert r.stdout == "postmaster@example.test u@example.test,boss@elsewhere.test\n@catchall.test u@example.test\n", r.stdout
    r = env.run("alias", "add", "postmaster@example.test", "U@example.test", expect=1)
    assert "already" in r.stderr
    env.run("alias", "add", "bad alias", "u@example.test", expect=100)
    env.run("alias", "add", "x@example.test", "@example.test", expect=100)

    env.run("alias", "del", "postmaster@example.test", "u@example.test")
    assert env.cdbq("aliases.cdb", "postmaster@example.test") == b"boss@elsewhere.test\0"
    env.run("alias", "del", "postmaster@example.test", "boss@elsewhere.test")
    assert env.cdbq("aliases.cdb", "postmaster@example.test") is None
    assert env.virtual() == "@catchall.test u@example.test\n", env.virtual()
    r = env.run("alias", "del", "postmaster@example.test", "boss@elsewhere.test", expect=1)
    assert "no target" in r.stderr


@case
def update_compiles_hand_edited_files(env):
    (env.config / "postfix-accounts.cf").write_text(
        "\n# comment\n  Mixed@Case.TEST|{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1\r\n"
        "odd@case.test|{SSHA512}notours\n")
    (env.config / "postfix-virtual.cf").write_text(
        "# aliases\n"
        "team@case.test  mixed@case.test   odd@case.test\n"
        "team@case.test other@x.test,mixed@case.test\n"
        "\tsales@sub.case.test\tMixed@Case.Test , other@x.test\n")
    r = env.run("update")
    assert "unknown password scheme" in r.stderr, r.stderr  # warned, still compiled
    assert env.cdbq("users.cdb", "mixed@case.test") == b"maildir=case.test/mixed\0"
    assert env.cdbq("users.cdb", "odd@case.test") == b"maildir=case.test/odd\0"
    assert env.cdbq("passwd.cdb", "odd@case.test") == b"{SSHA512}notours\0"
    assert env.cdbq("aliases.cdb", "team@case.test") == b"mixed@case.test\0odd@case.test\0other@x.test\0"
    assert env.cdbq("aliases.cdb", "sales@sub.case.test") == b"mixed@case.test\0other@x.test\0"
    assert env.cdbkeys("domains.cdb") == ["case.test", "sub.case.test"]
    # an edit keeps every other line as the admin wrote it
    before = env.virtual()
    env.run("alias", "add", "new@case.test", "odd@case.test")
    assert env.virtual() == before + "new@case.test odd@case.test\n"


@case
def broken_files_refused_maps_untouched(env):
    env.run("email", "add", "k@example.test", "pw")
    ino = os.stat(env.cdb / "users.cdb").st_ino
    acc = env.config / "postfix-accounts.cf"
    good = acc.read_text()
    for bad, why in (("nobar@example.test\n", "expected"),
                     ("bad address|{PLAIN}x\n", "not a valid address"),
                     ("m@example.test|\n", "empty password hash"),
                     ("k@EXAMPLE.test|{PLAIN}dup\n", "duplicate account")):
        acc.write_text(good + bad)
        r = env.run("update", expect=100)
        assert why in r.stderr and "postfix-accounts.cf:2" in r.stderr, r.stderr
        r = env.run("email", "add", "n@example.test", "pw", expect=100)
    acc.write_text(good)
    virt = env.config / "postfix-virtual.cf"
    for bad, why in (("lonely@example.test\n", "no target"),
                     ("a@example.test not-an-address\n", "not a valid address"),
                     ("bare target@example.test\n", "not a valid address")):
        virt.write_text("# c\n" + bad)
        r = env.run("update", expect=100)
        assert why in r.stderr and "postfix-virtual.cf:2" in r.stderr, r.stderr
    assert os.stat(env.cdb / "users.cdb").st_ino == ino, "maps rewritten despite errors"


@case
def file_owner_and_mode_kept(env):
    acc = env.config / "postfix-accounts.cf"
    acc.write_text("")
    os.chmod(acc, 0o640)
    env.run("email", "add", "p@example.test", "pw")
    assert env.mode(acc) == 0o640


def main():
    passed = failed = 0
    if not os.access(MAILCTL, os.X_OK):
        print("FAIL mailctl_built: %s missing" % MAILCTL)
        print("0 passed, 1 failed")
        sys.exit(1)
    only = set(sys.argv[1:])
    for fn in _cases:
        if only and fn.__name__ not in only:
            continue
        env = Env()
        try:
            fn(env)
            passed += 1
            print("PASS %s" % fn.__name__, flush=True)
        except Exception as e:  # noqa: BLE001
            failed += 1
            tb = traceback.extract_tb(e.__traceback__)
            where = "%s:%d" % (pathlib.Path(tb[-1].filename).name, tb[-1].lineno) if tb else "?"
            print("FAIL %s: %s: %s (%s)" % (fn.__name__, type(e).__name__, str(e).replace("\n", " | ")[:600], where), flush=True)
        finally:
            env.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
