"""Find vocabulary terms in text: word-bounded regexes for Latin script, morpheme boundaries for Korean.

Korean has no spaces between a noun and its particles (부산시가, 부산에서), and substrings of
words are often other words (부산물 "by-product" contains 부산). A Hangul term therefore only
matches where Kiwi's morphological analysis puts a morpheme start, and where the match ends
on a morpheme end, or is followed inside the same morpheme only by an administrative or
place suffix (부산|시, 송도|국제도시, 부산|항).

Kiwi is the costly part, so it reads only what a match needs: the words of each known term
with two words either side (``analysis_windows``), a chunk's texts together, and every
vocabulary finds its terms in one Aho-Corasick pass over the text.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from ahocorasick_rs import AhoCorasick
from kiwipiepy import Kiwi

from transforms.kiwi_process import (
    NOMINAL_TAGS,
    AnalyserGone,
    KiwiProcess,
    Spans,
    new_kiwi,
    spans_of,
)

# What may follow a name inside one morpheme: 부산시, 서울시민, 인천항, 세종시청…
NAME_SUFFIXES: frozenset[str] = frozenset(
    {
        "시",
        "도",
        "군",
        "구",
        "동",
        "읍",
        "면",
        "광역시",
        "특별시",
        "특별자치시",
        "특별자치도",
        "시청",
        "시장",
        "시민",
        "시의회",
        "시내",
        "시교육청",
        "도청",
        "구청",
        "구청장",
        "구민",
        "군청",
        "군수",
        "군민",
        "청장",
        "특례시",
        "항",
        "역",
        "공항",
        "권",
        "지역",
        "지구",
        "국제도시",
        "신도시",
        "형",
        "시정",
        "시립",
    }
)
_log = logging.getLogger(__name__)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN_EDGE_BEFORE = r"(?<![A-Za-z0-9])"
# the same edge, written after a term's first character: a pattern that opens with the terms'
# first characters lets the regex engine skip every other position at once
_LATIN_EDGE_BEFORE_HEAD = r"(?<![A-Za-z0-9][\s\S])"
_LATIN_EDGE_AFTER = r"(?![A-Za-z0-9])"
# the characters IGNORECASE takes for ASCII letters that str.lower() does not lower to them
# (İ ı ſ; tests/transforms/test_matching.py checks every code point)
_CASE_TRAPS = re.compile("[\u0130\u0131\u017f]")


@dataclass(frozen=True)
class Match:
    """A term found in a field of the text."""

    term: str
    key: str
    field: str
    start: int
    end: int


def has_hangul(text: str) -> bool:
    """True when the text contains Korean syllables."""
    return bool(_HANGUL.search(text))


@lru_cache(maxsize=1)
def _kiwi() -> Kiwi:
    # ~1.5 s to load; in this process for a text at a time (a search query, Morphemes.of) and
    # where the analyser's process cannot run
    return new_kiwi()


class _Analyser:
    """Where the tagger's texts are analysed: Kiwi's own process (see transforms.kiwi_process),
    or this process's Kiwi once that process cannot be started or has ended."""

    def __init__(self) -> None:
        self._process: KiwiProcess | None = None
        try:
            self._process = KiwiProcess()
        except AnalyserGone as error:
            self._give_up(error)

    @property
    def pid(self) -> int | None:
        """The analyser process's id, or None when analysing in this process."""
        return self._process.pid if self._process is not None else None

    def spans(self, pieces: list[str]) -> list[Spans]:
        """Each piece's morphemes."""
        if self._process is not None:
            try:
                return self._process.spans(pieces)
            except AnalyserGone as error:
                self._give_up(error)
        return spans_of(_kiwi(), pieces)

    def close(self) -> None:
        """End the analyser's process (if any)."""
        if self._process is not None:
            self._process.close()
            self._process = None

    def _give_up(self, error: AnalyserGone) -> None:
        _log.warning("%s; Korean text is analysed in this process from now on", error)
        self.close()


_analyser_lock = threading.Lock()
_analyser: _Analyser | None = None


def _the_analyser() -> _Analyser:
    global _analyser
    with _analyser_lock:  # two threads asking at once start one process
        if _analyser is None:
            _analyser = _Analyser()
        return _analyser


def load_kiwi() -> None:
    """Start Kiwi's process now (it loads in ~1.5 s beside whatever this process does next),
    ahead of the first text that needs it."""
    _the_analyser()


def kiwi_loaded() -> bool:
    """Whether the analyser has been started (and not released since)."""
    return _analyser is not None


def analyser_pid() -> int | None:
    """The id of Kiwi's process while it runs (its memory is not this process's)."""
    return _analyser.pid if _analyser is not None else None


def release_kiwi() -> None:
    """End Kiwi's process and drop this process's Kiwi and what it analysed (it loads again on
    first use)."""
    global _analyser
    with _analyser_lock:
        if _analyser is not None:
            _analyser.close()
        _analyser = None
    _kiwi.cache_clear()
    kiwi_tokens.cache_clear()


atexit.register(release_kiwi)


# Kiwi's boundaries at a match depend on the words around it; the words of the match and two
# more on either side give the same boundaries as the whole text on every text of the eval sets
# and of the labelled train and dev items (tests/transforms/test_matching.py)
CONTEXT_WORDS = 2
_WORD = re.compile(r"\S+")


class _Generations:
    """One counter for every registry of known terms: an analysis made at a generation knows
    every term of every vocabulary made before it."""

    value = 0


class _KnownTerms:
    """Hangul terms of vocabularies made so far: where Kiwi will be asked for boundaries."""

    def __init__(self) -> None:
        self._terms: set[str] = set()
        self._automaton: AhoCorasick | None = None

    @property
    def generation(self) -> int:
        """The newest generation (of any registry)."""
        return _Generations.value

    def add(self, terms: Iterable[str]) -> int:
        """Know these terms too; the generation that knows them."""
        new = set(terms) - self._terms
        if new:
            self._terms |= new
            self._automaton = None
            _Generations.value += 1
        return _Generations.value

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where any known term occurs in the text (overlaps included)."""
        if not self._terms:
            return []
        if self._automaton is None:
            self._automaton = AhoCorasick(sorted(self._terms))
        return [
            (s, e) for _, s, e in self._automaton.find_matches_as_indexes(text, overlapping=True)
        ]


# every Hangul word matched whole (places, context words): where Kiwi is asked for boundaries.
# Topic terms are not among them: they may sit inside compound nouns (수소|버스), and Kiwi's check
# of their edges (an edge inside a verb or ending would fail it) rejected none of 3,842
# occurrences in the labelled train and dev items and the eval sets, nor of 15,795 in the tagging
# bench, while reading the words around them cost a third of the rules' time (docs/performance.md)
_KNOWN = _KnownTerms()
# the Hangul terms of place vocabularies: all a text read only for its places needs analysed
# (the rest of a long body, attachments)
_NAMES = _KnownTerms()


def analysis_windows(text: str, names_only: bool = False) -> list[tuple[int, int]]:
    """The stretches Kiwi must read: the words of each known term (of each name, with
    ``names_only``) with CONTEXT_WORDS either side."""
    spans = (_NAMES if names_only else _KNOWN).spans(text)
    if not spans:
        return []
    words = [m.span() for m in _WORD.finditer(text)]
    starts = [start for start, _ in words]
    last = len(words) - 1
    ranges = sorted(
        {
            (
                max(bisect_right(starts, start) - 1 - CONTEXT_WORDS, 0),
                min(bisect_right(starts, end - 1) - 1 + CONTEXT_WORDS, last),
            )
            for start, end in spans
        }
    )
    merged: list[list[int]] = []
    for first, final in ranges:
        if merged and first <= merged[-1][1] + 1:  # overlapping or next to each other
            merged[-1][1] = max(merged[-1][1], final)
        else:
            merged.append([first, final])
    return [(words[first][0], words[final][1]) for first, final in merged]


# texts analysed ahead together (using_analysis), read before asking Kiwi one by one
_primed: dict[str, Morphemes] = {}


def analyse_texts(texts: Iterable[str], names: Iterable[str] = ()) -> dict[str, Morphemes]:
    """The boundaries around known terms of each Korean text, the texts analysed together.

    Only the words around known terms are read (``analysis_windows``), each distinct window
    once, in Kiwi's own process (so this may run in a thread beside tagging: the thread waits
    on a pipe, not on the interpreter).
    The ``names`` texts are read only around names (a text in both is read around every term).
    """
    generation = _KNOWN.generation
    korean = list(dict.fromkeys(t for t in texts if has_hangul(t)))
    windows = {text: (analysis_windows(text), False) for text in korean}
    for text in dict.fromkeys(t for t in names if has_hangul(t)):
        windows.setdefault(text, (analysis_windows(text, names_only=True), True))
    pieces = list(
        dict.fromkeys(text[a:b] for text, (spans, _) in windows.items() for a, b in spans)
    )
    analysed = dict(zip(pieces, _analyse(pieces), strict=True))
    return {
        text: Morphemes.of_windows(
            spans, [analysed[text[a:b]] for a, b in spans], generation, names_only
        )
        for text, (spans, names_only) in windows.items()
    }


@contextmanager
def using_analysis(analysis: dict[str, Morphemes]) -> Iterator[None]:
    """Let ``Morphemes.near_terms`` find these analyses for the block; forget them after."""
    _primed.update(analysis)
    try:
        yield
    finally:
        _primed.clear()


@contextmanager
def primed_analysis(texts: Iterable[str], names: Iterable[str] = ()) -> Iterator[None]:
    """Analyse the Korean ``texts`` (and ``names`` texts, around names only) together
    (``analyse_texts``) and use that for the block."""
    with using_analysis(analyse_texts(texts, names)):
        yield


def _analyse(pieces: list[str]) -> list[Spans]:
    """Kiwi's morphemes of each piece, in Kiwi's process (on every core, beside this one)."""
    if not pieces:
        return []
    return _the_analyser().spans(pieces)


@dataclass(frozen=True)
class Token:
    """One morpheme as Kiwi found it."""

    form: str
    tag: str
    start: int
    len: int


@lru_cache(maxsize=16)
def kiwi_tokens(text: str) -> tuple[Token, ...]:
    """Kiwi's morphemes of a text; cached, since a text is often asked about twice."""
    return tuple(Token(t.form, t.tag, t.start, t.len) for t in _kiwi().tokenize(text))


@dataclass(frozen=True)
class Morphemes:
    """Morpheme boundaries of a text (or of windows of it), from Kiwi: token spans in start order.

    Where tokens overlap (contractions: 했 is 하 + 었), a position belongs to the last of them in
    Kiwi's order, and is in a noun when any of them is one.
    """

    starts: list[int]
    ends: list[int]
    nominal: list[bool]
    reach: list[int]  # the furthest end among the tokens up to each one
    # the terms known when the windows were chosen (None: the whole text was analysed)
    generation: int | None = None
    # each token's place in Kiwi's order, where that is not the order of position (None)
    order: list[int] | None = None
    names_only: bool = False  # read around names only: no topic term may be asked about

    @classmethod
    def of(cls, text: str) -> Morphemes:
        """Analyse the whole ``text`` (empty result for text without Hangul)."""
        if not has_hangul(text):
            return cls.of_windows([], [], None)
        tokens = [
            (t.start, t.start + t.len, t.tag.startswith(NOMINAL_TAGS)) for t in kiwi_tokens(text)
        ]
        return cls.of_windows([(0, len(text))], [tokens], None)

    @classmethod
    def near_terms(cls, text: str) -> Morphemes:
        """Boundaries around every known term in ``text`` (``analysis_windows``): all a match needs."""
        primed = _primed.get(text)
        if primed is not None and primed.covers(_KNOWN.generation):
            return primed
        generation = _KNOWN.generation
        if not has_hangul(text):
            return cls.of_windows([], [], generation)
        spans = analysis_windows(text)
        return cls.of_windows(spans, _analyse([text[a:b] for a, b in spans]), generation)

    @classmethod
    def near_names(cls, text: str) -> Morphemes:
        """Boundaries around every place name in ``text``: all a text read for places needs."""
        primed = _primed.get(text)
        if primed is not None and primed.covers(_NAMES.generation, names=True):
            return primed
        generation = _NAMES.generation
        if not has_hangul(text):
            return cls.of_windows([], [], generation, names_only=True)
        spans = analysis_windows(text, names_only=True)
        pieces = _analyse([text[a:b] for a, b in spans])
        return cls.of_windows(spans, pieces, generation, names_only=True)

    @classmethod
    def of_windows(
        cls,
        windows: list[tuple[int, int]],
        tokens: list[Spans],
        generation: int | None,
        names_only: bool = False,
    ) -> Morphemes:
        """Boundaries from the tokens of each window (offsets within the window), windows in order."""
        starts: list[int] = []
        ends: list[int] = []
        nominal: list[bool] = []
        for (offset, _), spans in zip(windows, tokens, strict=True):
            for start, end, noun in spans:
                starts.append(offset + start)
                ends.append(offset + end)
                nominal.append(noun)
        order = None
        if starts != sorted(starts):  # Kiwi lists morphemes by position; should it ever not
            order = sorted(range(len(starts)), key=starts.__getitem__)
            starts = [starts[i] for i in order]
            ends = [ends[i] for i in order]
            nominal = [nominal[i] for i in order]
        reach = list(accumulate(ends, max, initial=0))[1:]
        return cls(starts, ends, nominal, reach, generation, order, names_only)

    def covers(self, generation: int, names: bool = False) -> bool:
        """Whether the windows include every term (every name, with ``names``) known at
        ``generation``."""
        if self.names_only and not names:
            return False
        return self.generation is None or self.generation >= generation

    def _at(self, position: int) -> tuple[int, int, bool] | None:
        """The span of the morpheme at a position, and whether it is in a noun; None outside any."""
        index = bisect_right(self.starts, position) - 1
        found, latest = None, -1  # the covering token that comes last in Kiwi's order
        noun = False
        while index >= 0 and self.reach[index] > position:  # earlier tokens end before position
            if self.ends[index] > position:
                place = index if self.order is None else self.order[index]
                if place > latest:
                    found, latest = index, place
                noun = noun or self.nominal[index]
            index -= 1
        return None if found is None else (self.starts[found], self.ends[found], noun)

    def bounds_name(self, start: int, end: int, text: str, suffixes: frozenset[str]) -> bool:
        """A name: starts a noun morpheme; ends one, or only an allowed suffix follows in it."""
        # a noun (or number), because verb forms hide names: 보여주는 ("showing") is 보이|어|주|는, and
        # 여주 (Yeoju) would otherwise start at the contracted ending 어
        first = self._at(start)
        if first is None or first[0] != start or not first[2]:
            return False
        last = self._at(end - 1)
        return last is not None and (last[1] == end or text[end : last[1]] in suffixes)


class Vocabulary:
    """A set of terms, each mapping to a key (a city, a focus area…)."""

    def __init__(
        self,
        terms: Iterable[tuple[str, str]],
        names: bool = False,
        case_sensitive: bool | None = None,
        places: bool = False,
    ) -> None:
        """Index terms.

        Args:
            terms: (term, key) pairs.
            names: words matched whole (places, context words): Hangul needs morpheme edges
                (Kiwi's) or a NAME_SUFFIXES suffix; otherwise topic terms, found wherever they
                occur, compound nouns included (수소|버스), without asking Kiwi (see ``_KNOWN``).
            case_sensitive: force Latin case handling; None decides per term (capitals or
                digits mean an acronym or name, matched as written).
            places: searched in the whole text, the parts read for places only too (Kiwi reads
                those parts around these terms only).
        """
        self._names = names
        self._hangul: list[tuple[str, str]] = []
        latin_exact: dict[str, str] = {}
        latin_folded: dict[str, str] = {}
        for term, key in terms:
            term = term.strip()
            if not term:
                continue
            if has_hangul(term):
                self._hangul.append((term, key))
            elif _is_case_sensitive(term, case_sensitive):
                latin_exact[term] = key
            else:
                latin_folded[term.lower()] = key
        self._hangul.sort(key=lambda pair: -len(pair[0]))
        # one pass over the text finds every term; a term listed twice keeps its first key (a
        # later key could only match where the first one already did)
        first_keys = dict(reversed(self._hangul))
        self._hangul_terms = list(dict.fromkeys(term for term, _ in self._hangul))
        self._hangul_keys = [first_keys[term] for term in self._hangul_terms]
        self._hangul_automaton = AhoCorasick(self._hangul_terms) if self._hangul_terms else None
        self._generation = _KNOWN.add(self._hangul_terms) if names else 0
        self._places = places
        if places:
            self._generation = _NAMES.add(self._hangul_terms)
        self._exact = _compile(latin_exact, ignore_case=False, edge_after_head=True)
        # folded terms are lower case: on lower-cased text, the same pattern without IGNORECASE
        # finds the same matches several times faster
        ascii_only = all(term.isascii() for term in latin_folded)
        self._folded_lowered = _compile(latin_folded, ignore_case=False) if ascii_only else None
        # with IGNORECASE: then needed only for the rare text with a _CASE_TRAPS letter, so
        # compiled on the first one (a tenth of the gazetteer's and taxonomy's load time)
        self._folded_pattern: re.Pattern[str] | None = None
        self._exact_keys = latin_exact
        self._folded_keys = latin_folded
        # spelling variants (spaces, hyphens) back to the vocabulary term
        self._exact_forms = {_canonical_latin(t): t for t in latin_exact}
        self._folded_forms = {_canonical_latin(t): t for t in latin_folded}

    def find(self, text: str, field: str, morphemes: Morphemes | None = None) -> list[Match]:
        """Every match of a term in ``text``; Hangul matches need ``morphemes`` of the same text."""
        found: list[Match] = []
        for matches, keys, forms, fold in self._latin_runs(text):
            for m in matches:
                term = _lookup_latin(m.group(0), forms, fold)
                if term is not None:
                    found.append(Match(term, keys[term], field, m.start(), m.end()))
        if self._hangul_automaton is not None and has_hangul(text):
            found.extend(self._find_hangul(text, field, morphemes))
        return found

    def _latin_runs(
        self, text: str
    ) -> Iterator[tuple[Iterator[re.Match[str]], dict[str, str], dict[str, str], bool]]:
        """Each Latin pattern's matches, with the keys and spelling forms to read them by."""
        if self._exact is not None:
            yield self._exact.finditer(text), self._exact_keys, self._exact_forms, False
        if not self._folded_keys:
            return
        if self._folded_lowered is not None and not _CASE_TRAPS.search(text):
            pattern, subject = self._folded_lowered, text.lower()  # as long as the text
        else:
            pattern, subject = self._folded_ignoring_case(), text
        yield pattern.finditer(subject), self._folded_keys, self._folded_forms, True

    def _folded_ignoring_case(self) -> re.Pattern[str]:
        if self._folded_pattern is None:
            self._folded_pattern = _compile(self._folded_keys, ignore_case=True)
        assert self._folded_pattern is not None  # there are folded terms
        return self._folded_pattern

    def _find_hangul(self, text: str, field: str, morphemes: Morphemes | None) -> list[Match]:
        found: list[Match] = []
        assert self._hangul_automaton is not None
        # (term's rank, start, end): longest term first, so 송도국제도시 wins over 송도; then as listed
        occurrences = sorted(self._hangul_automaton.find_matches_as_indexes(text, overlapping=True))
        if not occurrences:
            return found
        if self._names and (
            morphemes is None or not morphemes.covers(self._generation, names=self._places)
        ):
            morphemes = Morphemes.near_names(text) if self._places else Morphemes.near_terms(text)
        taken = bytearray(len(text))  # 1 where a longer term already matched
        for rank, start, end in occurrences:
            overlaps = taken.find(1, start, end) != -1
            if not overlaps and (not self._names or self._bounded(morphemes, start, end, text)):
                term = self._hangul_terms[rank]
                found.append(Match(term, self._hangul_keys[rank], field, start, end))
                taken[start:end] = b"\x01" * (end - start)
        return found

    def _bounded(self, morphemes: Morphemes | None, start: int, end: int, text: str) -> bool:
        assert morphemes is not None  # fetched above for every vocabulary of names
        return morphemes.bounds_name(start, end, text, NAME_SUFFIXES)


def _is_case_sensitive(term: str, forced: bool | None) -> bool:
    if forced is not None:
        return forced
    return any(ch.isupper() or ch.isdigit() for ch in term)


def _term_pattern(term: str) -> str:
    """Regex for a Latin term: '-' and ' ' interchangeable, optional plural (battery/batteries)."""
    words = re.split(r"[\s\-]+", term)
    body = r"[\s\-]?".join(re.escape(w) for w in words)
    if not term[-1].isalpha():
        return body
    if term[-1] == "y" and len(term) > 2 and term[-2] not in "aeiou":
        return body[:-1] + "(?:y|ies)"
    return body + "(?:s|es)?"


def _compile(
    terms: dict[str, str], ignore_case: bool, edge_after_head: bool = False
) -> re.Pattern[str] | None:
    """The terms' pattern; with ``edge_after_head``, the same matches written to be found faster
    (without IGNORECASE, the engine then looks only where a term's first character is)."""
    if not terms:
        return None
    flags = re.IGNORECASE if ignore_case else 0
    if edge_after_head:
        alternation = _by_first_character(terms, ignore_case, _LATIN_EDGE_BEFORE_HEAD)
        return re.compile(f"(?:{alternation}){_LATIN_EDGE_AFTER}", flags)
    alternation = _by_first_character(terms, ignore_case)
    return re.compile(f"{_LATIN_EDGE_BEFORE}(?:{alternation}){_LATIN_EDGE_AFTER}", flags)


def _by_first_character(terms: Iterable[str], ignore_case: bool, after_head: str = "") -> str:
    """The terms' alternation, grouped under their first character, longest first in each group.

    Python's regex engine tries the branches of an alternation one by one at every position;
    with thousands of place names that is most of the tagging time. Grouping by the first
    character lets it skip all but one group at once, and keeps the order within a group (the
    only branches that can match at a position), so the matches are the same.
    """
    groups: dict[str, list[str]] = {}
    for term in sorted(terms, key=len, reverse=True):
        groups.setdefault(term[0].lower() if ignore_case else term[0], []).append(term)
    branches = []
    for first, members in groups.items():
        head = re.escape(first)
        rests = []
        for term in members:
            pattern = _term_pattern(term)
            written = re.escape(term[0])
            # the pattern begins with the escaped first character (as written, any case)
            rests.append(pattern[len(written) :])
        branches.append(f"{head}{after_head}(?:{'|'.join(rests)})")
    return "|".join(branches)


def _canonical_latin(text: str) -> str:
    # the pattern allows "smart phone", "smart-phone" and "smartphone"; all three must map back
    return re.sub(r"[\s\-]+", "", text)


def _lookup_latin(matched: str, forms: dict[str, str], fold: bool) -> str | None:
    """The vocabulary term a regex match stands for (undoing plural and spacing variants)."""
    variant = _canonical_latin(matched.lower() if fold else matched)
    candidates: tuple[str, ...] = (variant, variant[:-1], variant[:-2])
    if variant.endswith("ies"):
        candidates += (variant[:-3] + "y",)
    for form in candidates:
        if form in forms:
            return forms[form]
    return None
