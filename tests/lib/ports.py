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
"""

import random
import socket

LOW = 10000


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
