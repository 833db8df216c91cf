"""Identity of items: the keys that say two entries are the same story, and collapsing exact duplicates.

An item is known by every key it ever had: its canonical URL and its source's GUID. Two entries
sharing any key are one item, whichever key changed (a feed that moves its URLs keeps its
GUIDs, one that regenerates GUIDs keeps its URLs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def url_key(canonical: str) -> str:
    """Key of a canonical URL."""
    return f"url:{canonical}"


def guid_key(source_id: str, guid: str) -> str:
    """Key of a GUID, which is only unique within its source."""
    return f"guid:{source_id}:{guid.strip()}"


def text_key(source_id: str, title: str, published_raw: str | None) -> str:
    """Fallback key for an entry with neither link nor GUID."""
    digest = hashlib.sha1(f"{title}\x1f{published_raw or ''}".encode()).hexdigest()[:16]
    return f"text:{source_id}:{digest}"


def item_id_for(key: str) -> str:
    """A short stable item id derived from the item's first key."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def content_hash(title: str, body: str) -> str:
    """What decides that a known item changed (a new version)."""
    return hashlib.sha256(f"{title}\x1f{body}".encode()).hexdigest()[:32]


def collapse(
    items: Sequence[T], keys_of: Callable[[T], list[str]], better: Callable[[T], tuple[object, ...]]
) -> list[tuple[T, list[str], int]]:
    """Group items that share any key; keep the best of each group.

    Args:
        items: candidates, in batch order.
        keys_of: an item's keys.
        better: sort key; the largest value is kept.

    Returns:
        For each group: the kept item, the union of the group's keys (first key first),
        and how many duplicates were folded into it.
    """
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, item in enumerate(items):
        for key in keys_of(item):
            if key in owner:
                parent[root(index)] = root(owner[key])
            else:
                owner[key] = index
    groups: dict[int, list[int]] = {}
    for index in range(len(items)):
        groups.setdefault(root(index), []).append(index)
    result = []
    for members in groups.values():
        keys: list[str] = []
        for index in members:
            keys.extend(k for k in keys_of(items[index]) if k not in keys)
        best = max(members, key=lambda i: better(items[i]))
        result.append((items[best], keys, len(members) - 1))
    return result
