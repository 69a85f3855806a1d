"""One message over one SMTP session, timed at the DATA reply."""

import smtplib
import time

SENDER = "bench@example.org"
RECIPIENT = "demo@example.test"


def message(token, size):
    """A plain RFC 5322 message of about size bytes of body (76-character
    lines), carrying token in its Subject so the delivered file can be
    recognised."""
    head = ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@bench.test>\r\n\r\n"
            % (SENDER, RECIPIENT, token, token.replace(" ", ".")))
    line = ("0123456789" * 8)[:76] + "\r\n"
    body = line * max(1, size // len(line))
    return head + body


def send_one(port, token, size, timeout=30, before_quit=None):
    """Send one message; returns time.monotonic_ns() taken as soon as the
    250 reply to the end of DATA has been read. before_quit(), if given,
    runs after that and before the QUIT exchange, so that what it waits
    for is not delayed by the session's end on either side."""
    c = smtplib.SMTP("127.0.0.1", port, local_hostname="client.bench.test", timeout=timeout)
    try:
        c.ehlo()
        code, _ = c.mail(SENDER)
        if code != 250:
            raise RuntimeError("MAIL refused: %d" % code)
        code, _ = c.rcpt(RECIPIENT)
        if code != 250:
            raise RuntimeError("RCPT refused: %d" % code)
        code, reply = c.data(message(token, size).encode())
        t = time.monotonic_ns()
        if code != 250:
            raise RuntimeError("DATA refused: %d %r" % (code, reply))
        if before_quit:
            before_quit()
        return t
    finally:
        try:
            c.quit()
        except (smtplib.SMTPException, OSError):
            c.close()
