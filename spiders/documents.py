"""Attached documents of government releases: what kind a link is, and the text of PDF and HWPX."""

from __future__ import annotations

import io
import re
from email.header import decode_header, make_header
from email.message import Message
from urllib.parse import unquote, unquote_to_bytes, urlsplit

# What text is taken from one document (a long annex adds little to tagging).
MAX_TEXT_CHARS = 50_000
_EXTENSION = re.compile(r"\.(pdf|hwpx|hwp|docx?|xlsx?|pptx?|zip)\b", re.I)
_READABLE = {"pdf", "hwpx"}


# the Content-Types Korean servers label documents with (HWP's have no registered type)
_MIME_KINDS = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/hwp+zip": "hwpx",
    "application/vnd.hancom.hwpx": "hwpx",
    "application/x-hwp": "hwp",
    "application/haansofthwp": "hwp",
    "application/vnd.hancom.hwp": "hwp",
    "application/x-hwp-v5": "hwp",
}
# how a body begins, when neither its name nor its Content-Type says what it is
_PDF_MAGIC = b"%PDF-"
_HWPX_MAGIC = b"mimetypeapplication/hwp+zip"  # the zip's first, uncompressed entry


def attachment_kind(url: str, name: str = "", content_type: str | None = None) -> str | None:
    """pdf, hwpx, hwp, doc… from the link text, the URL or the Content-Type; None if not a document."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in _MIME_KINDS:
        return _MIME_KINDS[mime]
    for text in (name, unquote(urlsplit(url).path), unquote(url)):
        match = _EXTENSION.search(text or "")
        if match:
            return match.group(1).lower()
    return None


def sniffed_kind(body: bytes) -> str | None:
    """pdf or hwpx from the first bytes of a document; None for anything else (HWP 5 shares
    its container with old Word and Excel files, so its bytes do not tell it apart)."""
    if body[:1024].lstrip().startswith(_PDF_MAGIC):
        return "pdf"
    if body[:2] == b"PK" and _HWPX_MAGIC in body[:200]:
        return "hwpx"
    return None


def disposition_filename(header: bytes | str | None) -> str | None:
    """The file name a Content-Disposition header gives, decoded, without any folder.

    ``filename*=UTF-8''…`` (RFC 6266 and 5987) is preferred over ``filename=``; the plain form is
    read as Korean servers write it too: raw UTF-8 or EUC-KR bytes, percent-encoded UTF-8 or
    EUC-KR, or an RFC 2047 word (``=?UTF-8?B?…?=``). The parameters are parsed by the standard
    library's email package (RFC 2231), the decoding of the plain form is ours.
    """
    if not header:
        return None
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    message = Message()
    message["Content-Disposition"] = text
    params = message.get_params(header="content-disposition") or []
    values = [value for key, value in params[1:] if key.lower() == "filename"]
    # the extended form first: a server sends the plain one only for clients that lack it
    values.sort(key=lambda value: not isinstance(value, tuple))
    for value in values:
        name = _extended_value(value) if isinstance(value, tuple) else _plain_value(value)
        name = _without_folder(name or "")
        if name:
            return name
    return None


def _extended_value(value: tuple[str, str, str]) -> str | None:
    """An RFC 2231 value (charset, language, percent-decoded text) as text: in its charset, or
    in UTF-8 or CP949 when the server declared one and sent the other; None if in neither."""
    charset, _, text = value
    return _decoded(text.encode("latin-1", errors="replace"), (charset or "utf-8",))


def _plain_value(value: str) -> str:
    """A plain ``filename=`` value as the server meant it (the header was read as Latin-1)."""
    value = value.strip()
    if value.startswith("=?") and value.endswith("?="):  # RFC 2047, as in mail
        try:
            return str(make_header(decode_header(value)))
        except (LookupError, UnicodeDecodeError, ValueError):
            return value
    raw = value.encode("latin-1", errors="replace")
    if raw.isascii() and _PERCENT_ESCAPE.search(value):
        raw = unquote_to_bytes(value)
    return _decoded(raw) or value


# a %XX escape: a name written percent-encoded in a plain filename=
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# what Korean servers send beside what they declare; CP949 is EUC-KR and the syllables it lacks
_KOREAN_CHARSETS = ("utf-8", "cp949")


def _decoded(raw: bytes, declared: tuple[str, ...] = ()) -> str | None:
    """Bytes as text in the first charset that fits them: the declared one, then UTF-8 and CP949."""
    for charset in (*declared, *_KOREAN_CHARSETS):
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return None


def _without_folder(name: str) -> str:
    """The last part of a name that comes with a folder (C:\\files\\a.pdf, ../a.pdf)."""
    last = re.split(r"[\\/]", name)[-1].strip()
    return "" if last in ("", ".", "..") else last


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
