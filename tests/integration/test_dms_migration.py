"""Migration from docker-mailserver (docs/migrating-from-docker-mailserver.md):
posthaste starts on a config folder and a mail volume laid out exactly as
docker-mailserver leaves them, made with Debian's own tools:

- postfix-accounts.cf with `doveadm pw -s SHA512-CRYPT` hashes and a
  third field, postfix-virtual.cf, postfix-regexp.cf, dovecot-quotas.cf,
  dovecot-masters.cf, postfix-send-access.cf, postfix-receive-access.cf,
  opendkim/ with opendkim-genkey keys and docker-mailserver's KeyTable
  (container paths) and SigningTable, and a mailserver.env in
  docker-mailserver's words (a retired and an unsupported variable
  among them);
- /var/mail/<domain>/<user>/ Maildirs written by Dovecot (its LDA and its
  IMAP: dovecot-uidlist, UIDs with a gap), owned by vmail.

The suite runs with PH_CONFIG_DIR and PH_MAILROOT pointing at them (as
the container's volumes) and PH_DEMO=0 (no demo account). Checked:
IMAP and submission logins with the old passwords, UIDs and UIDVALIDITY
as Dovecot gave them, virtual and regexp aliases, the quota, a master
user's login, sender and recipient access tables, outgoing mail signed
with the opendkim key (verified by dkimpy), and the env report.
"""

import atexit
import base64
import imaplib
import os
import pathlib
import re
import shutil
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import dkim  # noqa: E402
import phtest  # noqa: E402
import privdovecot  # noqa: E402
import smtpraw  # noqa: E402
import submitlib  # noqa: E402

TOP = pathlib.Path(__file__).resolve().parents[2]
DOMAIN = "migrated.test"
ALICE, BOB, CAROL = "alice@" + DOMAIN, "bob@" + DOMAIN, "carol@" + DOMAIN
PW = {ALICE: "alice-" + os.urandom(5).hex(), BOB: "bob-" + os.urandom(5).hex(), CAROL: "carol-" + os.urandom(5).hex()}
MASTER, MASTER_PW = "admin", "master-" + os.urandom(5).hex()
ROOT = pathlib.Path(tempfile.mkdtemp(prefix="phdms.", dir="/tmp"))
os.chmod(ROOT, 0o755)
CONF = ROOT / "config"
MAIL = ROOT / "mail"
OLD = {}   # what Dovecot said: uidvalidity, {message-id: uid}


def _cleanup():
    if os.environ.get("PH_KEEP_STATE") != "1":
        shutil.rmtree(ROOT, ignore_errors=True)


atexit.register(_cleanup)


def doveadm_hash(password):
    return subprocess.run(["doveadm", "pw", "-s", "SHA512-CRYPT", "-p", password], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def message(n, to=ALICE):
    return ("From: Person %d <p%d@example.org>\nTo: %s\nSubject: old message %d\n"
            "Date: Thu, 26 Nov 2026 09:%02d:00 +0000\nMessage-ID: <dms-%d@example.org>\n\nbody %d\n"
            % (n, n, to, n, n, n, n)).encode()


def build_mail_volume():
    """Dovecot delivers and assigns UIDs; one message expunged (a gap)."""
    dc = privdovecot.Dovecot(users={ALICE: "x", BOB: "x", CAROL: "x"}, mailroot=MAIL)
    dc.start()
    try:
        for n in range(1, 6):
            dc.lda(ALICE, message(n))
        dc.lda(BOB, message(9, BOB))
        c = dc.imap(ALICE)
        typ, _ = c.select("INBOX")
        assert typ == "OK"
        c.uid("STORE", "2", "+FLAGS", "(\\Deleted)")
        c.expunge()
        OLD["uidvalidity"] = c.response("UIDVALIDITY")[1][0]
        typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        for item in data:
            if isinstance(item, tuple):
                uid = re.search(rb"UID (\d+)", item[0]).group(1).decode()
                mid = re.search(rb"<([^>]+)>", item[1]).group(1).decode()
                OLD[mid] = uid
        c.logout()
        dc.imap(CAROL).logout()   # Dovecot makes carol's Maildir
    finally:
        dc.stop()
    assert (MAIL / DOMAIN / "alice" / "dovecot-uidlist").exists()
    subprocess.run(["chown", "-R", "vmail:vmail", str(MAIL)], check=True)


def build_config():
    CONF.mkdir(parents=True)
    with open(CONF / "postfix-accounts.cf", "w") as f:
        # the third field: Dovecot extra fields, as docker-mailserver allows
        f.write("%s|%s|userdb_quota_rule=*:storage=0\n" % (ALICE, doveadm_hash(PW[ALICE])))
        f.write("%s|%s\n" % (BOB, doveadm_hash(PW[BOB])))
        f.write("%s|%s\n" % (CAROL, doveadm_hash(PW[CAROL])))
    os.chmod(CONF / "postfix-accounts.cf", 0o600)
    (CONF / "postfix-virtual.cf").write_text("info@%s %s\n# a comment\nteam@%s %s,%s\n" % (DOMAIN, ALICE, DOMAIN, ALICE, BOB))
    (CONF / "postfix-regexp.cf").write_text("# support desks\n/^support-[a-z]+@migrated\\.test$/ %s\n"
                                            "/^(sales)\\.([a-z]+)@migrated\\.test$/\n  ${2}@migrated.test\n" % BOB)
    (CONF / "dovecot-quotas.cf").write_text("%s:50k\n" % BOB)
    (CONF / "postfix-aliases.cf").write_text("root: %s\npostmaster: root\n" % ALICE)
    (CONF / "dovecot-masters.cf").write_text("%s|%s\n" % (MASTER, doveadm_hash(MASTER_PW)))
    (CONF / "postfix-send-access.cf").write_text("%s REJECT\n" % CAROL)
    (CONF / "postfix-virtual.cf").open("a").write("closed@%s %s\n" % (DOMAIN, ALICE))
    (CONF / "postfix-receive-access.cf").write_text("closed@%s REJECT\n" % DOMAIN)
    keys = CONF / "opendkim" / "keys" / DOMAIN
    keys.mkdir(parents=True)
    subprocess.run(["opendkim-genkey", "-D", str(keys), "-d", DOMAIN, "-s", "mail", "-b", "2048"], check=True)
    (CONF / "opendkim" / "KeyTable").write_text(
        "mail._domainkey.%s %s:mail:/etc/opendkim/keys/%s/mail.private\n" % (DOMAIN, DOMAIN, DOMAIN))
    (CONF / "opendkim" / "SigningTable").write_text("*@%s mail._domainkey.%s\n" % (DOMAIN, DOMAIN))
    (CONF / "opendkim" / "TrustedHosts").write_text("127.0.0.1\nlocalhost\n")
    (CONF / "mailserver.env").write_text(
        "OVERRIDE_HOSTNAME=mail.%s\n"
        "POSTMASTER_ADDRESS=postmaster@%s\n"
        "ONE_DIR=1\n"
        "ENABLE_CLAMAV=1\n"
        "ENABLE_AMAVIS=0\n"
        "PERMIT_DOCKER=none\n"
        "SPOOF_PROTECTION=1\n"
        "ENABLE_QUOTAS=1\n"
        "SSL_TYPE=self-signed\n"
        "POSTFIX_MESSAGE_SIZE_LIMIT=10240000\n" % (DOMAIN, DOMAIN))


def tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def imap(s):
    return imaplib.IMAP4_SSL("127.0.0.1", s.port("imaps"), ssl_context=tls(), timeout=20)


def smtp(s, rcpt, body=None, expect="250"):
    c = smtpraw.Raw(s, "smtp")
    c.last()
    c.ehlo()
    c.expect("MAIL FROM:<someone@remote.test>", "250")
    r = c.cmd("RCPT TO:<%s>" % rcpt)
    assert r.startswith(expect), (rcpt, r)
    if body is not None and r.startswith("250"):
        c.expect("DATA", "354")
        c.send(body.replace(b"\n", b"\r\n") + b".\r\n")
        r = c.last()
        assert r.startswith("250"), r
    c.cmd("QUIT")
    c.close()


def delivered(s, address, marker, timeout=15):
    return smtpraw.message_with(s, marker, address, timeout)


@phtest.case
def imap_and_submission_logins_with_old_passwords(s):
    for user in (ALICE, BOB, CAROL):
        m = imap(s)
        m.login(user, PW[user])
        m.logout()
    c = submitlib.logged_in(s, "submissions", user=ALICE, password=PW[ALICE])
    c.cmd("QUIT")
    c.close()
    m = imap(s)
    try:
        m.login(ALICE, PW[BOB])
        raise AssertionError("a wrong password was accepted")
    except imaplib.IMAP4.error:
        pass


@phtest.case
def uids_and_uidvalidity_unchanged(s):
    m = imap(s)
    m.login(ALICE, PW[ALICE])
    typ, _ = m.select("INBOX")
    assert typ == "OK"
    assert m.response("UIDVALIDITY")[1][0] == OLD["uidvalidity"], (m.response("UIDVALIDITY"), OLD)
    seen = {}
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    for item in data:
        if isinstance(item, tuple):
            seen[re.search(rb"<([^>]+)>", item[1]).group(1).decode()] = re.search(rb"UID (\d+)", item[0]).group(1).decode()
    m.logout()
    old = {k: v for k, v in OLD.items() if k != "uidvalidity"}
    assert seen == old, (seen, old)
    assert "dms-2@example.org" not in seen and len(old) == 4


@phtest.case
def virtual_and_regexp_aliases_deliver(s):
    smtp(s, "info@" + DOMAIN, b"Subject: to-info\nMessage-ID: <v1@remote.test>\n\nx\n")
    delivered(s, ALICE, b"v1@remote.test")
    smtp(s, "team@" + DOMAIN, b"Subject: to-team\nMessage-ID: <v2@remote.test>\n\nx\n")
    delivered(s, ALICE, b"v2@remote.test")
    delivered(s, BOB, b"v2@remote.test")
    smtp(s, "support-eu@" + DOMAIN, b"Subject: to-support\nMessage-ID: <r1@remote.test>\n\nx\n")
    delivered(s, BOB, b"r1@remote.test")
    # $2 substitution: sales.carol@ -> carol@
    smtp(s, "sales.carol@" + DOMAIN, b"Subject: to-sales\nMessage-ID: <r2@remote.test>\n\nx\n")
    delivered(s, CAROL, b"r2@remote.test")
    smtp(s, "support-42@" + DOMAIN, expect="550")


@phtest.case
def local_aliases_take_cron_mail(s):
    """postfix-aliases.cf: sendmail's bare "postmaster" is
    postmaster@<host name>, aliased to root, aliased to alice."""
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
    env.update({k: v for k, v in s.env.items() if k.startswith("PH_")})
    r = subprocess.run([str(s.bin / "sendmail"), "postmaster"], input=b"Subject: cron\nMessage-ID: <la1@cron.test>\n\nx\n",
                       env=env, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    delivered(s, ALICE, b"la1@cron.test")
    smtp(s, "root@localhost", b"Subject: root\nMessage-ID: <la2@remote.test>\n\nx\n")
    delivered(s, ALICE, b"la2@remote.test")
    smtp(s, "nobody@mail." + DOMAIN, expect="550")


@phtest.case
def quota_from_dovecot_quotas_enforced(s):
    m = imap(s)
    m.login(BOB, PW[BOB])
    typ, data = m.getquotaroot("INBOX")
    m.logout()
    text = b" ".join(x if isinstance(x, bytes) else b" ".join(x) for d in data for x in d)
    assert re.search(rb"STORAGE \d+ 50\)", text), data
    big = b"Subject: too big\nMessage-ID: <q1@remote.test>\n\n" + (b"x" * 76 + b"\n") * 1500
    smtp(s, BOB, big)
    assert s.wait_for(lambda: re.search(r"4\.2\.2 mailbox full", s.log("queued") + s.log("deliverd")), 15), \
        s.log("deliverd")[-1500:]
    assert not any(b"q1@remote.test" in p.read_bytes() for p in s.messages(BOB))


@phtest.case
def master_user_logs_in_as_any_user(s):
    m = imap(s)
    # '*' is an IMAP list wildcard, so the name goes quoted, as clients send it
    m.login('"%s*%s"' % (ALICE, MASTER), MASTER_PW)
    typ, _ = m.select("INBOX")
    assert typ == "OK"
    typ, data = m.uid("SEARCH", "HEADER", "Message-ID", "dms-1@example.org")
    assert data[0].split() == [OLD["dms-1@example.org"].encode()], data
    m.logout()
    # PLAIN with authzid = the user, authcid = the master (RFC 4616)
    m = imap(s)
    m.authenticate("PLAIN", lambda _: ("%s\0%s\0%s" % (BOB, MASTER, MASTER_PW)).encode())
    typ, _ = m.select("INBOX")
    assert typ == "OK"
    m.logout()
    for bad in ("%s*%s" % (ALICE, MASTER), "%s*nobody" % ALICE):
        m = imap(s)
        try:
            m.login('"%s"' % bad, "wrong-" + MASTER_PW if bad.endswith(MASTER) else MASTER_PW)
            raise AssertionError("master login with %s accepted" % bad)
        except imaplib.IMAP4.error:
            pass
    assert s.wait_for(lambda: re.search(r"event=master_login user=%s master=%s" % (re.escape(ALICE), MASTER), s.log("authd")), 10)


@phtest.case
def access_tables_refuse(s):
    c = submitlib.logged_in(s, "submissions", user=CAROL, password=PW[CAROL])
    r = c.cmd("MAIL FROM:<%s>" % CAROL)
    assert r.startswith("554 5.7.1 <%s>: Sender address rejected: Access denied" % CAROL), r
    c.close()
    smtp(s, "closed@" + DOMAIN, expect="554 5.7.1 <closed@%s>: Recipient address rejected" % DOMAIN)


@phtest.case
def outgoing_mail_signed_with_the_opendkim_key(s):
    txt = (CONF / "opendkim" / "keys" / DOMAIN / "mail.txt").read_text()
    record = "".join(re.findall(r'"([^"]*)"', txt))
    assert record.startswith("v=DKIM1"), txt
    c = submitlib.logged_in(s, "submissions", user=ALICE, password=PW[ALICE])
    c.expect("MAIL FROM:<%s>" % ALICE, "250")
    c.expect("RCPT TO:<%s>" % BOB, "250")
    c.expect("DATA", "354")
    c.send(("From: Alice <%s>\r\nTo: %s\r\nSubject: signed\r\nMessage-ID: <dk1@%s>\r\n\r\nhello\r\n.\r\n"
            % (ALICE, BOB, DOMAIN)).encode())
    assert c.last().startswith("250")
    c.close()
    msg = delivered(s, BOB, b"dk1@" + DOMAIN.encode(), timeout=20)
    msg = msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert re.search(rb"DKIM-Signature:[^\r]*d=migrated\.test", msg) or b"d=migrated.test" in msg, msg[:800]

    def dns(name, timeout=5):
        return record.encode() if name.decode().rstrip(".") == "mail._domainkey." + DOMAIN else None
    assert dkim.verify(msg, dnsfunc=dns), msg[:1200]


@phtest.case
def env_report_in_the_log(s):
    log = s.log("confwatch")
    assert re.search(r"event=env_retired name=ONE_DIR", log), log
    m = re.search(r"event=env_unsupported count=(\d+) names=(\S*)", log)
    assert m, log
    names = m.group(2).split(",")
    assert "ENABLE_CLAMAV" in names and "ENABLE_AMAVIS" not in names and "PERMIT_DOCKER" not in names, names


@phtest.case
def env_table_matches_the_code(s):
    """mailctl/envnames.c says SUPPORTED exactly for the docker-mailserver
    names the code reads: a C string literal "NAME" (config_get and its
    wrappers), or a word of package/mkruntime or the image's entrypoint."""
    table = dict(re.findall(r'\{ "([A-Z0-9_]+)", MC_ENV_([A-Z]+),', (TOP / "mailctl" / "envnames.c").read_text()))
    assert len(table) > 120, len(table)
    in_c, in_sh = set(), set()
    for p in TOP.glob("*/*.c"):
        if p.parts[-2] in ("tests", "build", "build-asan", "build-fuzz") or (p.parts[-2] == "mailctl" and p.name.startswith("env")):
            continue
        in_c.update(n for n in re.findall(r'"([A-Z][A-Z0-9_]+)"', p.read_text(errors="replace")) if n in table)
    for p in (TOP / "package" / "mkruntime", TOP / "package" / "image" / "entrypoint"):
        text = "\n".join(line for line in p.read_text().splitlines() if not line.lstrip().startswith("#"))
        in_sh.update(n for n in re.findall(r"\b([A-Z][A-Z0-9_]+)\b", text) if n in table)
    supported = {n for n, st in table.items() if st == "SUPPORTED"}
    assert supported <= in_c | in_sh, "marked supported, read nowhere: %s" % sorted(supported - in_c - in_sh)
    wrong = {n for n in in_c | in_sh if table[n] != "SUPPORTED"}
    assert not wrong, "read by the code but not marked supported: %s" % sorted(wrong)


if __name__ == "__main__":
    try:
        build_mail_volume()
        build_config()
    except Exception as e:  # noqa: BLE001
        print("FAIL setup: %s" % str(e).replace("\n", " | ")[:2000])
        print("0 passed, 1 failed")
        sys.exit(1)
    os.environ["PH_CONFIG_DIR"] = str(CONF)
    os.environ["PH_MAILROOT"] = str(MAIL)
    os.environ["PH_DEMO"] = "0"
    phtest.main()
