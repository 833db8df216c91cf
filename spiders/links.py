"""Which links a spider may follow: http(s) only, on the source's own site or its listed domains,
never to a link-local, multicast or unspecified address."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

from cityradar.registry import Source

# The public-suffix list bundled with tldextract; never fetched at run time.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
FETCHED_SCHEMES = ("http", "https")


@lru_cache(maxsize=4096)
def site_of(host: str) -> str:
    """The registrable domain of a host (``news.seoul.go.kr`` -> ``seoul.go.kr``); IPs as-is."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return _EXTRACT(host).top_domain_under_public_suffix or host
    return host


def forbidden_address(address: str) -> str | None:
    """What kind of address ``address`` is when it is never fetched ("a link-local address":
    cloud metadata lives there), else None. Names are not addresses: None for anything that
    does not parse as an IP."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:169.254.169.254 is 169.254.169.254
        ip = ip.ipv4_mapped
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "no host's address"
    return None


def refusal(url: str, source: Source) -> str | None:
    """Why ``url`` is not fetched for ``source``, or None when it may be.

    The source's own URL is always fetched (the operator chose it); anything else must be http(s)
    on the source's site or one of its ``allowed_domains``.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in FETCHED_SCHEMES:
        return (
            f"not fetched: only http and https links are followed ({parts.scheme or 'no'} scheme)"
        )
    if not host:
        return "not fetched: the link has no host"
    kind = forbidden_address(host)
    if kind:
        return f"not fetched: {host} is {kind}"
    if host == source.host.lower() or site_of(host) == site_of(source.host):
        return None
    if any(host == d or host.endswith("." + d) for d in source.allowed_domains):
        return None
    return f"not fetched: {host} is outside the source's site (the link is kept)"


def is_followable(url: str, source: Source) -> bool:
    """True for a URL the source's crawl may fetch (see ``refusal``)."""
    return refusal(url, source) is None
