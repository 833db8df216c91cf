"""A small threaded HTTP server on 127.0.0.1 serving sample sites (and extra canned responses).

Like real servers it sends ETag and Last-Modified and answers conditional requests with 304.
Routes can be dynamic (a function of the request) to play site quirks: cookie challenges,
POST-only feeds, 429 with Retry-After.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cityradar.demo.sites import (
    Site,
    content_type,
    render_article,
    render_attachment,
    render_feed,
    render_list_page,
)

ROBOTS_TXT = b"User-agent: *\nDisallow: /private/\n"


class _Server(ThreadingHTTPServer):
    """The sites' server: a client that hangs up before its reply is written (it read a 403's
    status and needs no body) is no error of the server's, so nothing is printed for it (the
    printout landed in whatever stream a command under test had borrowed as standard error)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when the client left first; report anything else as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@dataclass(frozen=True)
class Canned:
    """A fixed response for a path (a broken feed, an HTML error page, a redirect...)."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow or hanging server)
    # how the connection misbehaves: "reset" (dropped before any answer), "truncate" (half the
    # body, then the connection closes though Content-Length promised all of it)
    fault: str | None = None


@dataclass(frozen=True)
class Served:
    """One request the server answered."""

    method: str
    path: str
    status: int
    at: float
    headers: dict[str, str]
    body: bytes = b""


Route = Callable[[Served], Canned]


class SiteServer:
    """Serves sites, canned responses and dynamic routes on 127.0.0.1; use as a context manager.

    ``requests`` records every request served, so tests can check what a crawl asked for —
    and what it did not (robots.txt), and how long it waited (Retry-After).
    """

    def __init__(
        self,
        sites: list[Site],
        canned: dict[str, Canned] | None = None,
        port: int = 0,
        routes: dict[str, Route] | None = None,
        validators: bool = True,
        tls: ssl.SSLContext | None = None,
        delay: float = 0.0,
    ):
        self.sites = sites
        self.delay = delay  # seconds before every answer but robots.txt (a slow site)
        self.canned = dict(canned or {})
        self.routes = dict(routes or {})
        self.validators = validators
        self.requests: list[Served] = []
        self._lock = threading.Lock()
        self._last_modified = formatdate(time.time() - 3600, usegmt=True)
        self._httpd = _Server(("127.0.0.1", port), self._handler_class())
        self._httpd.daemon_threads = True
        self._scheme = "http"
        if tls is not None:  # HTTPS, for certificate tests
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
            self._scheme = "https"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (https when serving TLS)."""
        host, port = self._httpd.server_address[:2]
        return f"{self._scheme}://{host!s}:{port}"

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
            return [served.path for served in self.requests]

    def respond(self, target: str) -> Canned:
        """The static response for a request target (path and query)."""
        path = urlsplit(target).path
        for key in (target, path):
            if key in self.canned:
                return self.canned[key]
        if path == "/robots.txt":
            return Canned(200, ROBOTS_TXT, "text/plain")
        base = self.base_url
        query = dict(parse_qsl(urlsplit(target).query))
        for site in self.sites:
            if site.board and path == f"/{site.slug}/{site.board.path}":
                page = int(query.get(site.board.page_param, "1"))
                return Canned(200, render_list_page(site, base, page), content_type(site, "page"))
            if not site.board and path == f"/{site.slug}/{site.feed_path}":
                return Canned(200, render_feed(site, base), content_type(site, "feed"))
            if path == f"/{site.slug}/download.do":
                found = [a for a in site.articles if f"{a.id}1" == query.get("fileId")]
                if found:
                    return Canned(
                        200, render_attachment(site, found[0]), "application/octet-stream"
                    )
            for article in site.articles:
                page_target = f"/{site.slug}/{site.article_path.format(id=article.id)}"
                if not article.link and _same_page(page_target, target):
                    body = render_article(site, base, article)
                    return Canned(200, body, content_type(site, "page"))
        return Canned(404, b"<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>")

    def answer(self, request: Served) -> Canned:
        """The response to a request: a dynamic route, else the static one, made conditional."""
        path = urlsplit(request.path).path
        route = self.routes.get(request.path) or self.routes.get(path)
        reply = route(request) if route else self.respond(request.path)
        if route or not self.validators or reply.status != 200 or request.method != "GET":
            return reply
        etag = '"' + hashlib.sha1(reply.body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": self._last_modified, **reply.headers}
        if request.headers.get("If-None-Match") == etag:
            return Canned(304, b"", reply.content_type, headers)
        return Canned(
            reply.status, reply.body, reply.content_type, headers, reply.delay, reply.fault
        )

    def _record(self, served: Served) -> None:
        with self._lock:
            self.requests.append(served)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Served(
                    self.command,
                    self.path,
                    0,
                    time.monotonic(),
                    dict(self.headers.items()),
                    self.rfile.read(length) if length else b"",
                )
                reply = server.answer(request)
                server._record(
                    Served(
                        request.method,
                        request.path,
                        reply.status,
                        request.at,
                        request.headers,
                        request.body,
                    )
                )
                delay = reply.delay or (server.delay if request.path != "/robots.txt" else 0)
                if delay:
                    time.sleep(delay)
                if reply.fault == "reset":
                    self._reset()
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command == "HEAD":
                    return
                if reply.fault == "truncate":
                    self.wfile.write(reply.body[: len(reply.body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)  # a clean close, too early
                    self.close_connection = True
                    return
                self.wfile.write(reply.body)

            def _reset(self) -> None:
                """Drop the connection with a TCP reset, as a crashing server or proxy does."""
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True

            do_GET = do_POST = do_HEAD = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass  # the request list is the log

        return Handler


def _same_page(page: str, target: str) -> bool:
    """Like real servers: the page's own parameters must match; others (utm_*, pageIndex) are ignored."""
    page_parts, target_parts = urlsplit(page), urlsplit(target)
    if page_parts.path != target_parts.path:
        return False
    wanted = set(parse_qsl(page_parts.query))
    return wanted <= set(parse_qsl(target_parts.query))
