"""A small threaded HTTP server on 127.0.0.1 serving sample sites (and extra canned responses)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from cityradar.demo.sites import Site, content_type, render_article, render_feed

ROBOTS_TXT = b"User-agent: *\nDisallow: /private/\n"


@dataclass(frozen=True)
class Canned:
    """A fixed response for a path (a broken feed, an HTML error page, a redirect...)."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow or hanging server)


class SiteServer:
    """Serves sites and canned responses on 127.0.0.1; use as a context manager.

    ``requests`` records every (method, path, status) served, so tests can check what a crawl
    asked for — and what it did not (robots.txt).
    """

    def __init__(self, sites: list[Site], canned: dict[str, Canned] | None = None, port: int = 0):
        self.sites = sites
        self.canned = dict(canned or {})
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SiteServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def paths_requested(self) -> list[str]:
        """Targets (path and query) of every request served so far."""
        with self._lock:
            return [path for _, path, _ in self.requests]

    def respond(self, target: str) -> Canned:
        """The response for a request target (path and query), as the handler sends it."""
        path = urlsplit(target).path
        for key in (target, path):
            if key in self.canned:
                return self.canned[key]
        if path == "/robots.txt":
            return Canned(200, ROBOTS_TXT, "text/plain")
        base = self.base_url
        for site in self.sites:
            if path == f"/{site.slug}/{site.feed_path}":
                return Canned(200, render_feed(site, base), content_type(site, "feed"))
            for article in site.articles:
                page = f"/{site.slug}/{site.article_path.format(id=article.id)}"
                # like real servers, ignore query parameters the page does not use (utm_*)
                if not article.link and page in (target, path):
                    return Canned(
                        200, render_article(site, base, article), content_type(site, "page")
                    )
        return Canned(404, b"<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>")

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                reply = server.respond(self.path)
                server._record("GET", self.path, reply.status)
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the request list is the log

        return Handler
