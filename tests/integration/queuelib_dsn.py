"""Helpers of the notification tests (test_queue_dsn.py,
test_queue_delay.py): messages, the demo Maildir, multipart/report
parts, injection with RCPT and MAIL parameters."""

import email
import email.policy

from queuelib import Injector, ns, message

DEMO = "demo@example.test"
POSTMASTER = "pm@remote.test"


def body(subject, text="the body text\n"):
    return ("Received: from test\nFrom: <demo@example.test>\nSubject: %s\nMessage-ID: <%s@test>\n\n%s"
            % (subject, subject.replace(" ", "."), text)).encode()


def count(s):
    return len(s.messages(DEMO))


def next_message(s, before, timeout=30):
    assert s.wait_for(lambda: count(s) > before, timeout), "nothing new in %s" % DEMO
    return email.message_from_bytes(s.messages(DEMO)[before].read_bytes(), policy=email.policy.default)


def report(m):
    """The three parts of a multipart/report: text, status blocks, returned."""
    assert m.get_content_type() == "multipart/report", m.get_content_type()
    assert m.get_param("report-type") == "delivery-status", m["Content-Type"]
    parts = m.get_payload()
    assert parts[0].get_content_type() == "text/plain", parts[0].get_content_type()
    assert parts[1].get_content_type() == "message/delivery-status", parts[1].get_content_type()
    blocks = parts[1].get_payload()
    return parts, blocks[0], blocks[1:]


def inject_with_params(s, sender, rcpt_params, msg, mail_params=()):
    """rcpt_params: [(address, [N params])]: the N records right after their T."""
    env = ns(b"F" + sender.encode())
    for r, params in rcpt_params:
        env += ns(b"T" + r.encode())
        for p in params:
            env += ns(b"N" + p.encode())
    for p in mail_params:
        env += ns(b"M" + p.encode())
    env += ns(b"")
    c = Injector(s)
    try:
        c.send(env + message(msg))
        return c.answer()
    finally:
        c.close()


