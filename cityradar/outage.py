"""Telling a local network outage from failing sources.

When this machine loses its network (or its DNS), every source fails at once, and not by its own
fault. Counting those failures would put every source into back-off together, so the runs after
the network returns would crawl nothing. A run is taken for an outage when every source it
crawled failed before reaching its host (the name did not resolve, the connection was refused,
or there was no route) and they live on at least two different hosts: one site down, or a run of
one source, looks the same as a dead source and counts as usual.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cityradar.items import CrawlReport
from cityradar.registry import Source

# fewer hosts than this cannot tell a network outage from one server being down
MIN_HOSTS = 2
_KIND_WORDS = {
    "dns": "DNS lookup failed",
    "refused": "connection refused",
    "unreachable": "no route to the host",
}


@dataclass(frozen=True)
class NetworkOutage:
    """A run in which every source failed to connect: the network, not the sources, failed."""

    sources: int
    hosts: int
    kinds: dict[str, int]  # dns | refused | unreachable -> sources that failed that way

    @property
    def message(self) -> str:
        """The plain line an operator reads: what happened, what it means, what to do."""
        how = ", ".join(
            f"{_KIND_WORDS.get(kind, kind)} for {count}"
            for kind, count in sorted(self.kinds.items(), key=lambda pair: (-pair[1], pair[0]))
        )
        return (
            f"the network looks down: all {self.sources} sources on {self.hosts} hosts failed "
            f"to connect ({how}). Not counted against the sources: no back-off, and the next "
            "run tries them all again. Check this machine's network and DNS "
            "(`make demo` runs offline)."
        )


def network_outage(
    reports: Sequence[CrawlReport], sources: Sequence[Source]
) -> NetworkOutage | None:
    """The outage this run's reports show, or None when at least one source's failure (or
    success) is its own.

    Args:
        reports: the crawl reports of one run, one per source crawled.
        sources: the registry entries of those sources (their URLs name the hosts).
    """
    if not reports or any(r.status != "failed" or not r.network_failure for r in reports):
        return None
    urls = {s.id: s.url for s in sources}
    hosts = {_host(urls.get(r.source_id)) for r in reports}
    if len(hosts) < MIN_HOSTS:
        return None
    kinds = Counter(r.network_failure for r in reports if r.network_failure)
    return NetworkOutage(sources=len(reports), hosts=len(hosts), kinds=dict(kinds))


def _host(url: str | None) -> str:
    """Host and port of a URL: two servers on one machine are two hosts to reach."""
    return urlsplit(url or "").netloc.lower()
