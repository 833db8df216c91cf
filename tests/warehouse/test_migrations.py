"""Migrations replay on an empty file; the analyst views keep their contract and explain themselves."""

from __future__ import annotations

import duckdb
import pytest

from transforms import clusters
from warehouse.db import connect, migrate, migrations

# DESIGN.md: renaming one of these is a breaking change.
ITEMS_CONTRACT = [
    ("item_id", "VARCHAR"),
    ("source_id", "VARCHAR"),
    ("url", "VARCHAR"),
    ("title", "VARCHAR"),
    ("summary", "VARCHAR"),
    ("body_text", "VARCHAR"),
    ("language", "VARCHAR"),
    ("published_at", "TIMESTAMP WITH TIME ZONE"),
    ("fetched_at", "TIMESTAMP WITH TIME ZONE"),
    ("cities", "VARCHAR[]"),
    ("countries", "VARCHAR[]"),
    ("focus_areas", "VARCHAR[]"),
    ("is_smart_city", "BOOLEAN"),
    ("cluster_id", "VARCHAR"),
]
VIEWS = {
    "items",
    "sources",
    "source_health",
    "source_runs",
    "item_cities",
    "item_focus_areas",
    "item_versions",
    "item_attachments",
    "weekly_counts",
    "places",
}
# tables analysts write, documented like the views
ANALYST_TABLES = {"tag_corrections"}


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        yield connection


def test_migrations_are_numbered_without_gaps():
    versions = [m.version for m in migrations()]
    assert versions == list(range(1, len(versions) + 1))


def test_an_empty_file_gets_every_migration_once(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        applied = con.execute("select version, name from core.schema_migrations").fetchall()
        assert applied == [(m.version, m.name) for m in migrations()]
    with connect(path) as con:
        assert migrate(con) == []  # nothing left to apply
        assert con.execute("select count(*) from core.schema_migrations").fetchone()[0] == len(
            applied
        )


def test_the_items_view_has_the_designed_columns_in_order(con):
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() where table_name = 'items' and schema_name = 'main'"
        " order by column_index"
    ).fetchall()
    assert columns[: len(ITEMS_CONTRACT)] == ITEMS_CONTRACT


def test_every_view_and_column_is_documented(con):
    views = dict(
        con.execute("select view_name, comment from duckdb_views() where not internal").fetchall()
    )
    assert set(views) >= VIEWS
    assert all(views[name] for name in VIEWS)
    tables = dict(
        con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'main'"
        ).fetchall()
    )
    assert set(tables) == ANALYST_TABLES
    assert all(tables.values())
    undocumented = con.execute(
        "select table_name, column_name from duckdb_columns()"
        " where schema_name = 'main' and table_name in ? and comment is null",
        [sorted(VIEWS | ANALYST_TABLES)],
    ).fetchall()
    assert undocumented == []


def test_every_view_file_states_its_grain():
    from warehouse.db import view_files

    for name, sql in view_files():
        assert "one row per" in sql.lower(), name


def test_a_reader_can_open_the_file_read_only(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    with connect(path, read_only=True) as reader:
        assert reader.execute("select count(*) from items").fetchone() == (0,)
        with pytest.raises(duckdb.Error):
            reader.execute("insert into core.batches values ('x', null, now(), 0, 0, 0, 0, 0, 0)")


OLD_TEXT = (
    "서울시는 강남역과 수서역을 잇는 심야 자율주행버스 노선을 새로 운행한다고 밝혔다. "
    "안전관리자가 동승하고 운행 데이터는 교통신호 개선에 쓰인다."
)


def _old_file(path):
    """A file made by the schema of migrations 1-3, holding two stories the old loader wrote."""
    import numpy as np

    from transforms import clusters

    text = OLD_TEXT
    signature = clusters.signature(text)
    with duckdb.connect(str(path)) as con:
        migrate(con, upto=3)
        for item_id, version in (("00000000000000a1", 2), ("00000000000000b2", 1)):
            con.execute(
                """insert into core.items (item_id, source_id, url, title, summary, body_text,
                   language, published_at, fetched_at, first_seen_at, last_seen_at, content_hash,
                   version, is_smart_city, relevance, batch_id)
                   values (?, 'seoul', ?, '서울시 심야 자율주행버스', '', ?, 'ko', now(), now(),
                           now(), now(), ?, ?, true, 9.0, 'old-batch')""",
                [item_id, f"https://seoul.example/{item_id}", text, f"h{version}", version],
            )
            con.execute(
                "insert into core.item_keys values (?, ?, now())", [f"url:{item_id}", item_id]
            )
            con.execute(
                "insert into core.item_cities values (?, 'Seoul', 'KR', 2.0, '[]', 'city')",
                [item_id],
            )
        for version in (1, 2):  # the old loader kept the current content as a version too
            con.execute(
                "insert into core.item_versions values ('00000000000000a1', ?, ?, 't', '', 'b',"
                " null, now(), 'old-batch')",
                [version, f"h{version}"],
            )
        con.execute(
            "insert into core.item_signatures values ('00000000000000a1', ?)",
            [np.asarray(signature, dtype=np.uint64).tolist()],
        )
        con.execute(
            "insert into core.item_bands select unnest(?::bigint[]), '00000000000000a1'",
            [list(range(clusters.BANDS))],
        )


def test_a_file_of_the_earlier_schema_is_upgraded_without_losing_data(tmp_path):
    path = tmp_path / "old.duckdb"
    _old_file(path)
    with connect(path) as con:
        versions = [
            v for (v,) in con.execute("select version from core.schema_migrations").fetchall()
        ]
        assert versions == [m.version for m in migrations()]
        assert con.execute("select count(*) from items").fetchone()[0] == 2
        assert con.execute("select count(*) from core.item_keys").fetchone()[0] == 2
        assert con.execute("select cities from items order by item_id").fetchall() == [
            (["Seoul"],),
            (["Seoul"],),
        ]
        # superseded content stays a version; the current one now comes from items
        history = con.execute(
            "select version, is_current from item_versions where item_id = '00000000000000a1'"
            " order by version"
        ).fetchall()
        assert history == [(1, False), (2, True)]
        # the signature became the story's 64 band keys, keyed by the item's number
        bands = con.execute("select item_key, band_keys from core.story_bands").fetchall()
        assert [(key, len(keys)) for key, keys in bands] == [(0xA1, 64)]
        assert sorted(bands[0][1]) == sorted(clusters.band_keys(clusters.signature(OLD_TEXT)))
        tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        assert "item_signatures" not in tables
        assert "item_bands" not in tables
        assert "digest_deliveries" in tables
        # 0006 filled the places corrections name, from the gazetteer
        assert con.execute(
            "select country, kind from places where name = 'Incheon'"
        ).fetchall() == [("KR", "city")]
        assert con.execute("select count(*) from tag_corrections").fetchall() == [(0,)]


def test_an_upgraded_file_clusters_a_new_copy_with_its_old_story(tmp_path):
    from tests.helpers.batches import load_raws

    path = tmp_path / "old.duckdb"
    _old_file(path)
    copy = {
        "link": "https://other.example/9",
        "guid": "o9",
        "title": "심야 자율주행버스 노선 확대",
        "summary_html": "",
        "article_status": 200,
        "article_text": "서울시는 강남역과 수서역을 잇는 심야 자율주행버스 노선을 새로 운행한다고 "
        "24일 밝혔다. 안전관리자가 동승하고 운행 데이터는 교통신호 개선에 쓰인다.",
    }
    with connect(path) as con:
        load_raws(con, "new-1", [copy])
        clusters = dict(
            con.execute(
                "select url, cluster_id from items where url in"
                " ('https://other.example/9', 'https://seoul.example/00000000000000a1')"
            ).fetchall()
        )
    assert clusters["https://other.example/9"] == clusters["https://seoul.example/00000000000000a1"]


def _schema_6_runs(con: duckdb.DuckDBPyConnection) -> None:
    """Four sources on three hosts, and the crawls a cityradar before 0007 recorded of them."""
    for source_id, url in (
        ("seoul", "https://news.seoul.go.kr/rss"),
        ("busan", "https://www.busan.go.kr/rss"),
        ("busan_en", "https://english.busan.go.kr:8443/rss"),
        ("busan_blog", "https://www.busan.go.kr/blog/rss"),
    ):
        con.execute(
            "insert into core.sources (source_id, name, kind, url, enabled, updated_at)"
            " values (?, ?, 'feed', ?, true, now())",
            [source_id, source_id, url],
        )
    dns = "DNS lookup failed for news.seoul.go.kr (unknown host, or no network) (https://x)"
    refused = "connection refused: Connection was refused by other side: 111 (https://x)"
    no_route = "could not connect: No route to host: 101: Network is unreachable. (https://x)"
    runs = [
        # offline: every source failed to connect (two batches, so all were in back-off)
        ("offline1", "seoul", dns),
        ("offline1", "busan", dns),
        ("offline1", "busan_en", refused),
        ("offline2", "seoul", no_route),
        ("offline2", "busan", dns),
        ("offline2", "busan_en", dns),
        # one source down among others that worked: its own failure
        ("mixed", "seoul", dns),
        ("mixed", "busan", None),
        ("mixed", "busan_en", None),
        # every source failed, but one of them with a server's answer
        ("http", "seoul", dns),
        ("http", "busan", "HTTP 503 Service Unavailable from https://www.busan.go.kr/rss"),
        # a run of one source, or of one host, cannot tell that host from the network
        ("alone", "seoul", dns),
        ("one_host", "busan", dns),
        ("one_host", "busan_blog", refused),
    ]
    for batch_id, source_id, error in runs:
        con.execute(
            "insert into core.crawl_runs (batch_id, source_id, started_at, finished_at, status,"
            " items_seen, items_new, articles_fetched, article_errors, requests, bytes, error)"
            " values (?, ?, now(), now(), ?, ?, 0, 0, 0, 1, 0, ?)",
            [batch_id, source_id, "failed" if error else "ok", 0 if error else 3, error],
        )


def test_0007_releases_the_sources_an_offline_run_put_into_back_off(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        migrate(con, upto=6)
        _schema_6_runs(con)
    with connect(path) as con:
        marked = con.execute(
            "select batch_id, bool_and(network_down), bool_or(network_down) from source_runs"
            " group by batch_id order by batch_id"
        ).fetchall()
        assert marked == [
            ("alone", False, False),
            ("http", False, False),
            ("mixed", False, False),
            ("offline1", True, True),
            ("offline2", True, True),
            ("one_host", False, False),
        ]


def test_0008_empties_published_at_where_the_date_lay_too_far_ahead(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        migrate(con, upto=7)
        for item_id, raw, flag in (
            ("00000000000000a1", "2082-01-01 09:00", "future"),
            ("00000000000000b2", "2026-11-20 09:00", None),
        ):
            con.execute(
                """insert into core.items (item_id, source_id, title, published_at, published_raw,
                   date_flag, fetched_at, first_seen_at, last_seen_at, content_hash, version,
                   is_smart_city, batch_id)
                   values (?, 'seoul', 't', ?::timestamp at time zone 'Asia/Seoul', ?, ?,
                           '2026-11-20 03:00+00', '2026-11-20 03:00+00', '2026-11-20 03:00+00',
                           'h', 2, true, 'b')""",
                [item_id, raw, raw, flag],
            )
            con.execute(
                "insert into core.item_versions values (?, 1, 'h0', 't', '', '',"
                " ?::timestamp at time zone 'Asia/Seoul', '2026-11-19 03:00+00', 'b')",
                [item_id, raw],
            )
    with connect(path) as con:
        rows = con.execute(
            "select item_id, published_raw, date_flag, year(published_at), week from items"
            " order by item_id"
        ).fetchall()
        assert rows == [
            ("00000000000000a1", "2082-01-01 09:00", "future", None, "2026-W47"),
            ("00000000000000b2", "2026-11-20 09:00", None, 2026, "2026-W47"),
        ]
        versions = con.execute(
            "select item_id, year(published_at) from core.item_versions order by item_id"
        ).fetchall()
        assert versions == [("00000000000000a1", None), ("00000000000000b2", 2026)]


def test_0010_renames_the_listing_keys_of_landed_raw_records_and_leaves_their_text_alone(
    tmp_path,
):
    path = tmp_path / "old.duckdb"
    landed = [
        # landed before RawItem.feed_url/feed_language became listing_*; its title quotes a key
        '{"seq":0,"feed_url":"https://a.example/rss","feed_language":"ko",'
        '"title":"\\"feed_url\\": x"}',
        '{"seq":1,"listing_url":"https://b.example/board","listing_language":null}',
    ]
    with duckdb.connect(str(path)) as con:
        migrate(con, upto=9)
        for seq, record in enumerate(landed):
            con.execute("insert into raw.items values ('b', 's', ?, ?::json, now())", [seq, record])
    with connect(path) as con:
        rows = con.execute(
            "select record->>'listing_url', record->>'listing_language', record->>'title',"
            " json_exists(record, '$.feed_url'), json_exists(record, '$.feed_language')"
            " from raw.items order by seq"
        ).fetchall()
        assert rows == [
            ("https://a.example/rss", "ko", '"feed_url": x', False, False),
            ("https://b.example/board", None, None, False, False),
        ]


def test_a_writer_with_a_memory_limit_spills_beside_the_warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path, memory_limit="64MB") as con:
        limit, spill = con.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
        # a sort far larger than the limit completes by spilling, not by failing
        (count,) = con.execute(
            "select count(*) from (select md5(i::varchar) as h from range(3000000) t(i) order by h)"
        ).fetchone()
    assert limit.endswith("MiB")
    assert float(limit.split()[0]) <= 64
    assert spill == str(tmp_path / "w.duckdb.tmp")
    assert count == 3_000_000
