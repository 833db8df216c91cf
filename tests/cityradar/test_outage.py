"""A run in which every source failed to connect is the network's failure, not the sources'."""

from __future__ import annotations

from cityradar.items import CrawlReport
from cityradar.outage import network_outage
from tests.helpers.factories import make_source

SOURCES = [
    make_source(id="seoul", url="https://news.seoul.go.kr/rss"),
    make_source(id="busan", url="https://www.busan.go.kr/rss"),
    make_source(id="busan_blog", url="https://www.busan.go.kr/blog/rss"),
    make_source(id="local", url="http://127.0.0.1:8081/rss"),
]


def report(source_id: str, status: str = "failed", kind: str | None = "dns") -> CrawlReport:
    return CrawlReport(source_id, "b1", "t0", "t1", status, network_failure=kind)


def test_every_source_failing_to_connect_on_several_hosts_is_an_outage():
    outage = network_outage(
        [report("seoul"), report("busan"), report("local", kind="refused")], SOURCES
    )
    assert outage is not None
    assert (outage.sources, outage.hosts, outage.kinds) == (3, 3, {"dns": 2, "refused": 1})
    assert outage.message.startswith(
        "the network looks down: all 3 sources on 3 hosts failed to connect "
        "(DNS lookup failed for 2, connection refused for 1). Not counted against the sources"
    )


def test_one_source_that_connected_makes_the_others_failures_their_own():
    assert network_outage([report("seoul"), report("busan", "ok", None)], SOURCES) is None
    # reached its server, which answered badly: that source is not cut off
    assert network_outage([report("seoul"), report("busan", kind=None)], SOURCES) is None


def test_one_host_or_one_source_cannot_tell_the_network_from_a_dead_site():
    assert network_outage([report("busan"), report("busan_blog")], SOURCES) is None
    assert network_outage([report("seoul")], SOURCES) is None
    assert network_outage([], SOURCES) is None


def test_two_servers_on_one_machine_are_two_hosts():
    sources = [
        make_source(id="one", url="http://127.0.0.1:8081/rss"),
        make_source(id="two", url="http://127.0.0.1:8082/rss"),
    ]
    outage = network_outage([report("one", kind="refused"), report("two", kind="refused")], sources)
    assert outage is not None
    assert outage.hosts == 2
