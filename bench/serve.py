"""Serve a replay corpus: each site on its own loopback address, in this (separate) process.

    python -m bench.serve --corpus data/bench/corpus

Static files from disk (the page cache keeps them in memory), HTTP/1.1 keep-alive, and
Last-Modified / If-Modified-Since, so an unchanged re-run gets its 304s as from a real site.
A board's ``/board/list.html?page=N`` is its file ``board/list-N.html``. Prints ``ready`` when
every address listens.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.corpus import FIRST_HOST


class CorpusHandler(SimpleHTTPRequestHandler):
    """Files of one site; quiet; list pages addressed by query."""

    protocol_version = "HTTP/1.1"

    def translate_path(self, path: str) -> str:
        """Map ``/board/list.html?page=N`` to ``board/list-N.html``; everything else as is."""
        parts = urlsplit(path)
        if parts.path == "/board/list.html":
            page = parse_qs(parts.query).get("page", ["1"])[0]
            return str(Path(self.directory) / "board" / f"list-{int(page)}.html")
        return super().translate_path(parts.path)

    def log_message(self, format: str, *args: object) -> None:
        """No access log: it would cost more than serving."""


@contextmanager
def corpus_server(corpus: Path) -> Iterator[None]:
    """This module run as its own process serving ``corpus`` while inside (killed on leaving);
    in its own process so the benchmarked command's CPU figures are its own."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.serve", "--corpus", str(corpus)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if server.stdout is None or server.stdout.readline().strip() != "ready":
            raise RuntimeError("the corpus server did not start")
        yield
    finally:
        server.kill()
        server.wait()


def serve(corpus: Path) -> list[ThreadingHTTPServer]:
    """Start one server per site of the corpus; they run in daemon threads."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    servers = []
    for site in manifest["sites"]:
        host = f"127.0.0.{FIRST_HOST + site['number']}"
        handler = partial(CorpusHandler, directory=str(corpus / site["slug"]))
        server = ThreadingHTTPServer((host, site["port"]), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def main() -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("data/bench/corpus"))
    args = parser.parse_args()
    serve(args.corpus)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
