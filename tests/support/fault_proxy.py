"""A fault injector for tests: a small HTTP proxy on a free loopback port in front of a
real server (slurmrestd), written for these tests. ``mode`` says what it does with each
request: ``"pass"`` forwards it and returns the real answer; an HTTP status (``500``,
``502``) answers that with a JSON error body and never forwards; ``"hang"`` reads the
request and never answers (until the proxy closes), as slurmrestd does while slurmctld is
down; ``"empty"`` answers ``200 {"jobs": []}`` (a slurmrestd that knows no jobs). With no
upstream ``"pass"`` hangs too: a backend that accepts and says nothing.
``seen`` counts requests by (mode, method, path)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Mode = str | int


class FaultProxy:
    def __init__(self, upstream: str | None) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self.mode: Mode = "pass" if upstream else "hang"
        self.only: set[str] | None = None  # the methods ``mode`` applies to; others pass
        self.seen: Counter[tuple[str, str, str]] = Counter()
        self.released = threading.Event()  # set at close: hanging requests end
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def hanging(self) -> int:
        """How many requests were held without an answer."""
        return sum(n for (mode, _, _), n in self.seen.items() if mode == "hang")


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            mode = proxy.mode if proxy.only is None or self.command in proxy.only else "pass"
            held = mode == "hang" or (mode == "pass" and proxy.upstream is None)
            proxy.seen[("hang" if held else str(mode), self.command, self.path.split("?")[0])] += 1
            if mode == "empty":
                self._answer(200, b'{"jobs": []}')
                return
            if isinstance(mode, int):
                said = f"injected by the test's fault proxy: HTTP {mode}"
                self._answer(mode, json.dumps({"errors": [{"error": said}]}).encode())
                return
            if mode == "hang" or proxy.upstream is None:
                proxy.released.wait()
                return
            headers = {k: v for k, v in self.headers.items() if k.lower().startswith("x-slurm")
                       or k.lower() == "content-type"}  # fmt: skip
            req = urllib.request.Request(proxy.upstream + self.path, body, headers,
                                         method=self.command)  # fmt: skip
            try:
                with opener.open(req, timeout=30) as r:
                    self._answer(r.status, r.read())
            except urllib.error.HTTPError as e:
                self._answer(e.code, e.read())

        def _answer(self, status: int, raw: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_DELETE = _any

    return Handler


@contextmanager
def fault_proxy(upstream: str | None = None) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    proxy._thread.start()
    try:
        yield proxy
    finally:
        proxy.released.set()
        proxy.server.shutdown()
        proxy.server.server_close()
