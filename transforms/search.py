"""Search queries: a user's words as the terms the warehouse's ``search(q)`` macro looks for.

The macro matches each term as a substring of a story's title, summary and body (case folded),
which suits Korean, where a word carries its particles (부산시가, 부산에서), and ranks with BM25.
A query typed with particles or endings ("자율주행버스를") is reduced to its content morphemes by
Kiwi first, so it finds the stories a bare noun would.
"""

from __future__ import annotations

import re
from itertools import pairwise

from transforms.matching import has_hangul, kiwi_tokens

# Kiwi tags of the morphemes worth searching for: nouns, roots, numbers, foreign words, serials
_CONTENT_TAGS = ("NN", "XR", "SL", "SN", "SH", "W_SERIAL")


def query_terms(query: str) -> list[str]:
    """The search terms of a query: Korean words without particles, other words lower-cased."""
    terms: list[str] = []
    for word in query.split():
        terms.extend(_word_terms(word))
    return list(dict.fromkeys(t for t in terms if t))


def _word_terms(word: str) -> list[str]:
    if not has_hangul(word):
        return [word.lower().strip(".,;:!?\"'()[]")]
    content = [t for t in kiwi_tokens(word) if t.tag.startswith(_CONTENT_TAGS)]
    if not content:
        return [word]
    # a run of nouns written as one word stays one term (자율주행버스를 -> 자율주행버스)
    first, last = content[0], content[-1]
    if all(a.start + a.len == b.start for a, b in pairwise(content)):
        return [word[first.start : last.start + last.len].lower()]
    return [t.form.lower() for t in content]


def sql_query(terms: list[str]) -> str:
    """The terms as the single string the ``search`` macro takes (space-separated)."""
    return " ".join(re.sub(r"\s+", "", t) for t in terms)
