"""Registry entries and one ingest run, for the flow tests."""

from __future__ import annotations

from pathlib import Path

import yaml


def broken_entries(base: str) -> list[dict[str, object]]:
    """A feed that went 404, and one that now answers with an HTML page."""
    common = {
        "kind": "feed",
        "language": "ko",
        "country": "KR",
        "org_type": "city",
        "timezone": "Asia/Seoul",
    }
    return [
        {
            **common,
            "id": "gone_feed",
            "name": "Moved feed",
            "url": f"{base}/gone/rss.xml",
            "city": "Daegu",
        },
        {
            **common,
            "id": "html_feed",
            "name": "Feed replaced by a page",
            "url": f"{base}/html/rss.xml",
        },
    ]


def write_entries(entries: list[dict[str, object]], data_dir: Path) -> Path:
    """Write `entries` as data_dir/sources.yaml; its path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    sources_path = data_dir / "sources.yaml"
    sources_path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return sources_path


def ingest_entries(entries: list[dict[str, object]], data_dir: Path) -> tuple[object, Path]:
    """Write `entries` as data_dir/sources.yaml and ingest them into data_dir/w.duckdb at once."""
    from flows.ingest import ingest

    sources_path = write_entries(entries, data_dir)
    summary = ingest(
        sources_path=sources_path,
        db_path=data_dir / "w.duckdb",
        data_dir=data_dir,
        crawl_delay=0.0,
    )
    return summary, sources_path
