"""Bytes to text for feeds and pages whose charset labels lie, are missing, or say EUC-KR.

Korean government and press sites mix UTF-8 with EUC-KR/CP949, and their labels are not always
right (sources.md §5.2). The rules, in order: a byte-order mark; valid UTF-8 (CP949 text is almost
never valid UTF-8, so this is a strong signal); the HTTP charset; the charset the document
declares; a statistical guess. EUC-KR labels are read as CP949, its superset (the WHATWG rule).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import http_content_type_encoding, resolve_encoding

_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_HTML_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Python's euc_kr codec rejects the CP949 extensions real sites use.
_SUPERSETS = {"euc_kr": "cp949", "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "latin_1": "cp1252"}


@dataclass(frozen=True)
class Decoded:
    """Decoded text, the codec used and why it was chosen."""

    text: str
    encoding: str
    reason: str


def declared_encoding(body: bytes) -> str | None:
    """The charset a document declares in its XML declaration or HTML meta tag."""
    head = body[:4096]
    match = _XML_DECLARATION.match(head) or _HTML_META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def normalise_codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, EUC-KR widened to CP949; None if unknown."""
    if not label:
        return None
    codec = resolve_encoding(label.strip().lower())
    if codec is None:
        try:
            codec = codecs.lookup(label).name
        except LookupError:
            return None
    return _SUPERSETS.get(codec, codec)


def decode_body(body: bytes, content_type: str | None) -> Decoded:
    """Decode a response body.

    Args:
        body: the raw bytes.
        content_type: the HTTP Content-Type header, if any.

    Returns:
        The text, never with replacement characters unless nothing else decoded it.
    """
    for bom, bom_codec in _BOMS:
        if body.startswith(bom):
            return Decoded(body.decode(bom_codec, errors="replace"), bom_codec, "byte-order mark")
    try:
        return Decoded(body.decode("utf-8"), "utf-8", "valid UTF-8")
    except UnicodeDecodeError:
        pass
    header = normalise_codec(http_content_type_encoding(content_type or ""))
    declared = normalise_codec(declared_encoding(body))
    for named, reason in ((header, "HTTP charset"), (declared, "declared in the document")):
        if named and named not in ("utf-8", "utf_8"):
            try:
                return Decoded(body.decode(named), named, reason)
            except (UnicodeDecodeError, LookupError):
                continue
    guess = charset_normalizer.from_bytes(body).best()
    if guess is not None and guess.encoding:
        codec = normalise_codec(guess.encoding) or guess.encoding
        return Decoded(body.decode(codec, errors="replace"), codec, "detected")
    return Decoded(body.decode("utf-8", errors="replace"), "utf-8", "fallback with replacements")


def as_utf8_xml(decoded: Decoded) -> bytes:
    """Re-encode decoded XML as UTF-8 and make its declaration say so, for feedparser."""
    text = re.sub(
        r"^(\s*<\?xml[^>]*?encoding\s*=\s*)[\"'][^\"']*[\"']",
        r'\1"utf-8"',
        decoded.text.lstrip("\ufeff"),
        count=1,
        flags=re.I,
    )
    return text.encode("utf-8")
