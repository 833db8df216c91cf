"""Saved copies of the sample pages: what the demo's server served, kept in the demo folder.

The sample server stops when the demo ends, and the sample stories have no original on the web,
so the demo keeps each story's page and attached documents as files (``site/`` in the demo
folder, with an index page). The demo's digest links to these copies.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cityradar.demo.server import SiteServer

if TYPE_CHECKING:
    from warehouse.pages import StoryPage

INDEX = "index.html"


def save_copies(server: SiteServer, pages: Iterable[StoryPage], folder: Path) -> dict[str, str]:
    """Save what ``server`` serves for each story page and attachment under ``folder``.

    Returns story URL -> the saved page's path relative to ``folder``'s parent. Pages on other
    sites (a story linking elsewhere) are not saved. ``folder``/index.html lists every copy.
    """
    folder.mkdir(parents=True, exist_ok=True)
    copies: dict[str, str] = {}
    listed: list[tuple[StoryPage, Path, list[tuple[str, Path]]]] = []
    for page in pages:
        saved = _save(server, page.url, folder)
        if saved is None:
            continue
        documents = [
            (name, path)
            for url, name in page.attachments
            if (path := _save(server, url, folder, PurePosixPath(name).suffix)) is not None
        ]
        copies[page.url] = (folder.name / saved).as_posix()
        listed.append((page, saved, documents))
    (folder / INDEX).write_text(_index(listed), encoding="utf-8")
    return copies


def _save(server: SiteServer, url: str, folder: Path, suffix: str = "") -> Path | None:
    """Write the server's answer for ``url`` under ``folder``; its path there, or None."""
    if not url.startswith(server.base_url + "/"):
        return None
    target = url[len(server.base_url) :]
    reply = server.respond(target)
    if reply.status != 200:
        return None
    relative = file_for(target, ".html" if "html" in reply.content_type else suffix)
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(reply.body)
    return relative


def file_for(target: str, suffix: str) -> Path:
    """A file path for a request target: its path, the query folded into the name, a suffix.

    ``/sejong-board/bbs/view.do?nttId=B1`` -> ``sejong-board/bbs/view.do_nttId_B1.html``: a
    browser opening a file ignores what follows ``?``, so the query must become part of the name.
    """
    parts = urlsplit(target)
    segments = [_safe(s) for s in parts.path.split("/") if s not in ("", ".", "..")]
    if not segments or parts.path.endswith("/"):
        segments.append("index")
    if parts.query:
        segments[-1] += "_" + _safe(parts.query)
    if suffix and not segments[-1].lower().endswith(suffix.lower()):
        segments[-1] += suffix
    return Path(*segments)


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


def _index(listed: list[tuple[StoryPage, Path, list[tuple[str, Path]]]]) -> str:
    """A page listing every saved story page and document, by source."""
    rows = []
    source = None
    for page, saved, documents in listed:
        if page.source_id != source:
            source = page.source_id
            rows.append(f"<h2>{html.escape(source)}</h2>")
        attached = "".join(
            f' · <a href="{html.escape(path.as_posix())}">{html.escape(name)}</a>'
            for name, path in documents
        )
        rows.append(
            f'<p><a href="{html.escape(saved.as_posix())}">{html.escape(page.title)}</a>'
            f"{attached}<br><small>{html.escape(page.url)}</small></p>"
        )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>cityradar demo: saved pages'
        "</title></head><body><h1>The demo's sample pages, as they were served</h1>"
        "<p>Each story's page and its attached documents, saved when the demo ran; the "
        "address it was served from is below each title.</p>" + "".join(rows) + "</body></html>\n"
    )
