"""Canonical URLs: one spelling per page, so the same story from two feeds is one item.

w3lib does the RFC work (case, percent-encoding, sorted query, no fragment); on top of it
tracking parameters and session ids are removed. Parameters that identify the page
(``newsId``, ``nttSeqNo``…) are kept: dropping every query, as some cleaners do, merges
different government releases that share one ``view.do`` path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeGuard
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Tracking and analytics parameters (exact names, lower case) and prefixes.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "ref_url",
        "cmpid",
        "ncid",
        "sr_share",
        "spm",
        "ocid",
        "rss",
        "from",
        "share",
        "fromrss",
    }
)
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "piwik_", "matomo_", "hsa_", "vero_", "oly_")
# Session identifiers servers put into the query string.
SESSION_PARAMS: frozenset[str] = frozenset(
    {"jsessionid", "phpsessid", "sessionid", "session_id", "sid", "aspsessionid", "cfid", "cftoken"}
)
# ";jsessionid=…" path parameters (Java/eGovFrame sites), up to the next "?" or "#".
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^?#/]*", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_dropped_param(name: str, extra: Iterable[str] = ()) -> bool:
    """True for a query parameter that never identifies the page."""
    lowered = name.lower()
    return (
        lowered in TRACKING_PARAMS
        or lowered in SESSION_PARAMS
        or lowered.startswith(TRACKING_PREFIXES)
        or lowered in {e.lower() for e in extra}
    )


def is_web_url(url: str | None) -> TypeGuard[str]:
    """True for an absolute http(s) URL with a host: a page a reader (or a crawl) can open.

    ``javascript:``, ``data:``, ``file:`` and host-less links are kept as the source wrote them
    (``link_raw``) but never become an item's URL. (A type guard: where it is true, ``url`` is a
    string.)
    """
    if not url:
        return False
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def canonical_url(url: str, drop_params: Iterable[str] = ()) -> str:
    """The canonical form of an http(s) URL.

    Args:
        url: an absolute URL.
        drop_params: extra query parameters to remove for this source (session tokens).

    Returns:
        Lower-case scheme and host, no default port, no fragment, no session path parameter,
        tracking and session parameters removed, the rest sorted.
    """
    url = _PATH_SESSION.sub("", url.strip())
    parts = urlsplit(url)
    query_names = [pair.split("=", 1)[0] for pair in parts.query.split("&") if pair]
    dropped = [name for name in query_names if is_dropped_param(name, drop_params)]
    if dropped:
        # unique=False: w3lib would otherwise keep only the first of repeated names, so the
        # same page with its parameters in another order got another canonical URL
        url = url_query_cleaner(url, dropped, remove=True, unique=False, keep_fragments=True)
    canonical = canonicalize_url(url, keep_fragments=False)
    return _without_default_port(canonical)


def _without_default_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme) == parts.port:
        netloc = parts.netloc.rsplit(":", 1)[0]
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url
