"""Near-duplicate stories: MinHash over character shingles (which need no word boundaries, so
Korean works as well as English), cut into bands whose keys find candidates and, counted, say how
alike two stories are.

Wire copies, small edits and re-titled reposts of one story share a cluster; the cluster id is
the item id of its earliest member. Only the band keys are stored: two texts with Jaccard
similarity J share each 2-row band with probability J², so the number of shared bands out of 64
estimates J (for J = 0.3, about 5.8 bands, give or take 2.3) without keeping the signature.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

NUM_PERM = 128
BANDS, ROWS = 64, 2
SHINGLE = 4  # characters
# Measured on the evaluation set: rewrites of one story by two outlets share >= 0.37 of their
# 4-character shingles (8 bands or more); stories on the same topic that read differently share
# fewer; look-alike stories about different cities are told apart by their places.
SIMILARITY = 0.3
MIN_SHARED_BANDS = math.ceil(BANDS * SIMILARITY**ROWS)  # 6
# A band key shared by more stories than this is a template or a repeated notice, not one
# story: its bucket is skipped, so a batch of look-alike pages costs linear work, not quadratic.
MAX_BUCKET = 100
# A source's own pages share its template (breadcrumbs, "담당부서", the 공공누리 notice, a
# satisfaction survey), which on short releases alone reaches 0.3-0.4: eight releases of one
# ministry's demo site shared 6-10 bands. One source repeats a story as a corrected release or a
# wire update, which keeps most of the text, so its own pages must share twice as much.
SAME_SOURCE_SIMILARITY = 0.6
MIN_SHARED_BANDS_SAME_SOURCE = math.ceil(BANDS * SAME_SOURCE_SIMILARITY**ROWS)  # 24
MIN_CHARS = 60  # too little text to tell a story from a headline template
_SPACE = re.compile(r"\s+")
_SEED = 7  # fixed, so band keys stored in the warehouse stay comparable


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """Character shingles of normalised text (case folded, whitespace collapsed)."""
    flat = _SPACE.sub(" ", text.casefold()).strip()
    return {flat[i : i + size] for i in range(max(len(flat) - size + 1, 0))}


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature of a text (None when the text is too short to compare)."""
    if len(text.strip()) < MIN_CHARS:
        return None
    # imported here: datasketch's package brings SciPy (~1 s), which a run that signs no text
    # (nothing new, or a command that only opens the warehouse) should not pay for
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED)
    minhash.update_batch([s.encode("utf-8") for s in shingles(text)])
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def load_minhash() -> None:
    """Import datasketch (and SciPy with it, ~1 s) now, ahead of the first text to sign."""
    import datasketch  # noqa: F401


def band_keys(values: np.ndarray) -> list[int]:
    """One key per band: items sharing any key are candidates (signed 32-bit, for DuckDB INTEGER)."""
    return band_key_matrix(values.reshape(1, -1))[0].tolist()


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def band_key_matrix(signatures: np.ndarray) -> np.ndarray:
    """Band keys of many signatures at once: (items x NUM_PERM) uint64 -> (items x BANDS) int32.

    Each band's rows are folded through the splitmix64 finaliser, seeded by the band's number,
    so equal rows in different bands give different keys; 32 bits suffice, since a story needs
    MIN_SHARED_BANDS equal keys with another, which chance collisions never give.
    """
    chunks = signatures.astype(np.uint64, copy=False).reshape(-1, BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = np.broadcast_to(np.arange(1, BANDS + 1, dtype=np.uint64) * _GOLDEN, chunks.shape[:2])
        for row in range(ROWS):
            keys = _splitmix(keys ^ chunks[:, :, row])
    folded = (keys >> np.uint64(32)) ^ (keys & np.uint64(0xFFFFFFFF))
    return folded.astype(np.uint32).view(np.int32)


def _splitmix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def shared_band_pairs(
    keys: np.ndarray, minimum: int = MIN_SHARED_BANDS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of rows of one band-key matrix (items x BANDS) that share at least ``minimum`` bands.

    Each band column is sorted on its own, so rows meet only where a key repeats; in a batch of
    distinct stories that is rare, and the work is a sort per band (0.3 s for 100k stories), not
    a join of every key with every other. Returns (first rows, second rows, bands shared), each
    pair once with first < second.
    """
    if len(keys) < 2:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    firsts, seconds = [], []
    for band in range(keys.shape[1]):
        band_firsts, band_seconds = _equal_key_pairs(keys[:, band])
        firsts.append(band_firsts)
        seconds.append(band_seconds)
    codes = np.concatenate(firsts) * len(keys) + np.concatenate(seconds)
    pairs, counts = np.unique(codes, return_counts=True)
    kept = counts >= minimum
    return pairs[kept] // len(keys), pairs[kept] % len(keys), counts[kept]


def _equal_key_pairs(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of rows (first < second) whose keys in one band are equal."""
    order = np.argsort(column, kind="stable")
    ordered = column[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(column)])
    firsts, seconds = [], []
    wanted = (sizes > 1) & (sizes <= MAX_BUCKET)
    for start, size in zip(starts[wanted], sizes[wanted], strict=True):
        run = np.sort(order[start : start + size])
        a, b = np.triu_indices(size, 1)
        firsts.append(run[a])
        seconds.append(run[b])
    if not firsts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(firsts).astype(np.int64), np.concatenate(seconds).astype(np.int64)


def shared_bands(a: Iterable[int], b: Iterable[int]) -> int:
    """How many band keys two stories share."""
    return len(set(a) & set(b))


def story_text(title: str, summary: str, body: str) -> str:
    """The text a story is compared by: its body, with the title when the body is short."""
    body = body.strip()
    return body if len(body) >= 200 else f"{title} {summary} {body}"


def same_story(
    shared: int,
    places_a: frozenset[str] = frozenset(),
    places_b: frozenset[str] = frozenset(),
    same_source: bool = False,
) -> bool:
    """Whether two items tell one story: enough shared bands, and no clash of places.

    Items that each name places, none of them shared, report two events even when they read
    alike: "Anyang opens smart bus shelters" and "Gimhae installs smart bus shelters". Two items
    of one source need more in common, since its page template is common to all of them.
    """
    if places_a and places_b and not places_a & places_b:
        return False
    return shared >= (MIN_SHARED_BANDS_SAME_SOURCE if same_source else MIN_SHARED_BANDS)


def connect(nodes: Sequence[str], links: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Connected groups: node -> the first node of its group, in the order of ``nodes``."""
    order = {node: index for index, node in enumerate(nodes)}
    parent = {node: node for node in nodes}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:  # the earlier node stays the root
            first, second = sorted((ra, rb), key=order.__getitem__)
            parent[second] = first
    return {node: root(node) for node in nodes}


def cluster(
    ids: Sequence[str],
    keys: Sequence[Sequence[int] | None],
    places: Sequence[frozenset[str]] | None = None,
    sources: Sequence[str | None] | None = None,
) -> dict[str, str]:
    """Cluster items: id -> cluster id (the first id of its cluster, in the given order).

    Args:
        ids: item ids, earliest first.
        keys: their band keys (None: text too short to compare).
        places: the places each item was tagged with, to keep apart look-alike local stories.
        sources: the source of each item (None: unknown, taken as distinct).
    """
    places = places or [frozenset()] * len(ids)
    sources = sources or [None] * len(ids)
    by_key: dict[int, list[int]] = {}
    for index, item_keys in enumerate(keys):
        for key in item_keys or ():
            by_key.setdefault(key, []).append(index)
    shared: dict[tuple[int, int], int] = {}
    for members in by_key.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                shared[(a, b)] = shared.get((a, b), 0) + 1
    links = [
        (ids[a], ids[b])
        for (a, b), count in shared.items()
        if same_story(count, places[a], places[b], _one_source(sources[a], sources[b]))
    ]
    return connect(ids, links)


@dataclass(frozen=True)
class Candidate:
    """A stored story in a candidate pair: what deciding its cluster needs to know of it."""

    cluster_id: str | None  # the cluster it is in already (None: none yet)
    first_seen_at: datetime
    source_id: str
    places: frozenset[str] = frozenset()  # cities its text names (see ``names_the_place``)


@dataclass(frozen=True)
class ClusterChanges:
    """What linking a load's candidate pairs changes in the warehouse."""

    assigned: dict[str, str]  # item id -> the cluster id it now has
    merged: dict[str, str]  # cluster id a new story bridged -> the cluster id its members take


def names_the_place(reasons: Iterable[Mapping[str, object]]) -> bool:
    """Whether a city tag comes from the story's own text: the publisher's city (a reason of
    field "source") says nothing about which story this is."""
    return any(reason["field"] != "source" for reason in reasons)


def stories_in(pairs: Iterable[tuple[str, str, int]]) -> list[str]:
    """The item ids that candidate pairs (id, id, shared bands) name, sorted."""
    return sorted({item_id for a, b, _ in pairs for item_id in (a, b)})


def assign_clusters(
    pairs: Sequence[tuple[str, str, int]], candidates: Mapping[str, Candidate]
) -> ClusterChanges:
    """Join the candidate pairs that tell one story and give each group one cluster id.

    A group takes the cluster id its earliest member (first seen, then by id) already has, or
    else that member's item id; a cluster the group's other members were in is merged into it.

    Args:
        pairs: (item id, item id, band keys they share), as the loader found them.
        candidates: every item id of ``pairs`` (``stories_in``) and what is stored of it.
    """
    nodes = stories_in(pairs)
    links = (
        (a, b)
        for a, b, shared in pairs
        if same_story(
            shared,
            candidates[a].places,
            candidates[b].places,
            same_source=candidates[a].source_id == candidates[b].source_id,
        )
    )
    groups: dict[str, list[str]] = {}
    for node, root in connect(nodes, links).items():
        groups.setdefault(root, []).append(node)
    assigned: dict[str, str] = {}
    merged: dict[str, str] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        first = min(members, key=lambda m: (candidates[m].first_seen_at, m))
        target = candidates[first].cluster_id or first
        for member in members:
            old = candidates[member].cluster_id
            if old and old != target:
                merged[old] = target
            assigned[member] = target
    return ClusterChanges(assigned, merged)


def _one_source(a: str | None, b: str | None) -> bool:
    return a is not None and a == b


def pairs_of(groups: Iterable[Iterable[str]]) -> set[frozenset[str]]:
    """All unordered pairs within each group."""
    found: set[frozenset[str]] = set()
    for group in groups:
        members = sorted(set(group))
        found.update(frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1 :])
    return found
