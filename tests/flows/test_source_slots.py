"""One crawl of a source at a time across machines: a source whose Prefect slot another run
holds (a crawl worker elsewhere) is skipped and said so; free again, it is crawled."""

from __future__ import annotations

from datetime import UTC, datetime

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from tests.helpers.ingest import write_entries


def test_a_source_another_machine_is_crawling_is_skipped_then_crawled_once_free(
    prefect_harness, tmp_path
):
    from flows.ingest import ingest
    from flows.slots import source_slots

    sites = [s for s in bundled_sites(datetime.now(UTC)) if s.slug in ("seoul-news", "busan-ilbo")]
    with SiteServer(sites, {}) as server:
        sources = write_entries([s.source_entry(server.base_url) for s in sites], tmp_path)
        first, second = (site.source_entry(server.base_url)["id"] for site in sites)
        with source_slots([first]) as (held, busy):  # a run on another machine
            assert (held, busy) == ([first], [])
            summary = ingest(sources_path=sources, data_dir=tmp_path / "here", crawl_delay=0.0)
            with source_slots([first, second]) as (held_now, busy_now):
                assert (held_now, busy_now) == ([second], [first])
        assert [(b.source_id, b.held_by) for b in summary.busy] == [
            (first, "a run on another machine")
        ]
        assert [r.source_id for r in summary.reports] == [second]
        again = ingest(sources_path=sources, data_dir=tmp_path / "here", crawl_delay=0.0)
    assert again.busy == []
    assert sorted(r.source_id for r in again.reports) == sorted([first, second])
