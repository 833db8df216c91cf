"""Items become the loader's columns a chunk at a time; exact duplicates (same canonical URL or
GUID) are collapsed here, once, across chunks."""

from __future__ import annotations

from tests.helpers.factories import make_raw, make_source
from transforms import dedupe
from transforms.normalize import normalize, normalize_chunks
from warehouse.columnar import item_tables

SOURCE = make_source(id="test_feed", org_type="city", city="Busan", name="부산광역시")

RAWS = [
    make_raw(
        seq=0,
        link="https://news.example.kr/view/1",
        guid="g-1",
        title="부산시, 스마트 횡단보도 설치",
        summary_html="<p>해운대에 스마트 횡단보도를 설치한다.</p>",
        published_raw="2026-11-20 09:00:00",
    ),
    make_raw(
        seq=1,
        link="https://news.example.kr/view/2",
        guid="g-2",
        title="Seoul expands autonomous buses",
        summary_html="<p>Seoul adds driverless night buses in Gangnam.</p>",
        published_raw="2026-11-20 10:00:00",
    ),
    # the story of row 0 again under a second GUID, published earlier: the copy to keep
    make_raw(
        seq=2,
        link="https://news.example.kr/view/1?utm_source=rss",
        guid="g-1b",
        title="부산시, 스마트 횡단보도 설치 (종합)",
        summary_html="<p>부산 해운대구에 스마트 횡단보도를 설치한다고 밝혔다.</p>",
        published_raw="2026-11-20 08:00:00",
    ),
    make_raw(
        seq=3,
        link="https://news.example.kr/view/3",
        guid="g-3",
        title="인천 송도 스마트시티 실증",
        summary_html="<p>송도에서 자율주행 셔틀을 시험한다.</p>",
        published_raw="2026-11-21 09:00:00",
    ),
]


def chunked_tables(chunk_size: int):
    items = [normalize(raw, SOURCE) for raw in RAWS]
    return item_tables(
        items[start : start + chunk_size] for start in range(0, len(items), chunk_size)
    )


def test_a_duplicate_in_a_later_chunk_folds_into_one_row_keeping_the_better_copy():
    tables = chunked_tables(chunk_size=1)
    rows = tables.items.to_pylist()
    assert [r["row"] for r in rows] == [0, 1, 2]
    titles = [r["title"] for r in rows]  # in the batch order of the copies kept
    assert titles == [
        "Seoul expands autonomous buses",
        "부산시, 스마트 횡단보도 설치 (종합)",  # published earlier than row 0's copy: kept
        "인천 송도 스마트시티 실증",
    ]
    assert tables.duplicates_folded == 1
    # the kept row carries every key of its group
    busan_keys = {k["key"] for k in tables.keys.to_pylist() if k["row"] == 1}
    assert len(busan_keys) >= 3  # two GUIDs and the shared canonical URL
    # tag tables point at the renumbered rows: Songdo is Incheon, on the row of its title
    incheon_rows = {c["row"] for c in tables.cities.to_pylist() if c["city"] == "Incheon"}
    assert incheon_rows == {titles.index("인천 송도 스마트시티 실증")}
    assert set(tables.band_keys["row"].to_pylist()) <= {0, 1, 2}


def test_chunk_size_changes_nothing():
    one, two, whole = chunked_tables(1), chunked_tables(2), chunked_tables(len(RAWS))
    for name in ("items", "keys", "cities", "countries", "focus_areas", "band_keys"):
        assert getattr(one, name).equals(getattr(whole, name)), name
        assert getattr(two, name).equals(getattr(whole, name)), name


def test_normalised_chunks_collapse_once_into_the_same_tables():
    tables = item_tables(normalize_chunks(RAWS, {"test_feed": SOURCE}))
    assert tables.duplicates_folded == 1
    for name in ("items", "keys", "cities", "countries", "focus_areas", "band_keys"):
        assert getattr(tables, name).equals(getattr(chunked_tables(1), name)), name
    # the kept copy is named by the first key of its group
    ids = {item["row"]: item["item_id"] for item in tables.items.to_pylist()}
    first_keys = {}
    for key in tables.keys.to_pylist():
        first_keys.setdefault(key["row"], key["key"])
    assert ids == {row: dedupe.item_id_for(key) for row, key in first_keys.items()}


def columns_of(raws, sources):
    """The item tables of raw items, as the ingest flow builds them."""
    return item_tables(normalize_chunks(raws, {source.id: source for source in sources}))


def test_the_same_page_from_two_feeds_is_one_item_keeping_the_richer_copy():
    trade = make_source(id="trade", language="en", org_type="trade")
    news = make_source(id="news", language="en")
    page = "https://www.koreadaily.example/view/AEN1"
    raws = [
        make_raw(
            source_id="trade",
            seq=0,
            link=page + "?utm_source=weekly",
            guid="t-1",
            title="Songdo shuttles",
        ),
        make_raw(
            source_id="news",
            seq=0,
            link=page,
            guid="n-1",
            title="Songdo shuttles",
            article_text="INCHEON -- Self-driving shuttles start.",
            article_status=200,
        ),
    ]
    tables = columns_of(raws, [trade, news])
    (item,) = tables.items.to_pylist()
    assert item["source_id"] == "news"
    assert item["article_status"] == 200
    assert tables.duplicates_folded == 1
    assert set(tables.keys["key"].to_pylist()) == {f"url:{page}", "guid:trade:t-1", "guid:news:n-1"}


def test_a_feed_that_moved_its_urls_keeps_its_guids():
    raws = [
        make_raw(seq=0, link="https://a.example/old/1", guid="same"),
        make_raw(seq=1, link="https://a.example/new/1", guid="same"),
    ]
    tables = columns_of(raws, [make_source()])
    assert (tables.items.num_rows, tables.duplicates_folded) == (1, 1)


def test_different_stories_stay_apart():
    raws = [
        make_raw(seq=0, link="https://a.example/1", guid="1"),
        make_raw(seq=1, link="https://a.example/2", guid="2"),
    ]
    tables = columns_of(raws, [make_source()])
    assert (tables.items.num_rows, tables.duplicates_folded) == (2, 0)


def test_no_items_gives_empty_tables_with_their_columns():
    tables = item_tables([])
    assert tables.items.num_rows == 0
    assert "title" in tables.items.column_names
    assert tables.duplicates_folded == 0
