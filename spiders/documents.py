"""Attached documents of government releases: what kind a link is, and the text of PDF and HWPX."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote, urlsplit

# What text is taken from one document (a long annex adds little to tagging).
MAX_TEXT_CHARS = 50_000
_EXTENSION = re.compile(r"\.(pdf|hwpx|hwp|docx?|xlsx?|pptx?|zip)\b", re.I)
_READABLE = {"pdf", "hwpx"}


def attachment_kind(url: str, name: str = "", content_type: str | None = None) -> str | None:
    """pdf, hwpx, hwp, doc… from the link text, the URL or the Content-Type; None if not a document."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime == "application/pdf":
        return "pdf"
    if mime in ("application/hwp+zip", "application/vnd.hancom.hwpx"):
        return "hwpx"
    for text in (name, unquote(urlsplit(url).path), unquote(url)):
        match = _EXTENSION.search(text or "")
        if match:
            return match.group(1).lower()
    return None


def is_readable(kind: str | None) -> bool:
    """True for the kinds whose text cityradar extracts."""
    return kind in _READABLE


def document_text(body: bytes, kind: str) -> str:
    """The text of a PDF or HWPX document.

    Raises:
        ValueError: the kind is not readable or the document is damaged.
    """
    if kind == "pdf":
        return _pdf_text(body)[:MAX_TEXT_CHARS]
    if kind == "hwpx":
        return _hwpx_text(body)[:MAX_TEXT_CHARS]
    raise ValueError(f"no text extraction for {kind!r} documents")


def _pdf_text(body: bytes) -> str:
    # imported when a document is read: most crawls read none, and every crawl is a new process
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many kinds for damaged files
        raise ValueError(f"unreadable PDF: {exc}") from exc
    return "\n".join(" ".join(page.split()) for page in pages if page.strip())


def _hwpx_text(body: bytes) -> str:
    from hwpx.tools.exporter import export_text as hwpx_text  # see _pdf_text

    try:
        text = hwpx_text(body)
    except Exception as exc:  # a damaged archive or XML
        raise ValueError(f"unreadable HWPX: {exc}") from exc
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())
