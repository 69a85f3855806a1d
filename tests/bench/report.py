"""The results as a plain-text table, and its dated entry in docs/bench.md."""

import pathlib

TOP = pathlib.Path(__file__).resolve().parents[2]
DOC = TOP / "docs" / "bench.md"
PH, PF = "posthaste", "Postfix"


def _size(n):
    return "%d KiB" % (n // 1024)


def _fsync(f):
    if not f:
        return "not checked"
    if "error" in f:
        return "not checked (%s)" % f["error"]
    s = "%.3g on files + %.3g on directories" % (f["files"], f["dirs"])
    if f.get("other"):
        s += " + %.3g sync/syncfs" % f["other"]
    return s


def _cell(c):
    if c is None:
        return "-"
    s = "%7.1f [%.0f-%.0f]" % (c["rate"], c["min"], c["max"])
    return s


def _cpu(c):
    return "%.1f" % c["cpu"] if c and c.get("cpu") is not None else "-"


def render(res):
    ctx = res["context"]
    out = []
    out.append("posthaste vs Postfix %s, same machine, same run (commit %s)"
               % (ctx["postfix"], ctx["commit"]))
    out.append("machine: %s, %d CPUs, %.1f GiB, Linux %s" % (ctx["cpu"], ctx["cpus"], ctx["mem_gib"], ctx["kernel"]))
    out.append("load average (1 min) before/after the run: %.2f / %.2f" % (ctx["load_start"], ctx.get("load_end", -1)))
    out.append("/tmp (both servers' queue and Maildirs): %s" % ctx["fs"])
    out.append("write 4 KiB + fsync on /tmp: %.2f ms median" % ctx["fsync_ms"])
    out.append("both fsync before acknowledging; fsync calls per message (strace):")
    for name in (PH, PF):
        out.append("  %-9s %s" % (name, _fsync(res["fsync"].get(name))))
    for name in (PH, PF):
        if name in res["servers"]:
            out.append("%-9s %s" % (name + ":", res["servers"][name]))
    out.append("")
    out.append("Throughput, messages/s end to end (smtp-source start -> last file in new/),")
    out.append("one connection per message; ~%gs runs, median of %d [min-max]; CPU = server ms/message"
               % (res["seconds"], res["repeat"]))
    out.append("sessions  size     posthaste            Postfix              ratio  CPU ph/pf")
    notes = []
    for (sessions, size), cell in sorted(res["throughput"].items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ph, pf = cell.get(PH), cell.get(PF)
        ratio = "%5.2fx" % (ph["rate"] / pf["rate"]) if ph and pf and pf["rate"] > 0 else "    -"
        out.append("%8d  %-7s  %-19s  %-19s  %s  %s/%s"
                   % (sessions, _size(size), _cell(ph), _cell(pf), ratio, _cpu(ph), _cpu(pf)))
        for name, c in ((PH, ph), (PF, pf)):
            if c and c["refused"]:
                notes.append("%s refused %d of the messages at %d sessions x %s (451; rate counts delivered ones)"
                             % (name, c["refused"], sessions, _size(size)))
            if c and c["incomplete"]:
                notes.append("%s: %d run(s) at %d sessions x %s did not complete"
                             % (name, c["incomplete"], sessions, _size(size)))
    out.extend("  note: " + n for n in notes)
    for (sessions, size), cell in sorted(res["throughput"].items(), key=lambda kv: (kv[0][1], kv[0][0])):
        parts = cell.get(PH, {}).get("parts")
        if sessions == 10 and parts:
            out.append("posthaste CPU ms/msg by part, 10 sessions x %s (ns from /proc schedstat): %s; "
                       "unaccounted %.2f"
                       % (_size(size), ", ".join("%s %.2f" % kv for kv in parts.items()),
                          cell[PH]["cpu"] - sum(parts.values())))
            detail = cell[PH].get("detail", {})
            for prefix, what in (("log:", "  loggers"), ("svc:", "  services")):
                top = sorted(((k[len(prefix):], v) for k, v in detail.items() if k.startswith(prefix)),
                             key=lambda kv: -kv[1])[:8]
                if top:
                    out.append("%s, ms/msg: %s" % (what, ", ".join("%s %.3f" % kv for kv in top)))
    fc = res.get("filter")
    if fc and PH in fc and "posthaste+filter" in fc:
        a, b = fc[PH], fc["posthaste+filter"]
        out.append("")
        out.append("Filter chain, 10 sessions x 4 KiB: one no-op filter (tests/bench/noop-filter, sh + cat)")
        out.append("  without: %s, CPU %s ms/msg; with: %s, CPU %s ms/msg; throughput %.2fx"
                   % (_cell(a), _cpu(a), _cell(b), _cpu(b), (b["rate"] / a["rate"]) if a["rate"] > 0 else 0))
    lat = res["latency"]
    if lat:
        out.append("")
        n = next(iter(lat.values()))["n"]
        out.append("Latency, DATA 250 -> file in new/, %d messages per server one at a time, the servers in turn, 4 KiB, ms" % n)
        out.append("           median     p99     min     max")
        for name in (PH, PF):
            if name in lat:
                x = lat[name]
                out.append("%-9s %7.2f %7.2f %7.2f %7.2f" % (name, x["median"], x["p99"], x["min"], x["max"]))
        if PH in lat and PF in lat and lat[PF]["median"] > 0:
            out.append("ratio posthaste/Postfix: median %.2fx, p99 %.2fx"
                       % (lat[PH]["median"] / lat[PF]["median"], lat[PH]["p99"] / lat[PF]["p99"]))
    out.append("")
    if res.get("error"):
        out.append("RUN ABORTED: %s" % res["error"])
    out.append("targets: " + "; ".join(_targets(res)))
    out.append("whole run: %.0f s" % res["elapsed"])
    return "\n".join(out)


def _targets(res):
    said = []
    for (sessions, size), cell in sorted(res["throughput"].items()):
        if sessions == 10 and PH in cell and PF in cell and cell[PF]["rate"] > 0:
            r = cell[PH]["rate"] / cell[PF]["rate"]
            said.append("throughput >= 2x Postfix at 10 sessions, %s: %.2fx, %s"
                        % (_size(size), r, "met" if r >= 2 else "NOT met"))
    lat = res["latency"]
    if PH in lat and PF in lat and lat[PF]["median"] > 0:
        r = lat[PH]["median"] / lat[PF]["median"]
        said.append("latency median <= 0.5x Postfix: %.2fx, %s" % (r, "met" if r <= 0.5 else "NOT met"))
    return said or ["none measured"]


def append_to_docs(text, ctx):
    entry = "\n## Results %s\n\nMeasured by `make bench` on this machine in this run.\n\n```text\n%s\n```\n" % (
        ctx["date"], text)
    with open(DOC, "a") as f:
        f.write(entry)
