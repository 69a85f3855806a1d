"""dnsserver: a small authoritative DNS server on loopback for the tests.

It answers from records held in memory, over UDP and TCP on one port of
127.0.0.1 (python3-dnslib for the wire format), so programs built on
libunbound can be pointed at it with PH_DNS_RESOLVER=127.0.0.1@PORT.

    import dnsserver

    dns = dnsserver.DNSServer({
        "example.test": {"MX": ["10 mx1.example.test.", "20 mx2.example.test."]},
        "mx1.example.test": {"A": ["127.0.0.2"], "AAAA": ["::1"]},
        "alias.test": {"CNAME": ["example.test."]},
        "nullmx.test": {"MX": ["0 ."]},
    }).start()
    env = {"PH_DNS_RESOLVER": dns.resolver}      # "127.0.0.1@PORT"
    dns.add("late.test", "A", "127.0.0.9")       # records can change live
    dns.servfail("broken.test")                  # answer SERVFAIL for that name
    dns.hang("slow.test")                        # never answer that name
    dns.hang("half.test", except_types={"MX"})   # answer MX, drop every other type
    dns.add("multi.test", "TXT", ["v=spf1 ", "-all"])   # one TXT of several strings
    dns.add("old.test", "SPF", "v=spf1 -all")    # type 99 (RFC 4408's SPF RR)
    dns.load_zone("$ORIGIN z.test.\\n@ 60 IN MX 5 mx.z.test.\\n")
    dns.queries                                  # [(qname, qtype), ...] as received
    dns.stop()

Constructor: DNSServer(records=None, ip="127.0.0.1", port=0, ad=False)
  records   {owner name: {type: [rdata text, ...]}}; names absolute or not
            (a trailing dot is optional, case is ignored); rdata in zone
            file syntax for that type ("10 mx.example.test.", "127.0.0.2",
            "v=spf1 -all" for TXT, "3 1 1 ab12..." for TLSA). A TXT rdata
            may also be bytes (one character-string, as it is, no zone
            quoting) or a list of str/bytes (one record of several
            character-strings); SPF (type 99) takes the same, and a str
            is then one character-string.
  port      0 picks a free port; .port tells which.
  ad        set the AD (authentic data) bit in every answer, as a
            validating resolver would for signed zones (for DANE tests:
            the client decides whether to trust it).

Methods:
  start() -> self        serve in a daemon thread (UDP and TCP)
  stop()                 close the sockets and join the threads
  add(name, type, rdata, ttl=60)
  remove(name, type=None)          drop one type, or the whole name
  load_zone(text)        add every record of a zone file text (dnslib's
                         parser: $ORIGIN, $TTL, relative names)
  servfail(name)         every query for name gets SERVFAIL
  hang(name, except_types=())
                         every query for name is dropped (client times out),
                         except those of the listed types, answered as usual
  heal(name)             undo servfail/hang
  resolver               "127.0.0.1@PORT", libunbound's forwarder syntax
  queries                list of (name, type) received, lower case, no dot

Answers, for a query (name, type):
  - name in servfail/hang (and the type not excepted): SERVFAIL / no answer;
  - name has records of that type: them (AA set);
  - name has a CNAME (and type is not CNAME): the CNAME, then the chain
    followed inside the server's own data (at most 8 steps);
  - name has other records, or is an empty non-terminal (some owner name
    ends with ".name"): NOERROR with no answer (NODATA) and an SOA;
  - otherwise NXDOMAIN with an SOA.
Every answer is authoritative; no recursion, no DNSSEC records.
"""

import socket
import struct
import threading

import dnslib

_SOA = dnslib.SOA("ns.invalid.", "hostmaster.invalid.", (1, 3600, 600, 86400, 60))


def _norm(name):
    if isinstance(name, dnslib.DNSLabel):
        # the labels as they are: str() of a label escapes bytes such as
        # spaces (\032), which names added as text do not have
        name = ".".join(l.decode("latin-1") for l in name.label)
    name = str(name).lower()
    return name[:-1] if name.endswith(".") else name


def _owner(name):
    """A DNSLabel for an owner name held as text, any byte allowed."""
    return dnslib.DNSLabel(tuple(l.encode("latin-1") for l in name.split(".") if l))


class DNSServer:
    def __init__(self, records=None, ip="127.0.0.1", port=0, ad=False):
        self.ip = ip
        self.ad = ad
        self._lock = threading.Lock()
        self._records = {}       # name -> {type: [(ttl, rdata text)]}
        self._servfail = set()
        self._hang = {}          # name -> set of types still answered
        self.queries = []
        self._stop = threading.Event()
        self._threads = []
        self._bind(ip, port)
        for name, types in (records or {}).items():
            for rtype, values in types.items():
                for v in values:
                    self.add(name, rtype, v)

    def _bind(self, ip, port):
        """UDP and TCP on one port. A port the kernel picked free for UDP
        may be taken for TCP (another test's listener or connection):
        then another port is tried, a bounded number of times."""
        for attempt in range(50):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((ip, port))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((ip, udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                if port or attempt == 49:
                    raise
                continue
            tcp.listen(16)
            self._udp, self._tcp = udp, tcp
            self.port = udp.getsockname()[1]
            return

    @property
    def resolver(self):
        return "%s@%d" % (self.ip, self.port)

    # ---- data

    def add(self, name, rtype, rdata, ttl=60):
        rtype = rtype.upper()
        getattr(dnslib.QTYPE, rtype)     # unknown type: AttributeError now, not at query time
        if rtype in ("TXT", "SPF") and not isinstance(rdata, str) or rtype == "SPF":
            # character-strings as given: build the rdata now, so that a
            # string over 255 bytes fails here and not at query time
            rdata = dnslib.TXT(list(rdata) if isinstance(rdata, (list, tuple)) else rdata)
        with self._lock:
            self._records.setdefault(_norm(name), {}).setdefault(rtype, []).append((ttl, rdata))

    def remove(self, name, rtype=None):
        with self._lock:
            n = _norm(name)
            if rtype is None:
                self._records.pop(n, None)
            elif n in self._records:
                self._records[n].pop(rtype.upper(), None)

    def load_zone(self, text):
        for rr in dnslib.RR.fromZone(text):
            rtype = dnslib.QTYPE[rr.rtype]
            self.add(str(rr.rname), rtype, rr.rdata.toZone(), rr.ttl)

    def servfail(self, name):
        with self._lock:
            self._servfail.add(_norm(name))

    def hang(self, name, except_types=()):
        with self._lock:
            self._hang[_norm(name)] = {t.upper() for t in except_types}

    def heal(self, name):
        with self._lock:
            self._servfail.discard(_norm(name))
            self._hang.pop(_norm(name), None)

    # ---- answers

    def _rr(self, name, rtype, ttl, text):
        if isinstance(text, dnslib.TXT):
            return dnslib.RR(_owner(name), getattr(dnslib.QTYPE, rtype), ttl=ttl, rdata=text)
        zone = "owner.invalid. %d IN %s %s" % (ttl, rtype, text)
        rr = dnslib.RR.fromZone(zone)[0]
        rr.rname = _owner(name)
        return rr

    def answer(self, request):
        """The reply to a parsed dnslib request, or None to stay silent."""
        q = request.q
        qname = _norm(q.qname)
        qtype = dnslib.QTYPE.get(q.qtype, str(q.qtype))
        reply = request.reply(ra=0, aa=1)
        reply.header.ad = 1 if self.ad else 0
        with self._lock:
            self.queries.append((qname, qtype))
            if qname in self._hang and qtype not in self._hang[qname]:
                return None
            if qname in self._servfail:
                reply.header.aa = 0
                reply.header.ad = 0
                reply.header.rcode = dnslib.RCODE.SERVFAIL
                return reply
            name = qname
            for _ in range(8):
                types = self._records.get(name)
                if types is None:
                    break
                if qtype in types:
                    for ttl, text in types[qtype]:
                        reply.add_answer(self._rr(name, qtype, ttl, text))
                    return reply
                if "CNAME" in types and qtype != "CNAME":
                    ttl, text = types["CNAME"][0]
                    reply.add_answer(self._rr(name, "CNAME", ttl, text))
                    name = _norm(text)
                    continue
                break
            exists = name in self._records or any(n.endswith("." + name) for n in self._records)
        if not exists:
            reply.header.rcode = dnslib.RCODE.NXDOMAIN
        apex = name.split(".", 1)[-1] if "." in name else name
        reply.add_auth(dnslib.RR(_owner(apex), dnslib.QTYPE.SOA, ttl=60, rdata=_SOA))
        return reply

    def _handle(self, data):
        try:
            request = dnslib.DNSRecord.parse(data)
        except Exception:  # noqa: BLE001 — garbage in: no answer
            return None
        reply = self.answer(request)
        return reply.pack() if reply is not None else None

    # ---- serving

    def _serve_udp(self):
        self._udp.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data, peer = self._udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            out = self._handle(data)
            if out is not None:
                try:
                    self._udp.sendto(out, peer)
                except OSError:
                    pass

    def _serve_tcp_conn(self, conn):
        conn.settimeout(5)
        try:
            while not self._stop.is_set():
                hdr = conn.recv(2)
                if len(hdr) < 2:
                    return
                (n,) = struct.unpack(">H", hdr)
                data = b""
                while len(data) < n:
                    chunk = conn.recv(n - len(data))
                    if not chunk:
                        return
                    data += chunk
                out = self._handle(data)
                if out is not None:
                    conn.sendall(struct.pack(">H", len(out)) + out)
        except OSError:
            pass
        finally:
            conn.close()

    def _serve_tcp(self):
        self._tcp.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve_tcp_conn, args=(conn,), daemon=True)
            t.start()

    def start(self):
        for fn in (self._serve_udp, self._serve_tcp):
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(2)
        self._udp.close()
        self._tcp.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
