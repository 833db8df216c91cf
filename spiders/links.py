"""Which links a spider may follow: http(s) only, on the source's own site or its listed domains."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

from cityradar.registry import Source

# The public-suffix list bundled with tldextract; never fetched at run time.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=4096)
def site_of(host: str) -> str:
    """The registrable domain of a host (``news.seoul.go.kr`` -> ``seoul.go.kr``); IPs as-is."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return _EXTRACT(host).top_domain_under_public_suffix or host
    return host


def is_followable(url: str, source: Source) -> bool:
    """True for an http(s) URL on the source's site or one of its ``allowed_domains``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    if site_of(host) == site_of(source.host):
        return True
    return any(host == d or host.endswith("." + d) for d in source.allowed_domains)
