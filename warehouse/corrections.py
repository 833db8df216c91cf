"""Analysts' corrections of the tags: checked and recorded in tag_corrections, read back for training.

A correction names a story and any subset of its labels (smart-city verdict, focus areas,
cities); what it leaves out stays as the tagger (or an earlier correction) says. Corrections live
apart from the tagger's tags, which reloads and `cityradar reclassify` rewrite, and the analyst
views apply them (warehouse/views/corrections.sql), so the machine's own tags stay visible too.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from transforms.dedupe import url_key
from transforms.urls import canonical_url, is_web_url
from transforms.vocabularies import FOCUS_AREAS, gazetteer
from warehouse.db import connect
from warehouse.places import refresh_places

# characters of the body a training example carries (the start holds most of the evidence)
BODY_CHARS = 2000


class CorrectionRejected(Exception):
    """The correction names an unknown story or label; nothing was written."""


@dataclass(frozen=True)
class LabelChange:
    """What an analyst says about one story: any subset of the labels (None keeps the current)."""

    corrected_by: str
    is_smart_city: bool | None = None
    focus_areas: Sequence[str] | None = None  # every focus area of the story; [] for none
    cities: Sequence[str] | None = None  # every city of the story, canonical names; [] for none
    note: str | None = None


@dataclass(frozen=True)
class Recorded:
    """A correction written, and the story's labels as the views now show them."""

    correction_id: int
    item_id: str
    title: str
    corrections: int  # of this story, this one included
    is_smart_city: bool
    focus_areas: tuple[str, ...]
    cities: tuple[str, ...]
    tagger_is_smart_city: bool
    tagger_focus_areas: tuple[str, ...]
    tagger_cities: tuple[str, ...]


@dataclass(frozen=True)
class Correction:
    """A corrected story as a training example: its text and its full label set as analysts say.

    The labels are the analysts' latest word on each label they gave, merged over the tagger's
    for those they did not give (``corrected_labels`` names the former).
    """

    item_id: str
    url: str | None
    language: str | None
    title: str
    summary: str
    body_text: str  # the first BODY_CHARS characters
    is_smart_city: bool
    focus_areas: tuple[str, ...]
    cities: tuple[str, ...]
    corrected_labels: tuple[str, ...]  # of is_smart_city, focus_areas, cities: the analysts'
    note: str | None
    corrected_by: str
    corrected_at: datetime
    tagger_is_smart_city: bool
    tagger_focus_areas: tuple[str, ...]
    tagger_cities: tuple[str, ...]


def checked_focus_areas(values: Sequence[str]) -> list[str]:
    """The focus-area ids, each checked against the fixed ten; duplicates dropped, order kept."""
    for value in values:
        if value not in FOCUS_AREAS:
            raise CorrectionRejected(
                f"unknown focus area {value!r}{_did_you_mean(value, FOCUS_AREAS)}; "
                f"the ids are {', '.join(FOCUS_AREAS)}"
            )
    return list(dict.fromkeys(values))


def checked_cities(values: Sequence[str]) -> list[str]:
    """Canonical city names for ``values`` (case aside); duplicates dropped, order kept."""
    places = gazetteer().places
    by_folded = {name.casefold(): place for name, place in places.items()}
    names = []
    for value in values:
        place = places.get(value) or by_folded.get(value.casefold())
        if place is None:
            raise CorrectionRejected(
                f"unknown city {value!r}{_did_you_mean(value, list(places))}: "
                "give the gazetteer's canonical English name (see the places view)"
            )
        if place.kind != "city":
            raise CorrectionRejected(
                f"{place.name} is a {place.kind}, not a city: corrections name cities "
                "(provinces stay in items.regions as the tagger found them)"
            )
        names.append(place.name)
    return list(dict.fromkeys(names))


def record_correction(
    db_path: Path, item: str, change: LabelChange, lock_timeout: float = 0.0
) -> Recorded:
    """Check a correction and append it to tag_corrections in one transaction.

    Args:
        db_path: the warehouse (opened for writing, so a running load makes this wait).
        item: the story's items.item_id, or its URL (any URL it was known by).
        change: the labels the analyst gives. Marking a story not smart-city without focus areas
            also records that it has none (LABELLING.md: focus areas are for smart-city stories).
        lock_timeout: seconds to wait for another process to release the file.

    Raises:
        CorrectionRejected: an unknown story, focus area or city, no label given, or focus areas
            on a story that is not smart-city.
    """
    focus = None if change.focus_areas is None else checked_focus_areas(change.focus_areas)
    cities = None if change.cities is None else checked_cities(change.cities)
    if change.is_smart_city is None and focus is None and cities is None:
        raise CorrectionRejected("nothing to correct: give --smart, --focus or --cities")
    with connect(db_path, lock_timeout=lock_timeout) as con:
        con.begin()
        try:
            item_id = _resolve_item(con, item)
            focus = _consistent_focus(con, item_id, change.is_smart_city, focus)
            if cities:
                refresh_places(con)  # the views give each named city its country from here
            ((correction_id,),) = con.execute(
                "insert into tag_corrections"
                " (item_id, is_smart_city, focus_areas, cities, note, corrected_by)"
                " values (?, ?, ?, ?, ?, ?) returning correction_id",
                [item_id, change.is_smart_city, focus, cities, change.note, change.corrected_by],
            ).fetchall()
            recorded = _recorded(con, item_id, correction_id)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return recorded


def read_corrections(db_path: Path, lock_timeout: float = 0.0) -> list[Correction]:
    """Every story with a correction, as a training example, oldest correction first.

    Opens the warehouse read-only. Each example has the story's current text (title, summary,
    the first BODY_CHARS characters of the body), its full label set as analysts now say
    (their latest word on each label they gave, the tagger's for the rest), who corrected it
    last, when and why, and the tagger's own labels. A file made before corrections existed
    gives an empty list.
    """
    with connect(db_path, read_only=True, lock_timeout=lock_timeout) as con:
        if not _has_corrections_table(con):
            return []
        rows = con.execute(
            """
            select i.item_id, i.url, i.language, i.title, coalesce(i.summary, ''),
                   left(coalesce(i.body_text, ''), ?), i.is_smart_city, i.focus_areas, i.cities,
                   r.is_smart_city is not null, r.focus_areas is not null, r.cities is not null,
                   i.correction_note, i.corrected_by, i.corrected_at,
                   i.tagger_is_smart_city, i.tagger_focus_areas, i.tagger_cities
            from items as i
            join core.current_corrections as r using (item_id)
            order by i.corrected_at, i.item_id
            """,
            [BODY_CHARS],
        ).fetchall()
    return [_correction(row) for row in rows]


def _correction(row: tuple) -> Correction:
    (item_id, url, language, title, summary, body, smart, focus, cities) = row[:9]
    given = zip(("is_smart_city", "focus_areas", "cities"), row[9:12], strict=True)
    note, by, at, tagger_smart, tagger_focus, tagger_cities = row[12:]
    return Correction(
        item_id=item_id,
        url=url,
        language=language,
        title=title,
        summary=summary,
        body_text=body,
        is_smart_city=bool(smart),
        focus_areas=tuple(focus),
        cities=tuple(cities),
        corrected_labels=tuple(label for label, was_given in given if was_given),
        note=note,
        corrected_by=by,
        corrected_at=at,
        tagger_is_smart_city=bool(tagger_smart),
        tagger_focus_areas=tuple(tagger_focus),
        tagger_cities=tuple(tagger_cities),
    )


def _resolve_item(con: duckdb.DuckDBPyConnection, item: str) -> str:
    """The item id of a story given by its id or by a URL it was known by."""
    ref = item.strip()
    if con.execute("select 1 from core.items where item_id = ?", [ref]).fetchall():
        return ref
    if is_web_url(ref):
        rows = con.execute(
            "select item_id from core.item_keys where key = ?", [url_key(canonical_url(ref))]
        ).fetchall()
        # else a URL whose canonical form was never a key, stored as it is
        rows = rows or con.execute("select item_id from core.items where url = ?", [ref]).fetchall()
        if rows:
            return rows[0][0]
    raise CorrectionRejected(
        f"no story {ref!r} in the warehouse: give an items.item_id or the story's URL"
    )


def _consistent_focus(
    con: duckdb.DuckDBPyConnection, item_id: str, smart: bool | None, focus: list[str] | None
) -> list[str] | None:
    """Focus areas go only on smart-city stories (LABELLING.md).

    A story marked not smart-city loses its focus areas unless some are given, which is refused,
    as are focus areas for a story the views show as not smart-city and that is not marked so now.
    """
    if smart is False:
        if focus:
            raise CorrectionRejected(
                "focus areas go only on smart-city stories: drop --focus, or give --smart yes"
            )
        return []
    if focus and smart is None:
        ((now_smart,),) = con.execute(
            "select is_smart_city from items where item_id = ?", [item_id]
        ).fetchall()
        if not now_smart:
            raise CorrectionRejected(
                f"story {item_id} is not marked smart-city and focus areas go only on "
                "smart-city stories: add --smart yes"
            )
    return focus


def _recorded(con: duckdb.DuckDBPyConnection, item_id: str, correction_id: int) -> Recorded:
    (row,) = con.execute(
        """
        select i.title, r.corrections, i.is_smart_city, i.focus_areas, i.cities,
               i.tagger_is_smart_city, i.tagger_focus_areas, i.tagger_cities
        from items as i join core.current_corrections as r using (item_id)
        where i.item_id = ?
        """,
        [item_id],
    ).fetchall()
    title, count, smart, focus, cities, tagger_smart, tagger_focus, tagger_cities = row
    return Recorded(
        correction_id,
        item_id,
        title,
        count,
        bool(smart),
        tuple(focus),
        tuple(cities),
        bool(tagger_smart),
        tuple(tagger_focus),
        tuple(tagger_cities),
    )


def _has_corrections_table(con: duckdb.DuckDBPyConnection) -> bool:
    ((found,),) = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'main'"
        " and table_name = 'tag_corrections'"
    ).fetchall()
    return found > 0


def _did_you_mean(value: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.7)
    return f" (did you mean {close[0]}?)" if close else ""
