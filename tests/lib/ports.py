"""ports: a free TCP port for a test server to listen on.

    import ports
    p = ports.free_port()                       # 127.0.0.1
    p = ports.free_port(socket.AF_INET6, "::1")

Ports are picked at random below the kernel's ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range): a port the kernel hands out
for binding to 0 is also one it hands out as the source port of any
outgoing connection, so a server started a moment later could find its
port taken by another test's client (EADDRINUSE, and a service that
never comes up). Below that range only other listeners compete, and a
random pick makes that unlikely; the port is checked bindable here.

Between the pick and the moment a service binds it, another suite
starting at the same time could pick the same port: each pick is also
claimed with a lock on /tmp/posthaste-test-ports/<port> that this
process holds until it exits (the kernel drops a dead process's locks,
so there is nothing stale to clean up), and a port another live test
process has claimed is not picked.
"""

import fcntl
import os
import random
import socket

LOW = 10000
CLAIMS = "/tmp/posthaste-test-ports"
_held = {}   # port -> the open, locked claim file


def _claim(p):
    """True if p is now this process's to use."""
    if p in _held:
        return False
    try:
        os.makedirs(CLAIMS, exist_ok=True)
        os.chmod(CLAIMS, 0o1777)   # test programs under other uids claim too
    except PermissionError:
        pass
    try:
        fd = os.open("%s/%d" % (CLAIMS, p), os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return True   # no claim possible: the bind check alone decides
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _held[p] = fd
    return True


def _ephemeral_start():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    top = _ephemeral_start()
    if top - LOW >= 1000:
        for _ in range(200):
            p = random.randrange(LOW, top)
            if not _claim(p):
                continue
            with socket.socket(family, socket.SOCK_STREAM) as s:
                try:
                    s.bind((host, p))
                except OSError:
                    continue
                return p
    # no room below the range: the kernel's pick
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
