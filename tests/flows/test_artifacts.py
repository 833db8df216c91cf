"""What a run shows in Prefect's UI: the shared store's problems are said there, since a run
that had them still ends Completed."""

from __future__ import annotations

from flows.artifacts import ingest_description, staged_load_markdown
from flows.ingest import IngestSummary, StagedLoad
from warehouse.loader import LoadResult

PUBLISH = "could not publish batch b1 to s3://bucket/staging: Access Denied"
LEASE = (
    "the lease on source-a ended and is now held by process 42 on crawl-b; it may be crawled twice"
)


def test_an_ingest_line_names_the_first_store_problem_and_counts_the_rest():
    summary = IngestSummary(db_path="w.duckdb", batch_id="b1")
    assert "PROBLEM" not in ingest_description(summary)
    summary.staging_problems = [PUBLISH]
    summary.lease_problems = [LEASE]
    line = ingest_description(summary)
    assert line.startswith("Ingest: 0 sources crawled, 0 failed; nothing loaded (batch b1")
    assert line.endswith(f"; PROBLEM with the shared store: {LEASE} (and 1 more)")


def test_a_staged_load_note_lists_each_batch_and_every_store_problem():
    done = StagedLoad(
        loaded=[
            LoadResult(batch_id="b1", already_loaded=False, items_new=12),
            LoadResult(batch_id="b0", already_loaded=True),
        ],
        problems=[PUBLISH],
    )
    note = staged_load_markdown(done)
    assert "- b1: 12 new\n- b0: already loaded before\n" in note
    assert f"## Problems with the shared store (1)\n\n- {PUBLISH}\n" in note
    assert "- none was waiting" in staged_load_markdown(StagedLoad())


def test_a_crawl_only_line_says_where_its_batch_went():
    summary = IngestSummary(db_path="w.duckdb", batch_id="b1", loads=False)
    assert ingest_description(summary).endswith("; batch b1 staged for a loader")
    summary.published = ["b1"]
    assert ingest_description(summary).endswith(
        "; batch b1 published to the shared store for the loader"
    )
