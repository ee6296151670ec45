"""TLS handshakes: in memory (the world's TLS slot) against stdlib sockets over loopback.

Run by hand (this is not a test)::

    python benchmarks/tls_handshakes.py [--count 300] [--repeat 3] [--version TLSv1.3] [--cpu]

Every row runs ``--count`` full handshakes with the same virtual CA and
server certificate (ECDSA P-256) and prints handshakes per second, measured
in the same run:

* in memory, bare: a :class:`~simulator.security.tls_session.TlsSession`
  (client context with the CA and an in-memory key log, server endpoint)
  and its flights exchanged until both ends are established, as the
  connection does;
* in memory, with the record view: the same, each flight also decoded and
  decrypted into ``TlsRecord`` events (what the trace carries), so the
  difference is what the parser and the decryption add per handshake;
* loopback: ``ssl.SSLContext.wrap_socket`` on 127.0.0.1 (a port the kernel
  picks), the server in a thread of this process, one TCP connection per
  handshake.

``--repeat K`` keeps the best of K runs; ``--cpu`` times with the process's
CPU time (both sides run in this process), which keeps other programs on a
shared machine out of the figures. The server binds 127.0.0.1 only and every
loop is bounded by ``--count``.
"""

from __future__ import annotations

import argparse
import socket
import ssl
import threading
import time
from collections.abc import Callable

from simulator.net.clock import DEFAULT_START
from simulator.security.pki import VirtualCA
from simulator.security.tls import client_context, server_context
from simulator.security.tls_session import TlsSession

HOST = "mx.example.net"
_clock = time.perf_counter


def in_memory(ca: VirtualCA, version: str, *, view: bool) -> None:
    session = TlsSession(ca, HOST, version=version)
    client, server = session.client, session.server
    client.start()
    server.start()
    for _ in range(16):
        out = client.take_wire()
        if out:
            server.receive_wire(out)
            if view:
                session.observe("c1", "c2s", out)
        back = server.take_wire()
        if back:
            client.receive_wire(back)
            if view:
                session.observe("c1", "s2c", back)
        if client.established and server.established and not out and not back:
            return
    raise RuntimeError("handshake did not finish")


class LoopbackServer:
    """A TLS server on 127.0.0.1 that completes one handshake per connection, for ``count`` connections."""

    def __init__(self, context: ssl.SSLContext, count: int) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._context, self._count = context, count
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with self._listener:
            for _ in range(self._count):
                raw, _ = self._listener.accept()
                with self._context.wrap_socket(raw, server_side=True) as tls:
                    tls.recv(1)  # the client's close_notify (or EOF) ends it

    def join(self) -> None:
        self._thread.join(timeout=30)


def loopback(ca: VirtualCA, version: str, count: int) -> float:
    server = LoopbackServer(server_context(ca.issue(HOST)), count)
    start = _clock()
    for _ in range(count):
        ctx = client_context(ca, version=version)  # one context per connection, as the world makes them
        with socket.create_connection(("127.0.0.1", server.port)) as raw, \
                ctx.wrap_socket(raw, server_hostname=HOST) as tls:
            assert tls.version() == version
    elapsed = _clock() - start
    server.join()
    return elapsed


def timed(run: Callable[[], None], count: int) -> float:
    start = _clock()
    for _ in range(count):
        run()
    return _clock() - start


def main() -> None:
    global _clock
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--version", choices=("TLSv1.3", "TLSv1.2"), default="TLSv1.3")
    parser.add_argument("--cpu", action="store_true", help="time with process CPU time")
    args = parser.parse_args()
    if args.cpu:
        _clock = time.process_time
    ca = VirtualCA(seed=1, start=DEFAULT_START)
    in_memory(ca, args.version, view=True)  # warm the certificate and server-context caches
    rows = {
        "in memory, bare": lambda: timed(lambda: in_memory(ca, args.version, view=False), args.count),
        "in memory, with the record view": lambda: timed(lambda: in_memory(ca, args.version, view=True),
                                                         args.count),
        "stdlib sockets over loopback": lambda: loopback(ca, args.version, args.count),
    }
    best = {name: min(run() for _ in range(args.repeat)) for name, run in rows.items()}
    print(f"{args.count} {args.version} handshakes, best of {args.repeat} ({'CPU' if args.cpu else 'wall'} time)")
    print("| path | handshakes/s | ms/handshake |\n|---|---:|---:|")
    for name, seconds in best.items():
        print(f"| {name} | {args.count / seconds:,.0f} | {1000 * seconds / args.count:.2f} |")
    bare, viewed = best["in memory, bare"], best["in memory, with the record view"]
    print(f"record view: +{1000 * (viewed - bare) / args.count:.2f} ms per handshake; "
          f"in memory / loopback: {best['stdlib sockets over loopback'] / bare:.1f}x")


if __name__ == "__main__":
    main()
