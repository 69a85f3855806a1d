"""Watch one directory for files arriving in it, with Linux inotify(7)
through ctypes (the standard library has no binding).

A Maildir delivery makes a file appear in new/ either by rename(2) from
tmp/ (IN_MOVED_TO: posthaste's deliverd) or by link(2) then unlink of the
tmp/ name (IN_CREATE: Postfix's virtual(8)); both are watched.
"""

import ctypes
import os
import select
import struct
import time

IN_CLOEXEC = 0o2000000
IN_NONBLOCK = 0o4000
IN_CREATE = 0x00000100
IN_MOVED_TO = 0x00000080
IN_Q_OVERFLOW = 0x00004000
EVENT_HEADER = struct.Struct("iIII")   # wd, mask, cookie, len; then name[len]

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_libc.inotify_init1.argtypes = [ctypes.c_int]
_libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]


class Arrivals:
    """Names of files arriving in a directory, each with the
    time.monotonic_ns() at which this process read the event."""

    def __init__(self, directory):
        self.fd = _libc.inotify_init1(IN_CLOEXEC | IN_NONBLOCK)
        if self.fd < 0:
            e = ctypes.get_errno()
            raise OSError(e, "inotify_init1: " + os.strerror(e))
        wd = _libc.inotify_add_watch(self.fd, os.fsencode(directory), IN_CREATE | IN_MOVED_TO)
        if wd < 0:
            e = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(e, "inotify_add_watch %s: %s" % (directory, os.strerror(e)))

    def wait(self, timeout):
        """Block until at least one file arrives or timeout seconds pass.
        Returns [(name, t_ns), ...], empty on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                continue
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            now = time.monotonic_ns()
            names = self._parse(buf)
            if names:
                return [(n, now) for n in names]

    @staticmethod
    def _parse(buf):
        names = []
        off = 0
        while off + EVENT_HEADER.size <= len(buf):
            _wd, mask, _cookie, length = EVENT_HEADER.unpack_from(buf, off)
            off += EVENT_HEADER.size
            name = buf[off:off + length].rstrip(b"\0").decode(errors="replace")
            off += length
            if mask & IN_Q_OVERFLOW:
                raise RuntimeError("inotify queue overflowed")
            if mask & (IN_CREATE | IN_MOVED_TO) and name:
                names.append(name)
        return names

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
