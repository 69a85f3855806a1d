"""caserun: what the integration tests that drive one program directly
(test_tcpd, test_tlsd, test_tlsc: no s6 tree, no phtest Suite) share.

    import caserun
    BIN = caserun.bin_dir()
    TMP = caserun.tmpdir("test_x.")
    case = caserun.Cases()

    @case
    def it_works():
        assert ...

    passed, failed = caserun.run_cases(case)
    caserun.finish(passed, failed, TMP)

Every case prints one PASS/FAIL line; the last line is "N passed, N
failed". The binaries come from $PH_TEST_BIN or $PH_BIN (relative to the
top of the checkout, e.g. build-asan/bin), default build/bin.
"""

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import ports

TOP = pathlib.Path(__file__).resolve().parents[2]


def bin_dir():
    b = pathlib.Path(os.environ.get("PH_TEST_BIN") or os.environ.get("PH_BIN") or "build/bin")
    return b if b.is_absolute() else TOP / b


def tmpdir(prefix):
    """A fresh temporary directory every uid may traverse."""
    d = pathlib.Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(d, 0o755)
    return d


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    return ports.free_port(family, host)


def checked(argv, **kw):
    """subprocess.run with the output captured; a failure raises
    AssertionError with the end of its stderr."""
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if r.returncode:
        raise AssertionError("%s exited %d: %s" % (" ".join(argv), r.returncode, r.stderr.decode(errors="replace")[-1500:]))
    return r


def stop_server(proc, log, who="the log"):
    """Stops a server started with start_new_session: SIGTERM, SIGKILL
    after 5 s, then SIGKILL to what is left of its session (the handlers
    it ran); log() is then read for sanitizer reports, which raise
    AssertionError."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    text = log()
    for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        if marker in text:
            raise AssertionError("sanitizer report in %s: %s" % (who, text))


class Cases(list):
    """The cases of a file, in order; an instance is their decorator."""

    def __call__(self, fn):
        self.append(fn)
        return fn


def setup_failed(what, name="setup"):
    print("FAIL %s: %s" % (name, what))
    print("0 passed, 1 failed")
    sys.exit(1)


def run_cases(cases, width=800, full_traceback=False):
    """Runs the cases named on the command line (all when none is), each
    printing PASS name (time) or FAIL name: exception (where). Returns
    (passed, failed)."""
    only = set(sys.argv[1:])
    passed = failed = 0
    for fn in cases:
        if only and fn.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            fn()
            passed += 1
            print("PASS %s (%.1fs)" % (fn.__name__, time.monotonic() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 - any exception fails the case
            failed += 1
            tb = traceback.extract_tb(e.__traceback__)
            where = "%s:%d" % (pathlib.Path(tb[-1].filename).name, tb[-1].lineno) if tb else "?"
            print("FAIL %s: %s: %s (%s)" % (fn.__name__, type(e).__name__,
                                           str(e).replace("\n", " | ")[:width], where), flush=True)
            if full_traceback:
                traceback.print_exc(file=sys.stdout)
    return passed, failed


def finish(passed, failed, tmp=None, keep_on_failure=True):
    """Removes tmp (kept for a look when a case failed and
    keep_on_failure), prints the last line and exits."""
    if tmp is not None:
        if failed and keep_on_failure:
            print("# logs kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)
