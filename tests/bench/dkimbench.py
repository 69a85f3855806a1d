"""The dkim section of tests/bench/run (`tests/bench/run dkim` alone).

Signatures and verifications per second of a 4 KiB message, relaxed/
relaxed, with an RSA-2048 and an Ed25519 key, through posthaste's DKIM
library (`dkimsign -b`: one process, one core, the key's public half
served from memory, no DNS), against `openssl speed -seconds 3 rsa2048
ed25519` in the same run: the bare private-key and public-key
operations. A DKIM operation adds the canonicalization and hashing of
the message and the signature field to the bare one, and a verification
parses the DKIM-Signature field too, so the ratio can only approach 1
where the bare operation is slow (RSA signing). Target: 0.9x.
A second table gives the same operations with the key parsed for each
message ("cold": the private key file's text, or a key record the
verifier's cache has not seen), which is what the signing service and
policyd-filter pay, running once per message; openssl speed's figure
keeps its parsed key, so that ratio is shown for information only.
Measurement, not a test: nothing here asserts a speed.
"""

import os
import pathlib
import re
import subprocess
import tempfile

TOP = pathlib.Path(__file__).resolve().parent.parent.parent
TARGET = 0.9
SECONDS = int(os.environ.get("BENCH_DKIM_SECONDS", "3"))


def message():
    head = ("From: Demo <demo@example.test>\nTo: someone@example.org\nSubject: benchmark\n"
            "Date: Fri, 27 Nov 2026 10:00:00 +0000\nMessage-ID: <bench@example.test>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n")
    line = "The quick brown fox jumps over the lazy dog, again and again.  \n"
    body = ""
    while len(head) + len(body) + len(line) <= 4096:
        body += line
    return (head + body + "x" * (4096 - len(head) - len(body))).encode()


def openssl_speed():
    out = subprocess.run(["openssl", "speed", "-seconds", str(SECONDS), "rsa2048", "ed25519"],
                         capture_output=True, text=True, check=True).stdout
    rsa = re.search(r"^rsa 2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", out, re.M)
    ed = re.search(r"EdDSA \(Ed25519\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", out)
    if not rsa or not ed:
        raise RuntimeError("cannot read openssl speed's output: %s" % out[-500:])
    return {"rsa": (float(rsa.group(1)), float(rsa.group(2))), "ed25519": (float(ed.group(1)), float(ed.group(2)))}


def ours(bin_dir, key, msg):
    env = dict(os.environ, PH_DKIM_BENCH_SECONDS=str(SECONDS))
    env.pop("PH_ENVFILE", None)
    r = subprocess.run([str(bin_dir / "dkimsign"), "-b", str(key)], input=msg, capture_output=True, env=env, check=True)
    m = re.match(rb"sign_per_s=(\d+) verify_per_s=(\d+) sign_cold_per_s=(\d+) verify_cold_per_s=(\d+)", r.stdout)
    if not m:
        raise RuntimeError("dkimsign -b: %r %r" % (r.stdout, r.stderr))
    return tuple(float(m.group(i)) for i in range(1, 5))


def run(bin_dir=TOP / "build" / "bin"):
    msg = message()
    res = {}
    with tempfile.TemporaryDirectory() as d:
        keys = {"rsa": pathlib.Path(d) / "rsa.pem", "ed25519": pathlib.Path(d) / "ed.pem"}
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(keys["rsa"])],
                       check=True, capture_output=True)
        subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519", "-out", str(keys["ed25519"])], check=True, capture_output=True)
        for k, path in keys.items():
            res[k] = {"ours": ours(bin_dir, path, msg)}
        ref = openssl_speed()
        for k in keys:
            res[k]["openssl"] = ref[k]
    return res


def render(res):
    out = ["DKIM, 4 KiB message, relaxed/relaxed, one core, %d s per measure (target %.1fx of openssl speed)" % (SECONDS, TARGET),
           "%-10s %-11s %12s %14s %7s" % ("key", "op", "posthaste/s", "openssl speed/s", "ratio")]
    for k, label in (("rsa", "RSA-2048"), ("ed25519", "Ed25519")):
        for i, op in enumerate(("sign", "verify")):
            a, b = res[k]["ours"][i], res[k]["openssl"][i]
            out.append("%-10s %-11s %12.0f %14.0f %6.2fx%s" % (label, op, a, b, a / b, "" if a / b >= TARGET else "  (below target)"))
    out.append("cold: the key parsed for every message (the signing service's and policyd-filter's case), same openssl figure")
    for k, label in (("rsa", "RSA-2048"), ("ed25519", "Ed25519")):
        for i, op in enumerate(("sign", "verify")):
            a, b = res[k]["ours"][2 + i], res[k]["openssl"][i]
            out.append("%-10s %-11s %12.0f %14.0f %6.2fx" % (label, op + " cold", a, b, a / b))
    return "\n".join(out)


def section(quick):
    """Prints the table; a full run (not BENCH_QUICK) also appends it to
    docs/bench.md under a dated heading."""
    import context
    ctx = context.collect()
    try:
        res = run()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        print("bench: dkim run aborted (%s); docs/bench.md left alone" % e, flush=True)
        return 1
    ctx["load_end"] = context.loadavg()
    text = "%s\nmachine: %s, %d CPUs; commit %s; load average (1 min) before/after: %.2f / %.2f" % (
        render(res), ctx["cpu"], ctx["cpus"], ctx["commit"], ctx["load_start"], ctx["load_end"])
    print(text, flush=True)
    if not quick:
        with open(TOP / "docs" / "bench.md", "a") as f:
            f.write("\n## DKIM results %s\n\nMeasured by `tests/bench/run dkim` on this machine in this run.\n\n```text\n%s\n```\n"
                    % (ctx["date"], text))
    return 0
