"""The imap section of the benchmark (tests/bench/run): posthaste's IMAP
(the real suite, phtest) against a private Debian Dovecot
(tests/lib/privdovecot.py), same machine, same filesystem (/tmp), same
Maildir, in the same run. Measurement, never an assertion.

  - a corpus Maildir is made once (CORPUS messages, 1-60 KiB, three
    senders and subjects so that SEARCH finds something), its UIDs
    assigned by Dovecot; the same files (dovecot-uidlist included)
    become posthaste's demo Maildir, so both serve identical mailboxes;
  - throughput: tests/bench/imapload (C, built by tests/bench/run with cc;
    plain IMAP on 127.0.0.1, no TLS:
    posthaste allows plaintext LOGIN on loopback by default) runs
    SESSIONS concurrent sessions for SECONDS, each session doing visits
    of LOGIN, SELECT, FETCH of flags, headers and a body, STORE, SEARCH,
    APPEND + UID EXPUNGE, LOGOUT (imapload.c); ops/s, and the CPU seconds
    the server's whole process tree spent meanwhile (procs.py: utime +
    stime of live processes plus their reaped children, from /proc);
    BENCH_REPEAT runs per cell, alternating which server goes first;
  - memory: imapload idle opens IDLE connections (LOGIN, SELECT INBOX,
    IDLE) and holds them; the sum of Pss (/proc/PID/smaps_rollup) over
    the server's process tree with the connections open, minus the same
    sum before, divided by the connections, is the memory per idle
    connection. Pss shares a page among the processes that map it, so
    the sum counts shared libraries and code once.

Both fsync as they do by default: Dovecot with fsync_mode = optimized
(its default), posthaste always before acknowledging an APPEND or a flag
change that renames a file (common/mbox.h).
"""

import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
TOP = HERE.parents[1]
sys.path.insert(0, str(TOP / "tests" / "lib"))
import phtest  # noqa: E402
import privdovecot  # noqa: E402

import procs  # noqa: E402

ADDRESS = "demo@example.test"
PH, DC = "posthaste", "Dovecot"


def progress(msg):
    print("# " + msg, file=sys.stderr, flush=True)


def pss_kib(pids):
    total = 0
    for pid in pids:
        try:
            for line in open("/proc/%d/smaps_rollup" % pid):
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            pass
    return total


def corpus_message(i, rnd):
    who = ("Alice Liddell", "alice"), ("Bob Dylan", "bob"), ("Carol King", "carol")
    name, local = who[i % 3]
    subject = ("quarterly report", "lunch on friday", "meeting notes")[i % 3]
    size = int(rnd.lognormvariate(8.5, 0.9))
    size = max(1024, min(size, 60 * 1024))
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, message %d.\n" % i
    body = line * (size // len(line) + 1)
    return ("Return-Path: <%s@example.org>\nFrom: %s <%s@example.org>\nTo: Demo <%s>\n"
            "Subject: %s %d\nDate: Thu, %d Nov 2026 %02d:%02d:00 +0000\nMessage-ID: <corpus-%d@example.org>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n%s"
            % (local, name, local, ADDRESS, subject, i, 1 + i % 26, i % 24, i % 60, i, body)).encode()


class Dovecot:
    name = DC

    def __init__(self, password):
        self.password = password
        self.dc = privdovecot.Dovecot(
            users={ADDRESS: password}, prefix="phbench-dovecot.",
            settings={"default_process_limit": "3000", "default_client_limit": "6000",
                      "default_vsz_limit": "1G"})
        self.port = self.dc.port

    def start(self):
        self.dc.start()
        # The password in posthaste's scheme: SHA512-CRYPT with 5000
        # rounds, docker-mailserver's (openssl passwd -6, the same
        # default), not privdovecot's PLAIN, so that a LOGIN costs both
        # servers the same hash. Dovecot's passwd-file is re-read when it
        # changes; the corpus login (make_corpus) checks it still works.
        r = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=self.password, stdout=subprocess.PIPE,
                           text=True, check=True)
        hashed = r.stdout.strip()
        if not hashed.startswith("$6$"):
            raise RuntimeError("openssl passwd -6 said %r" % hashed)
        tmp = self.dc.dir / "passwd.tmp"
        tmp.write_text("%s:{SHA512-CRYPT}%s\n" % (ADDRESS, hashed))
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.dc.dir / "passwd")
        return self

    def maildir(self):
        return self.dc.maildir(ADDRESS)

    def root_pids(self):
        return [self.dc.master_pid()]

    def tree(self):
        return self.dc.pids()

    def stop(self):
        self.dc.stop(remove=False)

    def remove(self):
        self.dc.remove()

    def describe(self):
        v = subprocess.run([privdovecot.DOVECOT, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        return ("Dovecot %s, private instance: Debian defaults (imap-login service_count=1, one imap "
                "process per session, fsync_mode=optimized, indexes in the Maildir), limits raised, "
                "password SHA512-CRYPT as posthaste's" % v)


class Posthaste:
    name = PH

    def __init__(self, password, idle):
        n = str(max(1100, idle + 100))
        self.suite = phtest.Suite(extra_env={"PH_IMAP_MAXCONN": n, "PH_IMAP_MAXCONN_IP": n,
                                             "PH_IMAP_MAXSESSIONS": n})
        os.rmdir(self.suite.tmp)
        self.suite.tmp = pathlib.Path(tempfile.mkdtemp(prefix="phbench-imap.", dir="/tmp"))
        os.chmod(self.suite.tmp, 0o755)
        self.suite.state = self.suite.tmp / "state"
        self.suite.bin = self.suite.state / "bin"
        self.password = None
        self.port = self.suite.port("imap")

    def start(self):
        self.suite.start()
        self.password = self.suite.password
        for svc in ("imap", "imap-session"):
            if not (self.suite.state / "service" / svc).is_dir():
                raise RuntimeError("posthaste: the %s service is not in the suite (mkruntime leaves out a "
                                   "service whose programs are not built)" % svc)
        return self

    def maildir(self):
        return self.suite.maildir(ADDRESS)

    def root_pids(self):
        return [self.suite.svscan.pid] if self.suite.svscan else []

    def tree(self):
        return procs.tree(self.suite.svscan.pid) if self.suite.svscan else []

    def stop(self):
        self.suite.stop()

    def remove(self):
        shutil.rmtree(self.suite.tmp, ignore_errors=True)

    def describe(self):
        return ("real suite (phtest): imap = tcpd + tlsd -U + imapd (pre-auth), handover to imap-session "
                "(s6-ipcserver, one process per session); the whole suite's process tree is measured")


def cpu(t):
    return sum(procs.cpu_seconds(p) for p in t.root_pids() if p)


def run_load(t, imapload, sessions, seconds, seed):
    c0 = cpu(t)
    r = subprocess.run([str(imapload), "load", "-p", str(t.port), "-u", ADDRESS, "-w", t.password,
                        "-c", str(sessions), "-t", str(seconds), "-r", str(seed)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=seconds + 60)
    # the commands in flight at the end are finished or dropped within
    # imapload's 10 s grace; CPU is read once it has exited
    c1 = cpu(t)
    res = {"cmds": {}, "stderr": r.stderr.strip(), "rc": r.returncode}
    for line in r.stdout.splitlines():
        kv = dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)
        if line.startswith("total "):
            res.update(ops=int(kv["ops"]), rate=float(kv["ops_per_s"]), errors=int(kv["errors"]),
                       visits=int(kv["visits"]))
        elif line.startswith("cmd "):
            res["cmds"][kv["name"]] = {k: float(v) for k, v in kv.items() if k != "name"}
    if "rate" not in res:
        raise RuntimeError("imapload against %s printed no total (exit %d): %s" % (t.name, r.returncode, r.stderr[-1500:]))
    res["cpu_s"] = c1 - c0
    res["cpu_ms_per_op"] = 1000.0 * (c1 - c0) / res["ops"] if res["ops"] else None
    return res


def measure_idle(t, imapload, n):
    time.sleep(1)
    before_pids = t.tree()
    before = pss_kib(before_pids)
    p = subprocess.Popen([str(imapload), "idle", "-p", str(t.port), "-u", ADDRESS, "-w", t.password, "-n", str(n)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline().strip()
        kv = dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)
        ready = int(kv.get("n", "0"))
        time.sleep(2)       # let lazily started helpers settle
        pids = t.tree()
        with_conns = pss_kib(pids)
    finally:
        # communicate() closes stdin: imapload then leaves IDLE and logs out
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
    return {"ready": ready, "wanted": n, "pss_before_kib": before, "pss_with_kib": with_conns,
            "procs_before": len(before_pids), "procs_with": len(pids),
            "per_conn_kib": (with_conns - before) / ready if ready else None, "stderr": err.strip()[-600:]}


def make_corpus(dc, n):
    """n messages into Dovecot's INBOX, UIDs assigned by Dovecot (a SELECT
    moves them to cur/), owned by vmail."""
    md = dc.maildir()
    for sub in ("new", "cur", "tmp"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    rnd = random.Random(42)
    t0 = 1795000000
    for i in range(n):
        p = md / "new" / ("%d.M%dP%d.corpus" % (t0 + i, i, os.getpid()))
        p.write_bytes(corpus_message(i, rnd))
        os.utime(p, (t0 + i * 60, t0 + i * 60))
    subprocess.run(["chown", "-R", "vmail:vmail", str(md)], check=True)
    c = dc.dc.imap(ADDRESS)
    try:
        typ, data = c.select("INBOX")
        if typ != "OK" or int(data[0]) != n:
            raise RuntimeError("Dovecot corpus: SELECT said %s %r" % (typ, data))
    finally:
        c.logout()


def copy_maildir(src, dst):
    if dst.exists():
        shutil.rmtree(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.chown(dst.parent, "vmail", "vmail")
    shutil.copytree(src, dst, symlinks=True)
    subprocess.run(["chown", "-R", "vmail:vmail", str(dst)], check=True)


def median(xs):
    s = sorted(xs)
    return (s[(len(s) - 1) // 2] + s[len(s) // 2]) / 2 if s else None


def run(quick, repeat, imapload):
    """The whole imap section (imapload: the built tests/bench/imapload);
    returns the results dict for render()."""
    sessions_list = [10] if quick else [10, 50]
    seconds = 4 if quick else 10
    n_idle = 50 if quick else 200
    corpus = 300 if quick else 1000
    res = {"quick": quick, "repeat": repeat, "seconds": seconds, "corpus": corpus, "n_idle": n_idle,
           "load": {}, "idle": {}, "servers": {}}
    servers = []
    try:
        dcv = Dovecot("bench-" + os.urandom(6).hex())
        servers.append(dcv)
        progress("imap: starting Dovecot on 127.0.0.1:%d" % dcv.port)
        dcv.start()
        progress("imap: corpus of %d messages" % corpus)
        make_corpus(dcv, corpus)
        ph = Posthaste(None, n_idle)
        servers.insert(0, ph)
        progress("imap: starting posthaste, imap on 127.0.0.1:%d" % ph.port)
        ph.start()
        copy_maildir(dcv.maildir(), ph.maildir())
        for t in servers:
            res["servers"][t.name] = t.describe()
            run_load(t, imapload, 2, 1, 1)        # warm: first SELECT, page cache
        for sessions in sessions_list:
            runs = {t.name: [] for t in servers}
            for r in range(repeat):
                order = servers if r % 2 == 0 else list(reversed(servers))
                for t in order:
                    x = run_load(t, imapload, sessions, seconds, 1000 + r)
                    progress("imap: %-9s %2d sessions: %8.1f ops/s, %d ops, %d errors, CPU %.2f s%s"
                             % (t.name, sessions, x["rate"], x["ops"], x["errors"], x["cpu_s"],
                                (" (" + x["stderr"].splitlines()[0][:200] + ")") if x["stderr"] else ""))
                    runs[t.name].append(x)
            res["load"][sessions] = runs
        for t in servers:
            progress("imap: %s, %d idle connections" % (t.name, n_idle))
            res["idle"][t.name] = measure_idle(t, imapload, n_idle)
            progress("imap: %s idle: %s" % (t.name, {k: v for k, v in res["idle"][t.name].items() if k != "stderr"}))
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        res["error"] = str(e)
        progress("imap: run aborted: %s" % e)
    finally:
        for t in servers:
            try:
                t.stop()
            except Exception as e:  # noqa: BLE001 — go on stopping the others
                progress("imap: stopping %s: %s" % (t.name, e))
            t.remove()
    return res


def render(res):
    out = ["IMAP: posthaste vs Dovecot, same machine, same run, same Maildir (%d messages, 1-60 KiB)" % res["corpus"]]
    for name in (PH, DC):
        if name in res["servers"]:
            out.append("%-10s %s" % (name + ":", res["servers"][name]))
    out.append("")
    out.append("imapload: SESSIONS concurrent plain-IMAP sessions on 127.0.0.1 for %d s, visits of LOGIN, SELECT,"
               % res["seconds"])
    out.append("UID FETCH 1:* FLAGS, 5 x (20 headers, 1 body, STORE, SEARCH), APPEND+STORE+UID EXPUNGE every other visit,")
    out.append("LOGOUT; ops = tagged OKs per second, median of %d [min-max]; CPU = server tree ms per op" % res["repeat"])
    out.append("sessions  posthaste ops/s          Dovecot ops/s            ratio  CPU ph/dc    errors ph/dc")
    said = []
    for sessions, runs in sorted(res["load"].items()):
        cells = {}
        for name in (PH, DC):
            rs = runs.get(name) or []
            if rs:
                rates = [x["rate"] for x in rs]
                cpus = [x["cpu_ms_per_op"] for x in rs if x["cpu_ms_per_op"] is not None]
                cells[name] = {"rate": median(rates), "min": min(rates), "max": max(rates),
                               "cpu": median(cpus), "errors": sum(x["errors"] for x in rs)}
        ph, dc = cells.get(PH), cells.get(DC)
        ratio = ph["rate"] / dc["rate"] if ph and dc and dc["rate"] else None

        def cell(c):
            return "%8.1f [%.0f-%.0f]" % (c["rate"], c["min"], c["max"]) if c else "-"

        def cpu_s(c):
            return "%.2f" % c["cpu"] if c and c["cpu"] is not None else "-"
        out.append("%8d  %-23s  %-23s  %s  %s/%s  %s/%s" % (
            sessions, cell(ph), cell(dc), "%5.2fx" % ratio if ratio else "    -", cpu_s(ph), cpu_s(dc),
            ph["errors"] if ph else "-", dc["errors"] if dc else "-"))
        if ratio is not None:
            said.append("ops/s >= 1.5x Dovecot at %d sessions: %.2fx, %s" % (sessions, ratio, "met" if ratio >= 1.5 else "NOT met"))
    for sessions, runs in sorted(res["load"].items()):
        for name in (PH, DC):
            for i, x in enumerate(runs.get(name) or []):
                if x["errors"]:
                    out.append("  errors, %s at %d sessions, run %d: %s" % (
                        name, sessions, i + 1, x["stderr"].replace("\n", " / ")[:900]))
    # per-command medians at the largest load, both servers
    if res["load"]:
        sessions = max(res["load"])
        out.append("")
        out.append("per command at %d sessions, ms: mean / p99 (one run)" % sessions)
        names = []
        for name in (PH, DC):
            for rs in res["load"][sessions].get(name, [])[:1]:
                for k in rs["cmds"]:
                    if k not in names:
                        names.append(k)
        out.append("%-14s %-20s %-20s" % ("command", PH, DC))
        for k in names:
            row = []
            for name in (PH, DC):
                rs = res["load"][sessions].get(name, [])
                c = rs[0]["cmds"].get(k) if rs else None
                row.append("%7.2f / %-8.2f" % (c["mean_ms"], c["p99_ms"]) if c else "-")
            out.append("%-14s %-20s %-20s" % (k, row[0], row[1]))
    out.append("")
    out.append("memory per idle connection (LOGIN, SELECT INBOX, IDLE; %d connections): sum of Pss of the"
               % res["n_idle"])
    out.append("server's process tree with them open minus before, per connection")
    per = {}
    for name in (PH, DC):
        x = res["idle"].get(name)
        if not x:
            continue
        per[name] = x["per_conn_kib"]
        out.append("  %-9s %s KiB per connection (%d of %d connected; Pss %d -> %d KiB, processes %d -> %d)" % (
            name, "%.1f" % x["per_conn_kib"] if x["per_conn_kib"] is not None else "-", x["ready"], x["wanted"],
            x["pss_before_kib"], x["pss_with_kib"], x["procs_before"], x["procs_with"]))
        if x["ready"] < x["wanted"] and x["stderr"]:
            out.append("    %s said: %s" % (name, x["stderr"].replace("\n", " / ")[:600]))
    if per.get(PH) is not None and per.get(DC):
        r = per[PH] / per[DC]
        out.append("  ratio posthaste/Dovecot: %.2fx" % r)
        said.append("memory per idle connection <= 0.25x Dovecot: %.2fx, %s" % (r, "met" if r <= 0.25 else "NOT met"))
    out.append("")
    out.append("targets (reported, not asserted): " + ("; ".join(said) if said else "none measured"))
    if "error" in res:
        out.append("RUN ABORTED: %s" % res["error"])
    return "\n".join(out)
