"""Find vocabulary terms in text: word-bounded regexes for Latin script, morpheme boundaries for Korean.

Korean has no spaces between a noun and its particles (부산시가, 부산에서), and substrings of
words are often other words (부산물 "by-product" contains 부산). A Hangul term therefore only
matches where Kiwi's morphological analysis puts a morpheme start, and where the match ends
on a morpheme end, or is followed inside the same morpheme only by an administrative or
place suffix (부산|시, 송도|국제도시, 부산|항).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from kiwipiepy import Kiwi

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
# Kiwi tags of nouns and of what names start with besides nouns: numbers and serials (5-1생활권),
# Latin and Chinese letters (K-water, 世宗)
_NOMINAL_TAGS = ("NN", "SN", "SL", "SH", "W_SERIAL")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN_EDGE_BEFORE = r"(?<![A-Za-z0-9])"
_LATIN_EDGE_AFTER = r"(?![A-Za-z0-9])"


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
    # ~1 s to load; one analyser per process, analysing batches on every core
    # without the multi-word dictionary: 250 MB less memory, the same tags (make eval)
    return Kiwi(num_workers=os.cpu_count() or 1, load_multi_dict=False)


def release_kiwi() -> None:
    """Drop the analyser and what it analysed (it loads again on first use)."""
    _kiwi.cache_clear()
    kiwi_tokens.cache_clear()


# texts analysed ahead in one batch (primed_analysis), read before asking Kiwi one by one
_primed: dict[str, tuple[Token, ...]] = {}


@contextmanager
def primed_analysis(texts: Iterable[str]) -> Iterator[None]:
    """Analyse the Korean ``texts`` together, in parallel, for the block; forget them after."""
    korean = list(dict.fromkeys(t for t in texts if has_hangul(t)))
    for text, tokens in zip(korean, _kiwi().tokenize(iter(korean)), strict=True):
        _primed[text] = tuple(Token(t.form, t.tag, t.start, t.len) for t in tokens)
    try:
        yield
    finally:
        _primed.clear()


@dataclass(frozen=True)
class Token:
    """One morpheme as Kiwi found it."""

    form: str
    tag: str
    start: int
    len: int


@lru_cache(maxsize=16)
def kiwi_tokens(text: str) -> tuple[Token, ...]:
    """Kiwi's morphemes of a text; cached, since tagging and the search index read the same fields."""
    primed = _primed.get(text)
    if primed is not None:
        return primed
    return tuple(Token(t.form, t.tag, t.start, t.len) for t in _kiwi().tokenize(text))


@dataclass(frozen=True)
class Morphemes:
    """Morpheme boundaries of a text, from Kiwi: for each character, its morpheme's span and kind."""

    start_of: dict[int, int]
    end_of: dict[int, int]
    in_noun: frozenset[int]

    @classmethod
    def of(cls, text: str) -> Morphemes:
        """Analyse ``text`` (empty result for text without Hangul)."""
        if not has_hangul(text):
            return cls({}, {}, frozenset())
        start_of: dict[int, int] = {}
        end_of: dict[int, int] = {}
        in_noun: set[int] = set()
        for token in kiwi_tokens(text):
            end = token.start + token.len
            for position in range(token.start, end):
                start_of[position] = token.start
                end_of[position] = end
            if token.tag.startswith(_NOMINAL_TAGS):
                in_noun.update(range(token.start, end))
        return cls(start_of, end_of, frozenset(in_noun))

    def bounds_name(self, start: int, end: int, text: str, suffixes: frozenset[str]) -> bool:
        """A name: starts a noun morpheme; ends one, or only an allowed suffix follows in it."""
        # a noun (or number), because verb forms hide names: 보여주는 ("showing") is 보이|어|주|는, and
        # 여주 (Yeoju) would otherwise start at the contracted ending 어
        if self.start_of.get(start) != start or start not in self.in_noun:
            return False
        morpheme_end = self.end_of.get(end - 1)
        return morpheme_end == end or (
            morpheme_end is not None and text[end:morpheme_end] in suffixes
        )

    def bounds_term(self, start: int, end: int) -> bool:
        """A topic term: its edges are morpheme edges or fall inside a compound noun."""
        starts_ok = self.start_of.get(start) == start or start in self.in_noun
        ends_ok = self.end_of.get(end - 1) == end or (end - 1) in self.in_noun
        return starts_ok and ends_ok


class Vocabulary:
    """A set of terms, each mapping to a key (a city, a focus area…)."""

    def __init__(
        self,
        terms: Iterable[tuple[str, str]],
        names: bool = False,
        case_sensitive: bool | None = None,
    ) -> None:
        """Index terms.

        Args:
            terms: (term, key) pairs.
            names: proper names (places): Hangul needs morpheme edges or a NAME_SUFFIXES suffix;
                otherwise topic terms, which may also sit inside compound nouns (수소|버스).
            case_sensitive: force Latin case handling; None decides per term (capitals or
                digits mean an acronym or name, matched as written).
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
        self._exact = _compile(latin_exact, ignore_case=False)
        self._folded = _compile(latin_folded, ignore_case=True)
        self._exact_keys = latin_exact
        self._folded_keys = latin_folded
        # spelling variants (spaces, hyphens) back to the vocabulary term
        self._exact_forms = {_canonical_latin(t): t for t in latin_exact}
        self._folded_forms = {_canonical_latin(t): t for t in latin_folded}

    def find(self, text: str, field: str, morphemes: Morphemes | None = None) -> list[Match]:
        """Every match of a term in ``text``; Hangul matches need ``morphemes`` of the same text."""
        found: list[Match] = []
        for pattern, keys, forms, fold in (
            (self._exact, self._exact_keys, self._exact_forms, False),
            (self._folded, self._folded_keys, self._folded_forms, True),
        ):
            if pattern is None:
                continue
            for m in pattern.finditer(text):
                term = _lookup_latin(m.group(0), forms, fold)
                if term is not None:
                    found.append(Match(term, keys[term], field, m.start(), m.end()))
        if self._hangul and has_hangul(text):
            analysis = morphemes or Morphemes.of(text)
            found.extend(self._find_hangul(text, field, analysis))
        return found

    def _find_hangul(self, text: str, field: str, morphemes: Morphemes) -> list[Match]:
        found: list[Match] = []
        taken = bytearray(len(text))  # 1 where a longer term already matched
        for term, key in self._hangul:  # longest first, so 송도국제도시 wins over 송도
            start = text.find(term)
            while start != -1:
                end = start + len(term)
                overlaps = taken.find(1, start, end) != -1
                if not overlaps and self._bounded(morphemes, start, end, text):
                    found.append(Match(term, key, field, start, end))
                    taken[start:end] = b"\x01" * (end - start)
                start = text.find(term, start + 1)
        return found

    def _bounded(self, morphemes: Morphemes, start: int, end: int, text: str) -> bool:
        if self._names:
            return morphemes.bounds_name(start, end, text, NAME_SUFFIXES)
        return morphemes.bounds_term(start, end)


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


def _compile(terms: dict[str, str], ignore_case: bool) -> re.Pattern[str] | None:
    if not terms:
        return None
    flags = re.IGNORECASE if ignore_case else 0
    alternation = _by_first_character(terms, ignore_case)
    return re.compile(f"{_LATIN_EDGE_BEFORE}(?:{alternation}){_LATIN_EDGE_AFTER}", flags)


def _by_first_character(terms: Iterable[str], ignore_case: bool) -> str:
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
        branches.append(f"{head}(?:{'|'.join(rests)})")
    return "|".join(branches)


def _canonical_latin(text: str) -> str:
    # the pattern allows "smart phone", "smart-phone" and "smartphone"; all three must map back
    return re.sub(r"[\s\-]+", "", text)


def _lookup_latin(matched: str, forms: dict[str, str], fold: bool) -> str | None:
    """The vocabulary term a regex match stands for (undoing plural and spacing variants)."""
    variant = _canonical_latin(matched.lower() if fold else matched)
    candidates = (variant, variant[:-1], variant[:-2])
    if variant.endswith("ies"):
        candidates += (variant[:-3] + "y",)
    for form in candidates:
        if form in forms:
            return forms[form]
    return None
