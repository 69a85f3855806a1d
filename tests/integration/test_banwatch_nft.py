"""banwatch's nftables sets (PH_BAN_NFT_SETS, banwatch/README.md), for real:
banwatch runs as root -> phban with its nft helper inside a private
network namespace (held by `unshare -n sleep`), so the host's ruleset is
never touched; nft is asked through `nsenter -n`.

- a ban (manual, then one reached by failures) becomes an element with
  the ban's remaining time; an unban deletes it; a network ban replaces
  the hosts inside it;
- a restart re-syncs the set from the state file (a stray element goes,
  a missing one comes back);
- without CAP_NET_ADMIN (dropped from the bounding set): one warning,
  bans.cdb goes on;
- a set of the wrong type made by the admin: one warning naming nft's
  complaint, bans.cdb goes on.

Needs root and nft (package/deps-check: nftables)."""

import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

TOP = pathlib.Path(__file__).resolve().parents[2]
BIN = (TOP / os.environ.get("PH_TEST_BIN", "build/bin")).resolve()
SETS = "inet posthaste banned4 banned6"


class Netns:
    """A private network namespace, alive while its holder sleeps."""

    def __init__(self):
        self.holder = subprocess.Popen(["unshare", "-n", "sleep", "600"])
        deadline = time.monotonic() + 5
        me = os.readlink("/proc/self/ns/net")
        while time.monotonic() < deadline:
            try:
                if os.readlink("/proc/%d/ns/net" % self.holder.pid) != me:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise AssertionError("unshare -n did not make a namespace")

    def cmd(self, *args):
        return ["nsenter", "-t", str(self.holder.pid), "-n", "--"] + list(args)

    def nft(self, *args, check=True):
        r = subprocess.run(self.cmd("nft", *args), capture_output=True, text=True, timeout=20)
        if check and r.returncode:
            raise AssertionError("nft %s: %s" % (" ".join(args), r.stderr.strip()))
        return r

    def close(self):
        self.holder.kill()
        self.holder.wait()


class Banwatch:
    def __init__(self, ns, state, wrap=(), env=None):
        self.state = state
        self.sock = str(state / "run" / "banwatch.sock")
        self.logpath = state / "banwatch.log"
        e = dict(os.environ)
        e.update({"PH_RUN_DIR": str(state / "run"), "PH_STATE": str(state), "PH_BAN_NFT_SETS": SETS,
                  "PH_BAN_MAXRETRY": "3", "PH_BAN_BANTIME": "3600", "PH_ENVFILE": "/nonexistent"})
        e.update(env or {})
        r, w = os.pipe()
        self.log = open(self.logpath, "ab")
        self.p = subprocess.Popen(ns.cmd(*wrap, "s6-envuidgid",
                                          "phban", str(BIN / "banwatch"), "-U", "-d", str(w)),
                                  env=e, stdout=self.log, stderr=self.log, pass_fds=(w,))
        os.close(w)
        ready = b""
        with os.fdopen(r, "rb") as f:
            ready = f.read(1)
        assert ready == b"\n", "banwatch not ready: %s" % self.text()

    def send(self, line):
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as c:
            c.sendto(line.encode(), self.sock)

    def text(self):
        return self.logpath.read_text(errors="replace")

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=10)
        self.log.close()


def wait_for(fn, timeout=10, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def elements(ns, setname):
    out = ns.nft("list", "set", "inet", "posthaste", setname).stdout
    m = re.search(r"elements = \{([^}]*)\}", out, re.S)
    return " ".join(m.group(1).split()) if m else ""


def state_keys(state):
    p = state / "banwatch" / "state"
    return p.read_text() if p.exists() else ""


def fresh_state(tmp, name):
    st = tmp / name
    (st / "run").mkdir(parents=True)
    (st / "banwatch").mkdir()
    shutil.chown(st / "banwatch", "phban", "phban")
    return st


cases = []


def case(fn):
    cases.append(fn)
    return fn


@case
def ban_unban_and_resync(tmp):
    ns = Netns()
    try:
        st = fresh_state(tmp, "a")
        bw = Banwatch(ns, st)
        wait_for(lambda: "event=nft_ready" in bw.text(), what="nft_ready")
        assert elements(ns, "banned4") == "", elements(ns, "banned4")
        chain = ns.nft("list", "chain", "inet", "posthaste", "banwatch").stdout
        assert "hook input" in chain and "ip saddr @banned4 drop" in chain and "ip6 saddr @banned6 drop" in chain, chain

        # a manual ban: an element whose timeout is the ban's duration
        bw.send("event=ban ip=192.0.2.7 duration=3600")
        e = wait_for(lambda: "192.0.2.7" in elements(ns, "banned4") and elements(ns, "banned4"), what="192.0.2.7 in the set")
        assert re.search(r"192\.0\.2\.7 timeout 1h expires (59m|1h)", e), e
        # a ban reached by failures (maxretry 3), IPv6: its /64
        for _ in range(3):
            bw.send("event=auth_fail ip=2001:db8:5:6::99 service=imap")
        e6 = wait_for(lambda: "2001:db8:5:6::/64" in elements(ns, "banned6") and elements(ns, "banned6"), what="the /64 in the set")
        assert "timeout 1h" in e6, e6
        # a permanent network ban replaces the host inside it
        bw.send("event=ban ip=198.51.100.9 duration=600")
        wait_for(lambda: "198.51.100.9" in elements(ns, "banned4"), what="198.51.100.9")
        bw.send("event=ban ip=198.51.100.0/24 duration=0")
        wait_for(lambda: "198.51.100.0/24" in elements(ns, "banned4"), what="the /24")
        e = elements(ns, "banned4")
        assert "198.51.100.9" not in e and re.search(r"198\.51\.100\.0/24(,|$)", e), e  # no timeout: permanent
        # unban deletes the element
        bw.send("event=unban ip=192.0.2.7")
        wait_for(lambda: "192.0.2.7" not in elements(ns, "banned4"), what="192.0.2.7 gone")
        assert "192.0.2.7" in state_keys(st)  # the record stays (repeat count)
        bw.stop()

        # while banwatch is down the set drifts: a stray element, a lost one
        ns.nft("add", "element", "inet", "posthaste", "banned4", "{ 203.0.113.99 }")
        ns.nft("delete", "element", "inet", "posthaste", "banned6", "{ 2001:db8:5:6::/64 }")
        bw = Banwatch(ns, st)
        wait_for(lambda: "2001:db8:5:6::/64" in elements(ns, "banned6"), what="the /64 back after restart")
        e = elements(ns, "banned4")
        assert "203.0.113.99" not in e and "198.51.100.0/24" in e and "192.0.2.7" not in e, e
        chain = ns.nft("list", "chain", "inet", "posthaste", "banwatch").stdout
        assert chain.count("drop") == 2, chain  # restarts do not pile up rules
        assert bw.text().count("event=nft_ready") == 2, bw.text()
        bw.stop()
        assert "nft_error" not in bw.text() and "nft_disabled" not in bw.text(), bw.text()
    finally:
        ns.close()


@case
def no_net_admin_warns_once_and_bans_go_on(tmp):
    ns = Netns()
    try:
        st = fresh_state(tmp, "b")
        bw = Banwatch(ns, st, wrap=("setpriv", "--bounding-set", "-net_admin", "--"))
        wait_for(lambda: "event=nft_disabled" in bw.text(), what="the warning")
        bw.send("event=ban ip=192.0.2.8 duration=3600")
        wait_for(lambda: "ip4/192.0.2.8_32" in state_keys(st), what="the ban in the state file")
        cdb = (st / "banwatch" / "bans.cdb").read_bytes()
        assert b"ip4/192.0.2.8_32" in cdb, "bans.cdb lacks the ban"
        bw.stop()
        text = bw.text()
        assert text.count("event=nft_disabled") == 1 and "CAP_NET_ADMIN" in text, text
        assert "event=nft_helper_gone" in text, text
        assert ns.nft("list", "table", "inet", "posthaste", check=False).returncode != 0
    finally:
        ns.close()


@case
def admin_set_of_wrong_type_warns(tmp):
    ns = Netns()
    try:
        ns.nft("add", "table", "inet", "posthaste")
        ns.nft("add", "set", "inet", "posthaste", "banned4", "{ type ipv6_addr ; }")
        st = fresh_state(tmp, "c")
        bw = Banwatch(ns, st)
        wait_for(lambda: "event=nft_disabled" in bw.text(), what="the warning")
        bw.send("event=ban ip=192.0.2.9 duration=3600")
        wait_for(lambda: "ip4/192.0.2.9_32" in state_keys(st), what="the ban in the state file")
        bw.stop()
        assert re.search(r"event=nft_disabled reason=\"?nft failed\"? nft=", bw.text()), bw.text()
        assert "type ipv6_addr" in ns.nft("list", "set", "inet", "posthaste", "banned4").stdout  # left as it was
    finally:
        ns.close()


def main():
    passed = failed = 0
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="phtest.bwnft."))
    os.chmod(tmp, 0o755)
    only = set(sys.argv[1:])
    for fn in cases:
        if only and fn.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            fn(tmp)
            passed += 1
            print("PASS %s (%.1fs)" % (fn.__name__, time.monotonic() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 — any exception fails the case
            tb = traceback.extract_tb(e.__traceback__)
            where = "%s:%d" % (pathlib.Path(tb[-1].filename).name, tb[-1].lineno) if tb else "?"
            failed += 1
            print("FAIL %s: %s: %s (%s)" % (fn.__name__, type(e).__name__, str(e).replace("\n", " | ")[:1500], where), flush=True)
    if failed == 0:
        shutil.rmtree(tmp)
    else:
        print("# state kept in %s" % tmp, flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
