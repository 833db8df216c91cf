"""`cityradar classify`: one JSON record (id; title, summary and/or body; language) -> tags with reasons."""

from __future__ import annotations

from typing import Any

from transforms.language import detect_language
from transforms.tagging import Reason, Tag, tag_item
from transforms.text import clean_line, clean_text
from transforms.vocabularies import gazetteer


def classify_record(record: dict[str, Any]) -> dict[str, Any]:
    """Tag one record from whatever text it has: a title, a summary or a body (any of them).

    An RSS item may carry only a description, and a stored page may show no headline: such a
    record is tagged from its summary or body like any other.

    Raises:
        ValueError: the record is not an object, has no ``id``, or has no text in any field.
    """
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    if record.get("id") in (None, ""):
        raise ValueError("each record needs an 'id'")
    title = clean_line(str(record.get("title") or ""))
    summary = clean_text(str(record.get("summary") or ""))
    body = clean_text(str(record.get("body") or ""))
    if not (title or summary or body):
        raise ValueError(f"record {record['id']!r} has no text (title, summary or body)")
    tags = tag_item(title, summary, body)
    places = gazetteer().places
    provinces = {
        t.value for t in tags.cities if t.value in places and places[t.value].kind == "province"
    }
    return {
        "id": record["id"],
        "language": record.get("language") or detect_language(f"{title}\n{summary}\n{body}"),
        "cities": [t.value for t in tags.cities if t.value not in provinces],
        "regions": [t.value for t in tags.cities if t.value in provinces],
        "countries": [t.value for t in tags.countries],
        "focus_areas": [t.value for t in tags.focus_areas],
        "is_smart_city": tags.is_smart_city,
        "relevance": tags.relevance,
        "reasons": {
            "cities": _reasons(tags.cities),
            "countries": _reasons(tags.countries),
            "focus_areas": _reasons(tags.focus_areas),
            "smart_city": [_reason(r) for r in tags.relevance_reasons],
        },
    }


def _reasons(tags: list[Tag]) -> dict[str, list[dict[str, Any]]]:
    return {t.value: [_reason(r) for r in t.reasons] for t in tags}


def _reason(reason: Reason) -> dict[str, Any]:
    return reason.to_dict()
