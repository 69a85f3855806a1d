"""Helpers shared by the submitd tests (tests/integration/test_submitd*.py):
sessions on the submission ports (tests/lib/smtpraw.py's client), logins,
and waits on logs and Maildirs."""

import base64
import re

from smtpraw import Raw, message_with, queued_as, tls_context  # noqa: F401 (for the tests)

DEMO = "demo@example.test"


def b64(text):
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def plain(s, user=DEMO, password=None):
    return b64("\0%s\0%s" % (user, s.password if password is None else password))


def greeted(s, port="submission"):
    c = Raw(s, port, implicit=(port == "submissions"))
    g = c.last()
    assert re.fullmatch(r"220 \S+ ESMTP posthaste", g), g
    return c


def logged_in(s, port="submission", user=DEMO, password=None, tls=True):
    """A session in TLS (or in clear, tls=False, where the loopback
    exemption is on), authenticated."""
    c = greeted(s, port)
    if port == "submission" and tls:
        c.ehlo()
        c.starttls()
    c.ehlo()
    c.expect("AUTH PLAIN " + plain(s, user, password), "235 2.7.0")
    return c


def log_has(s, pattern, service="submission", timeout=5):
    return s.wait_for(lambda: re.search(pattern, s.log(service)), timeout)
