"""Finding terms: one pass over the text, Kiwi only around the terms, the matches as before.

``reference_find`` below is the matcher as it was before it was made fast (issue 17, point 8):
each Hangul term looked up with ``str.find``, the whole text analysed by Kiwi, each character's
morpheme kept in a dict, each Latin pattern run over the whole text. The tagger's output with it
and with the fast matcher must be the same on every item of the written eval sets, alone or
analysed a chunk at a time as ingest does, and on labelled train and dev items with bodies of an
article's length when ../shared/labelled is there. The reference still asks Kiwi about the edges
of topic terms, which the fast matcher no longer does: the equality shows that check rejected
nothing on these items either.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from training.eval_sets import GATE_SETS, load_sets
from training.labelled import DEFAULT_FOLDER, read_labelled
from transforms import matching
from transforms.matching import (
    CONTEXT_WORDS,
    NAME_SUFFIXES,
    Match,
    Morphemes,
    Vocabulary,
    analysis_windows,
    has_hangul,
    kiwi_tokens,
)
from transforms.normalize import ANALYSIS_CHUNK, CleanText, analysed_ahead, batched
from transforms.tagging import tag_item

EVAL = Path(__file__).resolve().parents[2] / "eval"
Item = tuple[str, str, str]  # title, summary, body


def _reference_morphemes(text: str) -> tuple[dict[int, int], dict[int, int], set[int]]:
    start_of: dict[int, int] = {}
    end_of: dict[int, int] = {}
    in_noun: set[int] = set()
    for token in kiwi_tokens(text):
        end = token.start + token.len
        for position in range(token.start, end):
            start_of[position] = token.start
            end_of[position] = end
        if token.tag.startswith(matching.NOMINAL_TAGS):
            in_noun.update(range(token.start, end))
    return start_of, end_of, in_noun


def _reference_bounded(names: bool, text: str, start: int, end: int) -> bool:
    start_of, end_of, in_noun = _reference_morphemes(text)
    if names:
        if start_of.get(start) != start or start not in in_noun:
            return False
        morpheme_end = end_of.get(end - 1)
        return morpheme_end == end or (
            morpheme_end is not None and text[end:morpheme_end] in NAME_SUFFIXES
        )
    starts_ok = start_of.get(start) == start or start in in_noun
    ends_ok = end_of.get(end - 1) == end or (end - 1) in in_noun
    return starts_ok and ends_ok


def _reference_pattern(terms: dict[str, str], ignore_case: bool) -> re.Pattern[str] | None:
    """A Latin pattern as it was written: the edge first, the terms grouped by first character."""
    if not terms:
        return None
    groups: dict[str, list[str]] = {}
    for term in sorted(terms, key=len, reverse=True):
        groups.setdefault(term[0].lower() if ignore_case else term[0], []).append(term)
    branches = [
        re.escape(first)
        + "(?:"
        + "|".join(matching._term_pattern(t)[len(re.escape(t[0])) :] for t in members)
        + ")"
        for first, members in groups.items()
    ]
    return re.compile(
        rf"(?<![A-Za-z0-9])(?:{'|'.join(branches)})(?![A-Za-z0-9])",
        re.IGNORECASE if ignore_case else 0,
    )


_reference_patterns: dict[int, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = {}


def reference_find(
    self: Vocabulary, text: str, field: str, morphemes: Morphemes | None = None
) -> list[Match]:
    """Vocabulary.find as it was: a regex pass per Latin pattern, a str.find per Hangul term."""
    found: list[Match] = []
    if id(self) not in _reference_patterns:
        _reference_patterns[id(self)] = (
            _reference_pattern(self._exact_keys, ignore_case=False),
            _reference_pattern(self._folded_keys, ignore_case=True),
        )
    exact, folded = _reference_patterns[id(self)]
    for pattern, keys, forms, fold in (
        (exact, self._exact_keys, self._exact_forms, False),
        (folded, self._folded_keys, self._folded_forms, True),
    ):
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            term = matching._lookup_latin(m.group(0), forms, fold)
            if term is not None:
                found.append(Match(term, keys[term], field, m.start(), m.end()))
    if not (self._hangul and has_hangul(text)):
        return found
    taken = bytearray(len(text))
    for term, key in self._hangul:
        start = text.find(term)
        while start != -1:
            end = start + len(term)
            overlaps = taken.find(1, start, end) != -1
            if not overlaps and _reference_bounded(self._names, text, start, end):
                found.append(Match(term, key, field, start, end))
                taken[start:end] = b"\x01" * (end - start)
            start = text.find(term, start + 1)
    return found


def tags_of(items: list[Item], chunked: bool) -> list[dict]:
    """The tagger's output for each item, alone or chunks analysed together as ingest does."""
    if not chunked:
        return [tag_item(*item).to_dict() for item in items]
    chunks = (
        (chunk, [CleanText(t, s, b, b) for t, s, b in chunk])
        for chunk in batched(items, ANALYSIS_CHUNK)
    )
    return [tag_item(*item).to_dict() for chunk, _ in analysed_ahead(chunks) for item in chunk]


def assert_same_as_reference(items: list[Item], monkeypatch: pytest.MonkeyPatch) -> None:
    alone, chunked = tags_of(items, chunked=False), tags_of(items, chunked=True)
    with monkeypatch.context() as patched:
        patched.setattr(Vocabulary, "find", reference_find)
        reference = tags_of(items, chunked=False)
    for item, fast, fast_chunked, old in zip(items, alone, chunked, reference, strict=True):
        assert fast == old, item
        assert fast_chunked == old, item


def test_the_tags_of_every_eval_item_are_those_of_the_reference_matcher(monkeypatch):
    items = [(i.title, i.summary, i.body) for i in load_sets(EVAL / name for name in GATE_SETS)]
    assert len(items) >= 200
    assert_same_as_reference(items, monkeypatch)


def test_the_tags_of_labelled_items_with_long_bodies_are_those_of_the_reference(monkeypatch):
    if not DEFAULT_FOLDER.is_dir():
        pytest.skip("../shared/labelled is not available")
    texts = [
        (item.title, item.summary)
        for item in read_labelled(DEFAULT_FOLDER)
        if item.split in ("train", "dev")  # never test
    ][: 2 * ANALYSIS_CHUNK]
    # a body of 1,000 characters from the next items' summaries, as bench/tagging.py makes them
    items = [
        (title, summary, " ".join(s for _, s in texts[i + 1 : i + 8])[:1000])
        for i, (title, summary) in enumerate(texts)
    ]
    assert_same_as_reference(items, monkeypatch)


def test_windows_hold_each_term_with_its_neighbouring_words():
    Vocabulary([("콰라콰라", "q"), ("쿠루쿠루", "k")], names=True)  # known from now on
    text = "aa bb cc dd 콰라콰라시는 ee ff gg hh ii jj 쿠루쿠루 kk"
    assert CONTEXT_WORDS == 2
    assert [text[a:b] for a, b in analysis_windows(text)] == [
        "cc dd 콰라콰라시는 ee ff",
        "ii jj 쿠루쿠루 kk",
    ]


def test_windows_next_to_each_other_are_read_as_one():
    Vocabulary([("콰라콰라", "q"), ("쿠루쿠루", "k")], names=True)
    text = "aa bb cc 콰라콰라 dd ee ff gg 쿠루쿠루 hh ii jj"
    assert [text[a:b] for a, b in analysis_windows(text)] == [
        "bb cc 콰라콰라 dd ee ff gg 쿠루쿠루 hh ii"
    ]


def test_text_without_known_terms_is_not_analysed():
    assert analysis_windows("그저 평범한 문장이다") == []
    assert Morphemes.near_terms("그저 평범한 문장이다").starts == []


def test_a_vocabulary_made_after_the_analysis_still_finds_its_terms():
    text = "퀴르퀴르시는 새 정책을 발표했다"
    early = Morphemes.near_terms(text)  # no vocabulary knows 퀴르퀴르 yet: nothing analysed
    late = Vocabulary([("퀴르퀴르", "Q")], names=True)
    assert [m.key for m in late.find(text, "title", early)] == ["Q"]


def test_a_term_listed_twice_keeps_its_first_key_and_longer_terms_win():
    vocabulary = Vocabulary([("송도", "Incheon"), ("송도국제도시", "Incheon zone"), ("송도", "X")])
    found = vocabulary.find("송도국제도시와 송도", "body")
    assert [(m.term, m.key, m.start) for m in found] == [
        ("송도국제도시", "Incheon zone", 0),
        ("송도", "Incheon", 8),
    ]


def test_boundaries_inside_contractions_follow_the_last_morpheme():
    # 보여주는 is 보이|어|주|는, 보이 and 어 both covering 여: 여주 does not start a morpheme
    text = "앱에서 보여주는 플랫폼"
    morphemes = Morphemes.of(text)
    assert not morphemes.bounds_name(5, 7, text, NAME_SUFFIXES)
    assert morphemes.bounds_name(0, 1, text, NAME_SUFFIXES)  # 앱 is a noun


def test_latin_terms_are_found_alike_in_any_case_and_beside_case_traps():
    vocabulary = Vocabulary([("smart city", "s"), ("taxi", "t"), ("Seoul", "S")])
    for text in ("SMART CITY taxis in Seoul", "ſmart city taxis", "İstanbul taxi", "ıtaxi taxi"):
        expected = reference_find(vocabulary, text, "body")
        assert vocabulary.find(text, "body") == expected, text
    assert [m.term for m in vocabulary.find("Smart-City TAXIS, seoul", "body")] == [
        "smart city",
        "taxi",
    ]


def test_only_the_case_traps_are_taken_for_ascii_letters_otherwise_than_lower_says():
    # the fast path lower-cases text and matches without IGNORECASE; that is the same wherever
    # IGNORECASE equates a character with an ASCII letter or digit exactly when str.lower()
    # turns it into one, i.e. everywhere but at the characters matching._CASE_TRAPS names
    alnum = re.compile("[a-z0-9]", re.IGNORECASE)
    lowered_alnum = set(string.ascii_lowercase + string.digits)
    differing = set()
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        lowered = char.lower()
        by_lower = len(lowered) == 1 and lowered in lowered_alnum
        if bool(alnum.fullmatch(char)) != by_lower or (
            by_lower and not re.fullmatch(re.escape(lowered), char, re.IGNORECASE)
        ):
            differing.add(char)
    assert differing == {c for c in map(chr, range(0x250)) if matching._CASE_TRAPS.match(c)}


def test_where_tokens_overlap_the_last_in_kiwis_order_holds_the_position():
    # a noun over 0-2 and a morpheme at 1-2 listed after it (as contractions are: 했 is 하|었)
    text = "가나다"
    listed = [(0, 2, True), (1, 2, False), (2, 3, False)]
    morphemes = Morphemes.of_windows([(0, 3)], [listed], 0)
    assert morphemes.bounds_name(1, 2, text, frozenset())  # 1 starts the later one, in a noun
    assert morphemes.bounds_name(0, 2, text, frozenset())
    # listed the other way round, the noun comes last and holds position 1
    swapped = Morphemes.of_windows([(0, 3)], [[listed[1], listed[0], listed[2]]], 0)
    assert not swapped.bounds_name(1, 2, text, frozenset())
    assert swapped.bounds_name(0, 2, text, frozenset())
