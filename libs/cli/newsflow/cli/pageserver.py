"""A small threaded HTTP server on a loopback address: the demo's pages, and every test's web server.

It serves a folder of pages, or answers with a handler class of the caller's (the tests' misbehaving
and fault-injecting servers). A client that hangs up (a fetch timeout, the size cap) is not an error.
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class FolderHandler(SimpleHTTPRequestHandler):
    """The folder's files; any .json path answers an empty JSON feed (the demo's non-HTML page)."""

    def do_GET(self) -> None:  # http.server's naming
        if self.path.endswith(".json"):
            body = b'{"items": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a fetcher that hangs up (timeout, size cap) is not the server's error


class PageServer:
    def __init__(
        self,
        root: Path | None = None,
        port: int = 0,
        fallback_to_any_port: bool = True,
        *,
        handler: type[BaseHTTPRequestHandler] | None = None,
        host: str = "127.0.0.1",
    ):
        if (root is None) == (handler is None):
            raise ValueError("a PageServer serves either a folder (root) or a handler")
        factory: Any = handler or partial(FolderHandler, directory=str(root))
        try:
            self.httpd = _Server((host, port), factory)
        except OSError:
            if not fallback_to_any_port:
                raise
            self.httpd = _Server((host, 0), factory)
        self.host = host
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> PageServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
