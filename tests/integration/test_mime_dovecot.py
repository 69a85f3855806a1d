#!/usr/bin/python3
"""test_mime_dovecot: posthaste's ENVELOPE, BODY, BODYSTRUCTURE, RFC822.SIZE
and section boundaries (BODY[n.MIME], BODY[n], BODY[n.HEADER]) against
Dovecot's, for every message in tests/data/mime/.

Dovecot's imap binary (Debian's dovecot-imapd) runs privately in preauth
mode on a pipe, with a minimal config given by -c and a Maildir in a
temporary directory (as uid 65534 when we are root, since Dovecot refuses
root): nothing is installed, started or listened on. Our side is
build/tests/mime_dump (tests/unit/mime_dump.c), which prints what
imap-session answers, from the same CRLF text.

Both answers are parsed into values (so quoted string or literal does not
matter) and compared, with the normalizations and the per-message
differences below, each with its reason. Where Dovecot deviates from the
RFCs, we keep the RFC and the expected value here is ours; everything
else must match Dovecot exactly.

One PASS/FAIL line per message, then "N passed, N failed".
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

TOP = pathlib.Path(__file__).resolve().parents[2]
CORPUS = TOP / "tests" / "data" / "mime"
DUMP = TOP / os.environ.get("PH_MIME_DUMP", "build/tests/mime_dump")
DOVECOT_IMAP = pathlib.Path("/usr/lib/dovecot/imap")

# ---- normalizations applied to both sides (with the RFC that allows them) ----
#
# 1. Media type, subtype, transfer encoding, parameter names and the
#    disposition type are case-insensitive (RFC 2045 §5.1, §6.1; RFC 2183
#    §2): we send them lower-cased, Dovecot as written. They are compared
#    case-insensitively.
# 2. ENVELOPE strings of folded fields: we unfold exactly as RFC 5322
#    §2.2.3 says (remove each CRLF before WSP, keep the WSP); Dovecot
#    collapses a fold to one space and trims the white space at the end of
#    each folded line (and keeps the WSP of a fold right after the colon).
#    White space runs are compared as one space, and white space at either
#    end is ignored.

# 3. NUL bytes in section text: RFC 3501 §4.3 allows no NUL in a
#    literal; Dovecot sends each as 0x80, and so must imap-session's FETCH
#    (mime_dump reports offsets, not the bytes sent). NUL is compared as 0x80.

# ---- per-message differences, each with its reason and a check that our
# value is the RFC's (and that Dovecot's still differs, else the entry is
# stale). item -> (reason, check(ours, dovecot, text) -> None or a problem);
# item "*" covers the whole message.


def _expect(imap_text):
    def check(ours, dove, text):
        want = parse_value(imap_text.encode())
        return None if ours == want else "ours %r, want %r" % (ours, want)
    return check


def _crlf_after_close(ours, dove, text):
    # the inner multipart ends with its close delimiter; the line end after
    # it is the outer delimiter's (delimiter := CRLF dash-boundary)
    if not re.search(rb"\n--[^\r\n]+--$", ours):
        return "ours does not end with the close delimiter: %r" % ours[-40:]
    return None if dove == ours + b"\r\n" else "Dovecot differs otherwise: %r" % dove[-40:]


def _message_body(text):
    return text.split(b"\r\n\r\n", 1)[1]


def _whole_body_is_text(ours, dove, text):
    return None if ours == _message_body(text) else "ours is not the whole body"


def _header_of_message(ours, dove, text):
    return None if ours == text.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" else "ours is not the message header"


def _encoded_rfc822(ours, dove, text):
    # part 1.1 is a base64 message/rfc822, not parsed (RFC 2046 §5.2.1
    # allows it no encoding); its body ends before the CRLF of the
    # boundary: 20 bytes, 0 lines. Dovecot parses it as a message whose
    # header line eats that CRLF: 22 bytes, 1 line. All else is equal.
    inner = ours[8][0]
    if inner[6] != 20 or inner[9] != 0:
        return "part 1.1 has size %r lines %r, want 20 0" % (inner[6], inner[9])
    patched = [x for x in ours]
    patched[8] = [x for x in ours[8]]
    patched[8][0] = inner[:6] + [22] + inner[7:9] + [1] + inner[10:]
    return None if normalize("BODY", patched) == normalize("BODY", dove) else "differs beyond part 1.1's size and lines"


def _rfc822_text(ours, dove, text):
    return None if dove == ours + b"\r\n" and ours == b"RnJvbTogYUBiCgpoaQo=" else "unexpected %r" % ours


def _deep(ours, dove, text):
    # MIME_DEPTH_MAX is 32: the multipart at depth 32 is one text/plain
    # part holding its whole body; Dovecot nests deeper
    b = parse_value(ours["BODYSTRUCTURE"])
    depth = 0
    while isinstance(b, list) and isinstance(b[0], list):
        b = b[0]
        depth += 1
    if depth != 32 or b[:2] != [b"text", b"plain"]:
        return "ours nests %d multiparts, then %r" % (depth, b[:2])
    return None


def _empty_cc(ours, dove, text):
    # "Cc: ," is an address list with no address (RFC 5322 §4.4: empty
    # list elements are ignored): NIL. Dovecot invents one missing address.
    return None if ours[6] is None else "ours Cc is %r" % (ours[6],)


def _invalid_type(ours, dove, text):
    # "Content-Type: text" has no subtype: invalid, so RFC 2045 §5.2's
    # default text/plain; charset=us-ascii applies; Dovecot says ("text" "")
    if ours[0][:3] != [b"text", b"plain", [b"charset", b"us-ascii"]]:
        return "part 1 is %r" % (ours[0][:3],)
    patched = [x for x in dove]
    patched[0] = ours[0][:2] + dove[0][2:]
    return None if normalize("BODY", ours) == normalize("BODY", patched) else "differs beyond part 1's type"


def _global_sections(ours, dove, text):
    # message/global (RFC 6532) is an encapsulated message: RFC 9051
    # §6.4.5 numbers into it like message/rfc822, and common/mime.h parses
    # it so. Dovecot 2.3 does not. (Its BODYSTRUCTURE stays the basic form,
    # as Dovecot sends it: an IMAP4rev1 client's grammar knows the
    # envelope-and-body form only for MESSAGE/RFC822.)
    inner = text.split(b"Content-Type: message/global\r\n\r\n", 1)[1].split(b"\r\n--rep", 1)[0]
    head, _, body = inner.partition(b"\r\n\r\n")
    want = {"HEADER": head + b"\r\n\r\n", "1.MIME": head + b"\r\n\r\n", "1": body}
    for k, v in want.items():
        if ours.get(k) != v:
            return "%s: ours %r, want %r" % (k, ours.get(k), v)
    return None


KNOWN = {
    "03-mixed-attachments.eml": {
        "BODY[1]": ("Dovecot gives the line end after an inner close delimiter to the inner multipart", _crlf_after_close),
    },
    "09-multipart-no-boundary.eml": {
        "BODYSTRUCTURE": ("a multipart without a boundary cannot be split (RFC 2046 §5.1.1 makes the "
                          "parameter mandatory); common/mime.h makes it one text part holding the whole "
                          "body, Dovecot invents an empty text/plain child and hides the body",
                          _expect('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 60 5 NIL NIL NIL NIL)')),
        "BODY": ("as BODYSTRUCTURE", _expect('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 60 5)')),
        "BODY[1]": ("part 1 of a message that is not multipart is its body (RFC 9051 §6.4.5)", _whole_body_is_text),
        "BODY[1.MIME]": ("part 1 is the message itself, so its MIME header is the message's", _header_of_message),
    },
    "12-deep.eml": {
        "*": ("nesting deeper than MIME_DEPTH_MAX (32) is one text part; Dovecot's limit is higher", _deep),
    },
    "16-prefix-boundaries.eml": {
        "BODY[1]": ("as in 03: the CRLF after the inner close delimiter is the outer delimiter's", _crlf_after_close),
    },
    "17-message-top.eml": {
        "BODY": ("a base64 message/rfc822 is not parsed as a message", _encoded_rfc822),
        "BODYSTRUCTURE": ("as BODY", _encoded_rfc822),
        "BODY[1.1]": ("its body ends before the boundary's CRLF", _rfc822_text),
    },
    "18-content-types.eml": {
        "BODY": ("an invalid Content-Type gets the RFC 2045 default", _invalid_type),
        "BODYSTRUCTURE": ("as BODY", _invalid_type),
    },
    "24-message-global.eml": {
        "*sections": ("message/global is numbered into (RFC 9051 §6.4.5); Dovecot 2.3 keeps it a leaf", _global_sections),
    },
    "20-empty-fields.eml": {
        "ENVELOPE": ("an empty address list is NIL", _empty_cc),
    },
}

# ---- parsing IMAP values ----


class Parser:
    def __init__(self, data):
        self.d = data
        self.i = 0

    def peek(self):
        return self.d[self.i:self.i + 1]

    def sp(self):
        while self.peek() == b" ":
            self.i += 1

    def value(self):
        self.sp()
        c = self.peek()
        if c == b"(":
            self.i += 1
            out = []
            while True:
                self.sp()
                if self.peek() == b")":
                    self.i += 1
                    return out
                if not self.peek():
                    raise ValueError("unterminated list")
                out.append(self.value())
        if c == b'"':
            self.i += 1
            s = bytearray()
            while True:
                ch = self.d[self.i:self.i + 1]
                if not ch:
                    raise ValueError("unterminated string")
                self.i += 1
                if ch == b"\\":
                    s += self.d[self.i:self.i + 1]
                    self.i += 1
                elif ch == b'"':
                    return bytes(s)
                else:
                    s += ch
        if c == b"{":
            m = re.compile(rb"\{(\d+)\+?\}\r\n").match(self.d, self.i)
            if not m:
                raise ValueError("bad literal at %d" % self.i)
            n = int(m.group(1))
            self.i = m.end() + n
            return bytes(self.d[m.end():self.i])
        m = re.compile(rb"[^ ()\[\]]+(\[[^\]]*\](<\d+>)?)?").match(self.d, self.i)
        if not m:
            raise ValueError("unexpected %r at %d" % (self.d[self.i:self.i + 20], self.i))
        self.i = m.end()
        a = m.group(0)
        if a == b"NIL":
            return None
        if a.isdigit():
            return int(a)
        return ("atom", a)


def parse_value(text):
    p = Parser(text)
    v = p.value()
    p.sp()
    if p.i != len(text):
        raise ValueError("junk after value: %r" % text[p.i:p.i + 40])
    return v


# ---- normalization ----

def ci(v):
    return v.lower() if isinstance(v, bytes) else v


def norm_params(ps):
    if ps is None:
        return None
    return [ci(x) if k % 2 == 0 else x for k, x in enumerate(ps)]


def norm_dsp(d):
    if not isinstance(d, list):
        return d
    return [ci(d[0]), norm_params(d[1])] + d[2:]


def norm_ws(s):
    if not isinstance(s, bytes):
        return s
    return re.sub(rb"[ \t]+", b" ", s).strip(b" ")


def norm_env(e):
    if not isinstance(e, list) or len(e) != 10:
        return e
    out = []
    for k, x in enumerate(e):
        if k in (2, 3, 4, 5, 6, 7) and isinstance(x, list):
            out.append([[norm_ws(f) for f in a] if isinstance(a, list) else a for a in x])
        else:
            out.append(norm_ws(x))
    return out


def norm_body(b, ext):
    """One body (RFC 3501 body ABNF) with case-insensitive fields folded."""
    if not isinstance(b, list) or not b:
        return b
    if isinstance(b[0], list):
        # multipart: bodies..., subtype [params dsp lang loc ...]
        k = 0
        parts = []
        while k < len(b) and isinstance(b[k], list):
            parts.append(norm_body(b[k], ext))
            k += 1
        rest = b[k:]
        out = parts + [ci(rest[0])]
        if len(rest) > 1:
            out.append(norm_params(rest[1]))
        if len(rest) > 2:
            out.append(norm_dsp(rest[2]))
        out += rest[3:]
        return out
    out = [ci(b[0]), ci(b[1]), norm_params(b[2]), b[3], b[4], ci(b[5]), b[6]]
    rest = b[7:]
    if ci(b[0]) == b"message" and ci(b[1]) in (b"rfc822", b"global") and len(rest) >= 3:
        out += [norm_env(rest[0]), norm_body(rest[1], ext), rest[2]]
        rest = rest[3:]
    elif ci(b[0]) == b"text" and rest:
        out.append(rest[0])
        rest = rest[1:]
    # extension: md5 dsp lang loc
    if rest:
        out.append(rest[0])
    if len(rest) > 1:
        out.append(norm_dsp(rest[1]))
    out += rest[2:]
    return out


def normalize(item, v):
    if item == "ENVELOPE":
        return norm_env(v)
    if item in ("BODY", "BODYSTRUCTURE"):
        return norm_body(v, item == "BODYSTRUCTURE")
    return v


# ---- our side ----

def run_dump(path):
    r = subprocess.run([str(DUMP), str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode not in (0, 1):
        raise RuntimeError("mime_dump exited %d: %s" % (r.returncode, r.stderr.decode(errors="replace")))
    out = {"sections": []}
    data = r.stdout
    i = 0
    while i < len(data):
        j = data.index(b"\n", i)
        line = data[i:j]
        i = j + 1
        key, _, rest = line.partition(b" ")
        if key in (b"ENVELOPE", b"BODY", b"BODYSTRUCTURE"):
            n = int(rest)
            out[key.decode()] = data[i:i + n]
            i += n + 1
        elif key == b"SIZE":
            out["RFC822.SIZE"] = int(rest)
        elif key == b"SECTION":
            f = rest.split(b" ")
            sec = {"path": f[0].decode()}
            for k in range(1, len(f), 3):
                sec[f[k].decode()] = (int(f[k + 1]), int(f[k + 2]))
            out["sections"].append(sec)
    return out


def crlf(data):
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


# ---- Dovecot's side ----

def dovecot_fetch(messages, items_per_message):
    """APPENDs the messages to a private Dovecot and FETCHes, for message
    i, items_per_message[i]; returns a list of dicts item -> raw bytes."""
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="mimedovecot."))
    try:
        os.chmod(tmp, 0o755)
        (tmp / "run").mkdir()
        (tmp / "state").mkdir()
        uid, gid = (65534, 65534) if os.getuid() == 0 else (os.getuid(), os.getgid())
        (tmp / "dovecot.conf").write_text(
            "base_dir = %(d)s/run\nstate_dir = %(d)s/state\nlog_path = %(d)s/log\n"
            "mail_location = maildir:%(d)s/Maildir\nssl = no\nprotocols = imap\n"
            "mail_uid = %(u)d\nmail_gid = %(g)d\nfirst_valid_uid = %(u)d\nfirst_valid_gid = %(g)d\n"
            % {"d": tmp, "u": uid, "g": gid})
        if os.getuid() == 0:
            for root, dirs, files in os.walk(tmp):
                for n in dirs + files:
                    os.chown(os.path.join(root, n), uid, gid)
            os.chown(tmp, uid, gid)
        cmd = bytearray()
        for k, m in enumerate(messages):
            cmd += b"a%d APPEND INBOX {%d+}\r\n" % (k, len(m)) + m + b"\r\n"
        cmd += b"s SELECT INBOX\r\n"
        for k, items in enumerate(items_per_message):
            cmd += b"f%d FETCH %d (%s)\r\n" % (k, k + 1, b" ".join(items))
        cmd += b"z LOGOUT\r\n"
        argv = [str(DOVECOT_IMAP), "-c", str(tmp / "dovecot.conf")]
        if os.getuid() == 0:
            argv = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups"] + argv
        env = {"USER": "nobody" if os.getuid() == 0 else os.environ.get("USER", "user"),
               "HOME": str(tmp), "PATH": "/usr/bin:/bin"}
        r = subprocess.run(argv, input=bytes(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, timeout=120, cwd=str(tmp))
        data = r.stdout
        for k in range(len(messages)):
            if not re.search(rb"\r\na%d OK " % k, data):
                raise RuntimeError("Dovecot did not accept message %d: %r" % (k, data[-500:]))
        results = []
        for k in range(len(messages)):
            m = re.search(rb"\* %d FETCH " % (k + 1), data)
            tagged = re.search(rb"\r\nf%d OK" % k, data)
            if not m or not tagged:
                raise RuntimeError("no FETCH answer for message %d: %r" % (k + 1, data[-500:]))
            p = Parser(data)
            p.i = m.end()
            lst = p.value()
            d = {}
            for j in range(0, len(lst), 2):
                name = lst[j][1].decode() if isinstance(lst[j], tuple) else str(lst[j])
                d[name] = lst[j + 1]
            results.append(d)
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- comparison ----

def section_items(ours):
    items = []
    for s in ours["sections"]:
        items.append(("BODY[%s.MIME]" % s["path"], "MIME"))
        items.append(("BODY[%s]" % s["path"], "TEXT"))
        if "HEADER" in s:
            items.append(("BODY[%s.HEADER]" % s["path"], "HEADER"))
    return items


def compare(name, ours, dove, text):
    problems = []
    known = KNOWN.get(name, {})
    for item in ("RFC822.SIZE", "ENVELOPE", "BODY", "BODYSTRUCTURE"):
        if item not in dove:
            problems.append("Dovecot sent no %s" % item)
            continue
        ov = ours[item]
        if item != "RFC822.SIZE":
            try:
                ov = parse_value(ov)
            except ValueError as e:
                problems.append("%s: ours does not parse: %s" % (item, e))
                continue
        differs = normalize(item, ov) != normalize(item, dove[item])
        if item in known:
            p = known[item][1](ov, dove[item], text)
            if p:
                problems.append("%s (%s): %s" % (item, known[item][0], p))
            elif not differs:
                problems.append("%s: listed as a difference but Dovecot agrees now" % item)
            continue
        if differs and "*" not in known:
            problems.append("%s differs:\n      ours    %r\n      dovecot %r" % (item, ov, dove[item]))
    if "*" in known:
        p = known["*"][1](ours, dove, text)
        if p:
            problems.append("%s: %s" % (known["*"][0], p))
        return problems
    if "*sections" in known:
        # a check over the message's section texts, keyed "HEADER", "1.MIME", "1" under part 3
        got = {}
        for s in ours["sections"]:
            if s["path"] == "3" and "HEADER" in s:
                got["HEADER"] = text[s["HEADER"][0]:s["HEADER"][0] + s["HEADER"][1]]
            if s["path"] == "3.1":
                got["1.MIME"] = text[s["MIME"][0]:s["MIME"][0] + s["MIME"][1]]
                got["1"] = text[s["TEXT"][0]:s["TEXT"][0] + s["TEXT"][1]]
        p = known["*sections"][1](got, dove, text)
        if p:
            problems.append("%s: %s" % (known["*sections"][0], p))
        if dove.get("BODY[3.HEADER]") == got.get("HEADER"):
            problems.append("sections: listed as a difference but Dovecot agrees now")
    for s in ours["sections"]:
        if "*sections" in known and s["path"].startswith("3") and s["path"] != "3":
            continue
        for kind in ("MIME", "TEXT", "HEADER"):
            if "*sections" in known and s["path"] == "3" and kind == "HEADER":
                continue
            if kind not in s:
                continue
            item = "BODY[%s%s]" % (s["path"], "" if kind == "TEXT" else "." + kind)
            start, n = s[kind]
            ov = text[start:start + n].replace(b"\0", b"\x80")
            dv = dove.get(item, b"") or b""
            if item in known:
                p = known[item][1](ov, dv, text)
                if p:
                    problems.append("%s (%s): %s" % (item, known[item][0], p))
                elif ov == dv:
                    problems.append("%s: listed as a difference but Dovecot agrees now" % item)
                continue
            if ov != dv:
                problems.append("%s differs: ours %r, dovecot %r" % (item, ov[:120], dv[:120]))
    return problems


def main():
    passed = failed = 0

    def report(ok, label, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("PASS %s" % label, flush=True)
        else:
            failed += 1
            print("FAIL %s: %s" % (label, detail), flush=True)

    if not DOVECOT_IMAP.exists():
        report(False, "dovecot present", "%s missing: apt-get install dovecot-imapd" % DOVECOT_IMAP)
        print("%d passed, %d failed" % (passed, failed))
        return 1
    if not DUMP.exists():
        subprocess.run(["make", "-C", str(TOP), "build/tests/mime_dump"], stdout=subprocess.DEVNULL, check=False)
    files = sorted(CORPUS.glob("*.eml"))
    report(len(files) >= 20 and DUMP.exists(), "corpus and mime_dump present", "%d files, %s" % (len(files), DUMP))
    if not DUMP.exists():
        print("%d passed, %d failed" % (passed, failed))
        return 1
    ours, texts, items = [], [], []
    for f in files:
        o = run_dump(f)
        ours.append(o)
        texts.append(crlf(f.read_bytes()))
        it = [b"RFC822.SIZE", b"ENVELOPE", b"BODY", b"BODYSTRUCTURE"]
        for sec, _ in section_items(o):
            it.append(sec.replace("BODY[", "BODY.PEEK[").encode())
        items.append(it)
    try:
        dove = dovecot_fetch(texts, items)
    except Exception as e:  # one clear line rather than a traceback
        report(False, "dovecot runs", str(e))
        print("%d passed, %d failed" % (passed, failed))
        return 1
    for f, o, d, t in zip(files, ours, dove, texts):
        problems = compare(f.name, o, d, t)
        report(not problems, "%s matches Dovecot" % f.name, "\n    " + "\n    ".join(problems))
    # every listed difference must still name a corpus file
    stale = [k for k in KNOWN if not (CORPUS / k).exists()]
    report(not stale, "known differences name existing messages", ", ".join(stale))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
