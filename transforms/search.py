"""Search queries: a user's words as the terms the warehouse's ``search(q)`` macro looks for.

The macro matches each term as a substring of a story's title, summary and body (case folded),
which suits Korean, where a word carries its particles (부산시가, 부산에서), and ranks with BM25.
A query typed with particles or endings ("자율주행버스를") is reduced to its content morphemes by
Kiwi first, so it finds the stories a bare noun would. Kiwi takes seconds to load, so a word
whose last syllable ends no particle, ending or suffix (스마트시티, 서울) is searched as typed,
which is what Kiwi would make of it.
"""

from __future__ import annotations

import re
from itertools import pairwise

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_PUNCTUATION = ".,;:!?\"'()[]"

# Kiwi tags of the morphemes worth searching for: nouns, roots, numbers, foreign words, serials
_CONTENT_TAGS = ("NN", "XR", "SL", "SN", "SH", "W_SERIAL")
# last syllables of Korean particles (를, 에서, 까지, 처럼), endings (하다, 하는, 했음) and suffixes
# (들, 적, 히): a word ending in one of them may carry one, and Kiwi decides
_FUNCTION_FINALS = frozenset(
    "가과게고까께나네는니다던데도든들때라랑려로를마만며면보부서써아야어에여와요을음의이인임"
    "자적조죠지차치터테해했한할함히된될됨"
)


def query_terms(query: str) -> list[str]:
    """The search terms of a query: Korean words without particles, other words lower-cased."""
    terms: list[str] = []
    for word in query.split():
        terms.extend(_word_terms(word))
    return list(dict.fromkeys(t for t in terms if t))


def _word_terms(word: str) -> list[str]:
    if not _HANGUL.search(word):
        return [word.lower().strip(_PUNCTUATION)]
    bare = word.strip(_PUNCTUATION)
    if bare and bare[-1] not in _FUNCTION_FINALS:  # a bare noun: no Kiwi to load
        return [bare.lower()]
    from transforms.matching import kiwi_tokens  # Kiwi and its module: only when needed

    content = [t for t in kiwi_tokens(word) if t.tag.startswith(_CONTENT_TAGS)]
    if not content:
        return [word]
    # a run of nouns written as one word stays one term (자율주행버스를 -> 자율주행버스)
    first, last = content[0], content[-1]
    if all(a.start + a.len == b.start for a, b in pairwise(content)):
        return [word[first.start : last.start + last.len].lower()]
    return [t.form.lower() for t in content]
