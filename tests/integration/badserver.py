"""An HTTP server on 127.0.0.1 that misbehaves on purpose, one way per path."""

from __future__ import annotations

import functools
import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler

from newsflow.cli.pageserver import PageServer
from tests.conftest import PAGES

DW = (PAGES / "dw-mali-russia.html").read_bytes()
# The same story as another site would carry it: no canonical link to DW, a line of its own added.
SYNDICATED = (
    DW.replace(
        b'<link rel="canonical" href="https://www.dw.com/en/russian-military-advisers-arrive-in-mali/a-60356191">',
        b"",
    )
    .replace(
        b"https://www.dw.com/en/russian-military-advisers-arrive-in-mali/a-60356191",
        b"https://partner.example/mali",
    )
    .replace(b"Timbuktu", b"Timbuktu (Tombouctou)", 1)
)
assert b'rel="canonical"' not in SYNDICATED and b"a-60356191" not in SYNDICATED


ROBOTS = b"User-agent: *\nDisallow: /private/\n\nUser-agent: newsflow-slow\nCrawl-delay: 1\n"


@functools.cache
def bomb() -> bytes:
    return gzip.compress(b"<html><body>" + b" " * 50_000_000, compresslevel=9)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # What arrived, for the politeness tests: (path, monotonic time), and requests in flight.
    hits: list[tuple[str, float]] = []
    in_flight = 0
    max_in_flight = 0
    lock = threading.Lock()

    def log_message(self, format, *args):
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", **headers):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        Handler.hits.append((self.path, time.monotonic()))
        if path == "/robots.txt":
            return self._send(200, ROBOTS, "text/plain")
        if path == "/pause":
            with Handler.lock:
                Handler.in_flight += 1
                Handler.max_in_flight = max(Handler.max_in_flight, Handler.in_flight)
            time.sleep(0.3)
            with Handler.lock:
                Handler.in_flight -= 1
            return self._send(200, DW)
        if path in ("/ok", "/amp") or path.startswith("/private/"):
            return self._send(200, DW)
        if path == "/syndicated":
            return self._send(200, SYNDICATED)
        if path.startswith("/retry-after/"):
            return self._send(429, b"slow down", Retry_After=path.rsplit("/", 1)[1])
        if path == "/gzip":
            return self._send(200, gzip.compress(DW), Content_Encoding="gzip")
        if path == "/gzip-bomb":
            # 50 KB on the wire, 50 MB once inflated: the size cap counts what the page inflates to.
            return self._send(200, bomb(), Content_Encoding="gzip")
        if path == "/to-loopback":
            port = self.server.server_address[1]
            return self._send(302, b"", Location=f"http://127.0.0.1:{port}/ok")
        if path in ("/404", "/410", "/503", "/500"):
            return self._send(int(path[1:]), b"<html><body>error</body></html>")
        if path == "/429":
            return self._send(429, b"slow down", Retry_After="7")
        if path == "/json":
            return self._send(200, b'{"a": 1}', "application/json")
        if path == "/pdf":
            return self._send(200, b"%PDF-1.4 ...", "application/pdf")
        if path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(50_000_000))
            self.end_headers()
            return
        if path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_000 + b"</p>"
            try:
                for _ in range(10_000):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        if path == "/slow":
            time.sleep(3)
            return self._send(200, DW)
        if path == "/drip":
            # Headers at once, then a byte every 0.5 s: each read is quick, the whole is endless.
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100_000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.5)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        if path == "/loop-a":
            return self._send(302, b"", Location="/loop-b")
        if path == "/loop-b":
            return self._send(302, b"", Location="/loop-a")
        if path.startswith("/hop/"):
            n = int(path.rsplit("/", 1)[1])
            return self._send(302, b"", Location=f"/hop/{n - 1}") if n > 0 else self._send(200, DW)
        if path == "/wrong-charset":
            body = DW.decode().replace("Timbuktu", "Tombouctou – Tiéré").encode("utf-8")
            return self._send(200, body, "text/html; charset=iso-8859-1")
        return self._send(404, b"not found")


def BadServer(host: str = "127.0.0.1") -> PageServer:
    """The misbehaving server, on a loopback address of the caller's (a context manager)."""
    return PageServer(handler=Handler, host=host)
