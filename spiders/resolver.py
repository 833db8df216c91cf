"""Name resolution that refuses names resolving to link-local, multicast or unspecified addresses.

A URL can pass every check on its text and still reach a cloud metadata endpoint through DNS
(``metadata.example.org -> 169.254.169.254``): the address is checked after resolution too.
"""

from __future__ import annotations

from collections.abc import Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from spiders.links import forbidden_address


class ForbiddenAddressError(DNSLookupError):
    """A host name resolved to an address that is never fetched."""


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing forbidden addresses."""

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        """Resolve ``name``; fail with ForbiddenAddressError for a forbidden address."""
        resolved = super().getHostByName(name, timeout)
        resolved.addCallback(refuse_forbidden, name)
        return resolved


def refuse_forbidden(address: str, name: str) -> str:
    """Pass ``address`` on, or raise when it may not be fetched."""
    kind = forbidden_address(address)
    if kind:
        raise ForbiddenAddressError(f"not fetched: {name} resolves to {address}, {kind}")
    return address
