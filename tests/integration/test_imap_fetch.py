"""FETCH, STORE, SEARCH, SORT and THREAD against the running suite
(imapd/imap_cmd_fetch.c, imap_cmd_store.c, imap_cmd_search.c and the
message code under them): every FETCH item with partials and BINARY
(RFC 9051 §6.4.5, RFC 3516), STORE variants and keywords, SEARCH keys
with CHARSET UTF-8 and a non-ASCII header, ESEARCH (RFC 4731) and
SEARCHRES (RFC 5182), SORT and THREAD (RFC 5256) on a generated thread
set, CONDSTORE (RFC 7162) CHANGEDSINCE / UNCHANGEDSINCE / MODIFIED.

Messages come in over SMTP (the MX port) or by APPEND; the answers are
compared byte for byte where the RFCs fix the bytes.
"""

import smtplib
import imaplib
import pathlib
import re
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import phtest  # noqa: E402
import imapinterop as ii  # noqa: E402

DEMO = ii.DEMO

SIMPLE = (b"From: Alice <alice@example.test>\r\n"
          b"To: Bob <bob@example.test>\r\n"
          b"Subject: Hello world\r\n"
          b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
          b"Message-ID: <1@example.test>\r\n"
          b"\r\n"
          b"Line one\r\n"
          b"Line two\r\n")

MULTI = (b"From: Carol <carol@example.test>\r\n"
         b"Subject: multi\r\n"
         b"MIME-Version: 1.0\r\n"
         b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
         b"\r\n"
         b"--XX\r\n"
         b"Content-Type: text/plain; charset=iso-8859-1\r\n"
         b"Content-Transfer-Encoding: quoted-printable\r\n"
         b"\r\n"
         b"caf=E9\r\n"
         b"--XX\r\n"
         b"Content-Type: application/octet-stream\r\n"
         b"Content-Transfer-Encoding: base64\r\n"
         b"\r\n"
         b"AAEC/w==\r\n"
         b"--XX\r\n"
         b"Content-Type: message/rfc822\r\n"
         b"\r\n"
         b"From: inner@example.test\r\n"
         b"Subject: inner\r\n"
         b"\r\n"
         b"inner body\r\n"
         b"--XX--\r\n")

ODD = (b"Subject: strange\r\n"
       b"Content-Type: text/plain\r\n"
       b"Content-Transfer-Encoding: x-unheard-of\r\n"
       b"\r\n"
       b"data\r\n")


def append(c, box, data, flags=b"", date=b""):
    """APPEND with a synchronizing literal; returns the tagged line."""
    c.n += 1
    tag = b"r%d" % c.n
    head = tag + b" APPEND " + box + b" " + (flags + b" " if flags else b"") + (date + b" " if date else b"") + b"{%d}\r\n" % len(data)
    c.send(head)
    ln = c.line(10)
    assert ln is not None and ln.startswith(b"+"), "APPEND: no continuation: %r; %s" % (ln, c.transcript.tail())
    c.send(data + b"\r\n")
    while True:
        ln = c.line(30)
        assert ln is not None, "APPEND: no answer; %s" % c.transcript.tail()
        if ln.startswith(tag + b" "):
            assert ln.startswith(tag + b" OK"), ln
            return ln


def fresh(c, name, messages, flags=b"", date=b""):
    """A new folder holding messages, selected."""
    c.command(b"DELETE " + name, ok=False)
    c.command(b"CREATE " + name)
    for m in messages:
        append(c, name, m, flags, date)
    un, t = c.command(b"SELECT " + name)
    return un


def fetch1(c, seq, items):
    """FETCH one message; returns its FETCH line (literals inlined)."""
    un, t = c.command("FETCH %s %s" % (seq, items))
    lines = [x for x in un if re.match(rb"\* %s FETCH " % str(seq).encode(), x)]
    assert len(lines) == 1, (un, t)
    return lines[0]


@phtest.case
def fetch_every_item(s):
    c = ii.Raw(s)
    fresh(c, b"FetchA", [SIMPLE, MULTI, ODD], date=b'"08-Feb-1994 05:52:25 +0000"')
    ln = fetch1(c, 1, "(UID FLAGS INTERNALDATE RFC822.SIZE)")
    assert re.search(rb"UID \d+", ln) and b"FLAGS (" in ln, ln
    assert b'INTERNALDATE "' in ln, ln
    assert re.search(rb'INTERNALDATE "\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"', ln), ln
    assert time.mktime(imaplib.Internaldate2tuple(ln)) == 760686745, ln
    assert b"RFC822.SIZE %d" % len(SIMPLE) in ln, ln
    ln = fetch1(c, 1, "BODY.PEEK[HEADER.FIELDS (Subject From)]")
    assert ln.endswith(b"BODY[HEADER.FIELDS (Subject From)] {58}\r\nFrom: Alice <alice@example.test>\r\nSubject: Hello world\r\n\r\n)"), ln
    ln = fetch1(c, 1, "BODY.PEEK[HEADER.FIELDS.NOT (To Subject Date Message-ID)]")
    assert ln.endswith(b"{36}\r\nFrom: Alice <alice@example.test>\r\n\r\n)"), ln
    ln = fetch1(c, 1, "BODY.PEEK[]<0.10>")
    assert ln.endswith(b"BODY[]<0> {10}\r\nFrom: Alic)"), ln
    ln = fetch1(c, 1, "BODY.PEEK[TEXT]<5.4>")
    assert ln.endswith(b"BODY[TEXT]<5> {4}\r\none\r)"), ln
    ln = fetch1(c, 1, "BODY.PEEK[]<99999.5>")
    assert ln.endswith(b'BODY[]<99999> "")'), ln
    ln = fetch1(c, 1, "(RFC822.HEADER RFC822.TEXT)")
    head, body = SIMPLE.split(b"\r\n\r\n", 1)
    assert b"RFC822.HEADER {%d}\r\n%s\r\n\r\n" % (len(head) + 4, head) in ln, ln
    assert b"RFC822.TEXT {%d}\r\n%s" % (len(body), body) in ln, ln
    ln = fetch1(c, 1, "(ENVELOPE BODYSTRUCTURE BODY)")
    assert b'ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "Hello world" (("Alice" NIL "alice" "example.test"))' in ln, ln
    assert re.search(rb'BODYSTRUCTURE \("text" "plain"', ln, re.I) and re.search(rb' BODY \("text" "plain"', ln, re.I), ln
    ln = fetch1(c, 1, "BODY.PEEK[2]")
    assert ln.endswith(b"BODY[2] NIL)"), ln
    # multipart sections and message/rfc822 nesting
    ln = fetch1(c, 2, "BODY.PEEK[1]")
    assert ln.endswith(b"BODY[1] {6}\r\ncaf=E9)"), ln
    ln = fetch1(c, 2, "BODY.PEEK[2.MIME]")
    assert ln.endswith(b"{77}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n)"), ln
    ln = fetch1(c, 2, "BODY.PEEK[3.HEADER]")
    assert ln.endswith(b"BODY[3.HEADER] {44}\r\nFrom: inner@example.test\r\nSubject: inner\r\n\r\n)"), ln
    ln = fetch1(c, 2, "(BODY.PEEK[3.TEXT] BODY.PEEK[3.1])")
    assert b"BODY[3.TEXT] {10}\r\ninner body" in ln and b"BODY[3.1] {10}\r\ninner body" in ln, ln
    ln = fetch1(c, 2, "BODY.PEEK[1.HEADER]")
    assert ln.endswith(b"BODY[1.HEADER] NIL)"), ln
    # RFC822 is the whole message; the macros
    ln = fetch1(c, 1, "RFC822")
    assert b"RFC822 {%d}\r\n%s" % (len(SIMPLE), SIMPLE) in ln, ln
    for macro in ("ALL", "FAST", "FULL"):
        ln = fetch1(c, 3, macro)
        assert b"FLAGS" in ln and b"INTERNALDATE" in ln and b"RFC822.SIZE" in ln, (macro, ln)
    c.close()


@phtest.case
def fetch_sets_seen_unless_peek(s):
    c = ii.Raw(s)
    fresh(c, b"FetchSeen", [SIMPLE, SIMPLE, SIMPLE])
    ln = fetch1(c, 1, "BODY.PEEK[TEXT]")
    assert b"FLAGS" not in ln, ln
    ln = fetch1(c, 1, "FLAGS")
    assert b"\\Seen" not in ln, ln
    ln = fetch1(c, 1, "BODY[TEXT]")
    assert b"FLAGS (\\Seen" in ln, ln      # \Seen set, FLAGS included (RFC 9051 §6.4.5)
    ln = fetch1(c, 2, "RFC822.TEXT")
    assert b"\\Seen" in ln, ln
    ln = fetch1(c, 3, "RFC822.HEADER")
    assert b"\\Seen" not in ln, ln
    # already seen: no FLAGS added
    ln = fetch1(c, 1, "BODY[TEXT]")
    assert b"FLAGS" not in ln, ln
    # EXAMINE: nothing is set
    c.command("UNSELECT")
    c.command("EXAMINE FetchSeen")
    ln = fetch1(c, 3, "BODY[TEXT]")
    assert b"FLAGS" not in ln, ln
    ln = fetch1(c, 3, "FLAGS")
    assert b"\\Seen" not in ln, ln
    c.close()


@phtest.case
def binary_items(s):
    c = ii.Raw(s)
    fresh(c, b"FetchBin", [MULTI, ODD])
    ln = fetch1(c, 1, "BINARY.PEEK[1]")
    assert ln.endswith(b"BINARY[1] {4}\r\ncaf\xe9)"), ln
    ln = fetch1(c, 1, "BINARY.PEEK[2]")
    # decoded data with a NUL goes as literal8 (RFC 3516 §4.2)
    assert ln.endswith(b"BINARY[2] ~{4}\r\n\x00\x01\x02\xff)"), ln
    ln = fetch1(c, 1, "(BINARY.SIZE[1] BINARY.SIZE[2])")
    assert b"BINARY.SIZE[1] 4" in ln and b"BINARY.SIZE[2] 4" in ln, ln
    ln = fetch1(c, 1, "BINARY.PEEK[1]<1.2>")
    assert ln.endswith(b"BINARY[1]<1> {2}\r\naf)"), ln
    _, t = c.command("FETCH 2 BINARY.PEEK[1]", ok=False)
    assert b" NO [UNKNOWN-CTE]" in t, t
    ln = fetch1(c, 2, "BODY.PEEK[1]")
    assert ln.endswith(b"{6}\r\ndata\r\n)"), ln
    c.close()


@phtest.case
def fetch_errors(s):
    c = ii.Raw(s)
    _, t = c.command("FETCH 1 FLAGS", ok=False)
    assert b" BAD " in t, t                    # no mailbox selected
    fresh(c, b"FetchErr", [SIMPLE, SIMPLE])
    _, t = c.command("FETCH 3 FLAGS", ok=False)
    assert b" BAD " in t, t                    # beyond EXISTS: RFC 9051 §9 seq-number
    _, t = c.command("FETCH 1:5 FLAGS", ok=False)
    assert b" BAD " in t, t
    _, t = c.command("FETCH 1 (FLAGS FROB)", ok=False)
    assert b" BAD " in t, t
    _, t = c.command("FETCH 1 BODY[HEADER.FIELDS ()]", ok=False)
    assert b" BAD " in t, t
    un, t = c.command("UID FETCH 999 FLAGS")  # UIDs that are not there are fine
    assert not un, un
    un, t = c.command("FETCH 2:* UID")
    assert len(un) == 1 and un[0].startswith(b"* 2 FETCH (UID "), un
    un, t = c.command("UID FETCH 1:* FLAGS")
    assert len(un) == 2 and all(b"UID " in x for x in un), un
    c.close()


@phtest.case
def expunged_elsewhere(s):
    """A message removed by another session between its sync and the
    read: FETCH answers the others and "NO [EXPUNGEISSUED]" (RFC 9051
    §7.1); no EXPUNGE is sent during FETCH by sequence number."""
    a = ii.Raw(s)
    fresh(a, b"FetchGone", [SIMPLE, SIMPLE, SIMPLE])
    b = ii.Raw(s)
    b.command("SELECT FetchGone")
    b.command("STORE 2 +FLAGS.SILENT (\\Deleted)")
    b.command("EXPUNGE")
    b.close()
    un, t = a.command("FETCH 1:3 BODY.PEEK[TEXT]", ok=False)
    assert not any(x.endswith(b" EXPUNGE") for x in un), un
    fetched = [x for x in un if b" FETCH " in x]
    assert len(fetched) >= 2, un
    assert b" NO [EXPUNGEISSUED]" in t or b" OK" in t, t
    un, t = a.command("NOOP")
    assert any(x == b"* 2 EXPUNGE" for x in un), un
    a.close()


@phtest.case
def refused_store_uses_no_keyword_slot(s):
    # 26 keyword letters per folder: a STORE naming more new keywords than
    # fit is refused whole, and registers none of them
    c = ii.Raw(s)
    fresh(c, b"StoreKw", [SIMPLE])
    c.command("STORE 1 +FLAGS (Kept)")
    _, t = c.command("STORE 1 +FLAGS (%s)" % " ".join("kw%d" % i for i in range(60)), ok=False)
    assert b" NO [LIMIT]" in t, t
    ln = fetch1(c, 1, "FLAGS")
    assert b"kw0" not in ln and b"Kept" in ln, ln
    d = ii.Raw(s)
    un, _ = d.command("SELECT StoreKw")
    flags = [x for x in un if x.startswith(b"* FLAGS")]
    assert flags and b"kw0" not in flags[0] and b"Kept" in flags[0], un
    # the folder still has its 25 free slots: 25 new ones in one STORE fit
    # (the same name twice counts once), a 26th does not
    un, _ = d.command("STORE 1 +FLAGS (%s kw0 KW1)" % " ".join("kw%d" % i for i in range(25)))
    assert any(b"kw24" in x for x in un), un
    _, t = d.command("STORE 1 +FLAGS (another)", ok=False)
    assert b" NO [LIMIT]" in t, t
    d.close()
    c.close()


@phtest.case
def store_variants(s):
    c = ii.Raw(s)
    fresh(c, b"StoreA", [SIMPLE, SIMPLE, SIMPLE])
    un, _ = c.command("STORE 1 +FLAGS (\\Flagged)")
    assert un == [b"* 1 FETCH (FLAGS (\\Flagged \\Recent))"] or un == [b"* 1 FETCH (FLAGS (\\Flagged))"], un
    un, _ = c.command("STORE 1 -FLAGS (\\Flagged)")
    assert re.match(rb"\* 1 FETCH \(FLAGS \((\\Recent)?\)\)", un[0]), un
    un, _ = c.command("STORE 1:2 FLAGS (\\Seen \\Answered)")
    assert len(un) == 2 and all(b"\\Seen" in x and b"\\Answered" in x for x in un), un
    un, _ = c.command("STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert not un, un
    un, _ = c.command("UID STORE 1:* +FLAGS (\\Draft)")
    assert len(un) == 3 and all(re.search(rb"UID \d+", x) for x in un), un
    # keywords: created on first use, then in FLAGS and PERMANENTFLAGS
    un, _ = c.command("STORE 2 +FLAGS (Work $Forwarded)")
    assert any(b"* FLAGS (" in x and b"Work" in x for x in un), un
    assert any(b"[PERMANENTFLAGS (" in x and b"Work" in x and b"\\*" in x for x in un), un
    assert any(x.startswith(b"* 2 FETCH (FLAGS (") and b"Work" in x and b"$Forwarded" in x for x in un), un
    un, _ = c.command("STORE 2 -FLAGS (Work)")
    assert any(b"Work" not in x and x.startswith(b"* 2 FETCH") for x in un), un
    un, _ = c.command("STORE 3 -FLAGS (NeverSeenBefore)")
    ln = fetch1(c, 2, "FLAGS")
    assert b"$Forwarded" in ln and b"Work" not in ln, ln
    _, t = c.command("STORE 1 +FLAGS (\\Recent)", ok=False)
    assert b" BAD " in t, t
    _, t = c.command("STORE 9 +FLAGS (\\Seen)", ok=False)
    assert b" BAD " in t, t
    _, t = c.command("STORE 1 FROB (\\Seen)", ok=False)
    assert b" BAD " in t, t
    # the flags are on disk: a new session sees them
    d = ii.Raw(s)
    d.command("EXAMINE StoreA")
    ln = fetch1(d, 1, "FLAGS")
    assert b"\\Seen" in ln and b"\\Answered" in ln and b"\\Deleted" in ln and b"\\Draft" in ln, ln
    _, t = d.command("STORE 1 +FLAGS (\\Flagged)", ok=False)
    assert b" NO " in t, t                     # read-only
    d.close()
    # imaplib's view of the same
    m = ii.session(s)
    typ, _ = m.select("StoreA")
    assert typ == "OK"
    typ, data = m.store("3", "+FLAGS", "(\\Flagged)")
    assert typ == "OK" and b"\\Flagged" in data[0], data
    typ, data = m.fetch("3", "(FLAGS)")
    assert b"\\Flagged" in data[0], data
    m.logout()
    c.close()


def deliver_search_set(s):
    """Three messages over SMTP to the INBOX: one with an RFC 2047 UTF-8
    subject and a quoted-printable UTF-8 body."""
    with smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=60) as c:
        c.ehlo("client.test")
        c.sendmail("sender@example.org", [DEMO], (
            "From: Sender <sender@example.org>\r\nTo: %s\r\n"
            "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n"
            "Message-ID: <srch-a@client.test>\r\nDate: Fri, 27 Nov 2026 12:00:00 +0000\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            "Das ist ein sch=C3=B6ner Tag\r\n" % DEMO).encode())
    ii.smtp_send(s, ["srch-b"], subject="Re: lunch", body="filler\r\n" * 300)
    ii.smtp_send(s, ["srch-c"], subject="plain", body="nothing here\r\n")
    ii.wait_in_maildir(s, s.maildir(DEMO), ["srch-a", "srch-b", "srch-c"])


@phtest.case
def search_keys(s):
    deliver_search_set(s)
    c = ii.Raw(s)
    c.command("SELECT INBOX")
    def uids(text, ok=True):
        un, t = c.command("UID SEARCH " + text if isinstance(text, str) else b"UID SEARCH " + text, ok=ok)
        if not ok:
            return t
        lines = [x for x in un if x.startswith(b"* SEARCH")]
        assert len(lines) == 1, un
        return set(int(x) for x in lines[0].split()[2:] if x.isdigit())
    a = uids('HEADER Message-ID "<srch-a@client.test>"')
    b = uids('HEADER Message-ID "<srch-b@client.test>"')
    cc = uids('HEADER Message-ID "<srch-c@client.test>"')
    assert len(a) == len(b) == len(cc) == 1, (a, b, cc)
    mine = a | b | cc
    assert uids(b"CHARSET UTF-8 SUBJECT {4+}\r\ngr\xc3\xbc") & mine == a
    assert uids(b"CHARSET UTF-8 SUBJECT {5+}\r\nK\xc3\x96LN") & mine == a   # case-insensitive beyond ASCII
    assert uids(b"CHARSET UTF-8 BODY {8+}\r\nsch\xc3\xb6ner") & mine == a
    assert uids('SUBJECT lunch') & mine == b
    assert uids('FROM sender@example.org') & mine == mine
    assert uids('TO "%s"' % DEMO) & mine == mine
    assert uids('TEXT filler') & mine == b
    assert uids('BODY "nothing here"') & mine == cc
    assert uids('LARGER 2000') & mine == b
    assert uids('SMALLER 2000') & mine == a | cc
    assert uids('SENTON 27-Nov-2026') & mine == mine
    assert uids('SENTBEFORE 27-Nov-2026') & mine == set()
    assert uids('NOT SUBJECT lunch') & mine == a | cc
    assert uids('OR SUBJECT lunch SUBJECT plain') & mine == b | cc
    assert uids('HEADER X-Nonexistent ""') & mine == set()
    assert uids('UNKEYWORD Foo') & mine == mine
    assert uids('YOUNGER 3600') & mine == mine
    assert uids('OLDER 3600') & mine == set()
    assert uids('SINCE 1-Jan-2020 UNDELETED') & mine == mine
    t = uids('CHARSET X-NO-SUCH-CHARSET SUBJECT x', ok=False)
    assert b" NO [BADCHARSET" in t, t
    t = uids('FROB x', ok=False)
    assert b" BAD " in t, t
    # sequence numbers, and "*"
    un, _ = c.command("SEARCH ALL")
    n = len(un[0].split()) - 2
    un, _ = c.command("SEARCH *")
    assert un == [b"* SEARCH %d" % n], un
    c.close()


@phtest.case
def esearch_and_searchres(s):
    c = ii.Raw(s)
    fresh(c, b"Esearch", [SIMPLE, MULTI, SIMPLE, ODD, SIMPLE])
    un, _ = c.command('SEARCH RETURN (MIN MAX COUNT ALL) SUBJECT hello')
    assert un == [b'* ESEARCH (TAG "r%d") MIN 1 MAX 5 COUNT 3 ALL 1,3,5' % c.n], un
    un, _ = c.command('UID SEARCH RETURN (COUNT) SUBJECT hello')
    assert re.match(rb'\* ESEARCH \(TAG "r\d+"\) UID COUNT 3$', un[0]), un
    un, _ = c.command('SEARCH RETURN () SUBJECT nothing-like-this')
    assert un == [b'* ESEARCH (TAG "r%d")' % c.n], un
    un, _ = c.command('SEARCH RETURN (MIN) ALL')
    assert un == [b'* ESEARCH (TAG "r%d") MIN 1' % c.n], un
    # SAVE alone answers nothing (RFC 5182 §2.4); "$" then names the result
    un, _ = c.command('SEARCH RETURN (SAVE) SUBJECT multi')
    assert not [x for x in un if b"ESEARCH" in x], un
    un, _ = c.command('FETCH $ (BODY.PEEK[HEADER.FIELDS (Subject)])')
    assert len(un) == 1 and un[0].startswith(b"* 2 FETCH") and b"multi" in un[0], un
    un, _ = c.command('SEARCH $')
    assert un == [b"* SEARCH 2"], un
    un, _ = c.command('SEARCH RETURN (SAVE MIN MAX) SUBJECT hello')
    assert un == [b'* ESEARCH (TAG "r%d") MIN 1 MAX 5' % c.n], un
    un, _ = c.command('SEARCH $')
    assert un == [b"* SEARCH 1 5"], un   # MIN and MAX only are saved
    un, _ = c.command('UID STORE $ +FLAGS (\\Flagged)')
    assert len(un) == 2, un
    # IMAP4rev2: ESEARCH always (RFC 9051 §6.4.4); ENABLE is for the authenticated state (RFC 5161)
    c.command("UNSELECT")
    c.command("ENABLE IMAP4rev2")
    c.command("SELECT Esearch")
    un, _ = c.command('SEARCH FLAGGED')
    assert un == [b'* ESEARCH (TAG "r%d") ALL 1,5' % c.n], un
    un, _ = c.command('SEARCH DRAFT')
    assert un == [b'* ESEARCH (TAG "r%d")' % c.n], un
    c.close()


def thread_set():
    """A generated thread set with its expected RFC 5256 answers."""
    def m(n, mid, subject, refs=None, date=None):
        d = date or "Mon, %d Jan 2001 10:00:00 +0000" % n
        h = "From: u%d@example.test\r\nTo: t%d@example.test\r\nMessage-ID: %s\r\nSubject: %s\r\nDate: %s\r\n" % (n, 10 - n, mid, subject, d)
        if refs:
            h += "References: %s\r\n" % refs
        return (h + "\r\nbody %d\r\n" % n).encode()
    return [
        m(1, "<a@x>", "topic"),
        m(2, "<b@x>", "Re: topic", "<a@x>"),
        m(3, "<c@x>", "Re: topic", "<a@x> <b@x>"),
        m(4, "<d@x>", "Re: topic", "<a@x>"),
        m(5, "<e@x>", "other"),
        m(6, "<f@x>", "Re: lost", "<missing@x>"),
        m(7, "<g@x>", "Re: lost", "<missing@x>"),
        m(8, "<h@x>", "topic"),
        m(9, "<i@x>", "[Fwd: other]"),
    ]


@phtest.case
def sort_and_thread(s):
    c = ii.Raw(s)
    fresh(c, b"Threads", thread_set())
    un, _ = c.command("THREAD REFERENCES UTF-8 ALL")
    assert un == [b"* THREAD ((1 (2 3)(4))(8))(5 9)((6)(7))"], un
    un, _ = c.command("THREAD ORDEREDSUBJECT UTF-8 ALL")
    assert un == [b"* THREAD (1 (2)(3)(4)(8))(5 9)(6 7)"], un
    un, _ = c.command("THREAD REFERENCES US-ASCII SUBJECT lost")
    assert un == [b"* THREAD ((6)(7))"], un
    un, _ = c.command("THREAD REFERENCES UTF-8 SUBJECT nothing-matches")
    assert un == [b"* THREAD"], un
    un, _ = c.command("UID THREAD REFERENCES UTF-8 ALL")
    assert un and un[0].startswith(b"* THREAD (("), un
    un, _ = c.command("SORT (SUBJECT) UTF-8 ALL")
    # lost(6,7) other(5,9) topic(1,2,3,4,8): base subjects, ties by sequence
    assert un == [b"* SORT 6 7 5 9 1 2 3 4 8"], un
    un, _ = c.command("SORT (REVERSE DATE) UTF-8 ALL")
    assert un == [b"* SORT 9 8 7 6 5 4 3 2 1"], un
    un, _ = c.command("SORT (FROM) UTF-8 ALL")
    assert un == [b"* SORT 1 2 3 4 5 6 7 8 9"], un
    un, _ = c.command("SORT (TO) UTF-8 ALL")
    assert un == [b"* SORT 9 8 7 6 5 4 3 2 1"], un
    un, _ = c.command("SORT (ARRIVAL) UTF-8 SUBJECT topic")
    assert un == [b"* SORT 1 2 3 4 8"], un
    un, _ = c.command("UID SORT (SIZE) UTF-8 1:2")
    assert un and un[0].startswith(b"* SORT "), un
    _, t = c.command("SORT (FROB) UTF-8 ALL", ok=False)
    assert b" BAD " in t, t
    _, t = c.command("THREAD NOSUCH UTF-8 ALL", ok=False)
    assert b" BAD " in t, t
    _, t = c.command("SORT (DATE) X-NO-SUCH ALL", ok=False)
    assert b" NO [BADCHARSET" in t, t
    # imaplib's sort and thread
    m = ii.session(s)
    m.select("Threads")
    typ, data = m.sort("(DATE)", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"1 2 3 4 5 6 7 8 9"], data
    typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"((1 (2 3)(4))(8))(5 9)((6)(7))"], data
    m.logout()
    c.close()


@phtest.case
def condstore(s):
    c = ii.Raw(s)
    c.command(b"DELETE Cond", ok=False)
    c.command(b"CREATE Cond")
    for _ in range(4):
        append(c, b"Cond", SIMPLE)
    un, t = c.command("SELECT Cond (CONDSTORE)")
    hm = [int(x) for x in re.findall(rb"\[HIGHESTMODSEQ (\d+)\]", b"".join(un))]
    assert hm, un
    base = hm[0]
    un, _ = c.command("STORE 2 +FLAGS (\\Flagged)")
    m = re.search(rb"MODSEQ \((\d+)\)", un[0])
    assert m and int(m.group(1)) > base and b"UID " in un[0], un
    changed = int(m.group(1))
    un, _ = c.command("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % base)
    assert len(un) == 1 and un[0].startswith(b"* 2 FETCH") and b"MODSEQ (%d)" % changed in un[0], un
    un, _ = c.command("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % changed)
    assert not un, un
    un, _ = c.command("FETCH 3 (MODSEQ)")
    assert re.search(rb"MODSEQ \(\d+\)", un[0]), un
    # UNCHANGEDSINCE: message 2 changed after base, so it is left alone and reported
    un, t = c.command("STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % base)
    assert b"[MODIFIED 2]" in t and t.split()[1] == b"OK", t
    assert {int(x.split()[1]) for x in un if b" FETCH " in x} == {1, 3}, un
    un, t = c.command("UID STORE 1:* (UNCHANGEDSINCE 1) +FLAGS.SILENT (\\Answered)")
    assert b"[MODIFIED " in t, t
    un, t = c.command("STORE 4 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Flagged)" % (changed + 100))
    # .SILENT under CONDSTORE: FETCH with MODSEQ only (RFC 7162 §3.1.3)
    assert len(un) == 1 and b"MODSEQ (" in un[0] and b"FLAGS" not in un[0], un
    un, _ = c.command("SEARCH MODSEQ %d" % (changed + 1))
    assert un and re.match(rb"\* SEARCH( \d+)+ \(MODSEQ \d+\)$", un[0]), un
    un, _ = c.command("SEARCH MODSEQ 999999999")
    assert un == [b"* SEARCH"], un
    un, _ = c.command("SEARCH RETURN (MAX) MODSEQ 1")
    assert re.match(rb'\* ESEARCH \(TAG "r\d+"\) MAX 4 MODSEQ \d+$', un[0]), un
    c.close()


@phtest.case
def condstore_enabled_by_fetch(s):
    """A CHANGEDSINCE on a mailbox selected without CONDSTORE enables it
    and reports the HIGHESTMODSEQ (RFC 7162 §3.1)."""
    c = ii.Raw(s)
    fresh(c, b"Cond2", [SIMPLE, SIMPLE])
    un, _ = c.command("FETCH 1:* (UID) (CHANGEDSINCE 1)")
    assert any(b"[HIGHESTMODSEQ " in x for x in un), un
    assert all(b"MODSEQ (" in x for x in un if b" FETCH " in x), un
    un, _ = c.command("STORE 1 +FLAGS (\\Seen)")
    assert b"MODSEQ (" in un[0] and b"UID " in un[0], un
    c.close()


@phtest.case
def qresync_vanished(s):
    """UID FETCH (CHANGEDSINCE m VANISHED) reports the UIDs expunged
    since m (RFC 7162 §3.2.6); VANISHED needs UID FETCH and QRESYNC."""
    c = ii.Raw(s)
    fresh(c, b"Qres", [SIMPLE, SIMPLE, SIMPLE, SIMPLE])
    un, _ = c.command("UID FETCH 1:* (UID)")
    uids = [int(re.search(rb"UID (\d+)", x).group(1)) for x in un]
    _, t = c.command("UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)", ok=False)
    assert b" BAD " in t, t                    # QRESYNC not enabled
    c.command("UNSELECT")
    c.command("ENABLE QRESYNC")
    un, _ = c.command("SELECT Qres")
    base = int(re.search(rb"\[HIGHESTMODSEQ (\d+)\]", b" ".join(un)).group(1))
    d = ii.Raw(s)
    d.command("SELECT Qres")
    d.command("UID STORE %d +FLAGS.SILENT (\\Deleted)" % uids[1])
    d.command("UID EXPUNGE %d" % uids[1])
    d.command("UID STORE %d +FLAGS (\\Flagged)" % uids[2])
    d.close()
    _, t = c.command("FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % base, ok=False)
    assert b" BAD " in t, t                    # not with FETCH by sequence number
    un, _ = c.command("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % base)
    assert b"* VANISHED (EARLIER) %d" % uids[1] in un, un
    fl = [x for x in un if b" FETCH " in x]
    assert len(fl) == 1 and b"UID %d" % uids[2] in fl[0] and b"\\Flagged" in fl[0] and b"MODSEQ (" in fl[0], un
    # a range without expunges: no VANISHED line
    un, _ = c.command("UID FETCH %d (FLAGS) (CHANGEDSINCE %d VANISHED)" % (uids[0], base))
    assert not any(x.startswith(b"* VANISHED") for x in un), un
    c.close()


if __name__ == "__main__":
    phtest.main()
