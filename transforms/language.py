"""Language of an item's text (py3langid), falling back to what the source declares."""

from __future__ import annotations

import re
from functools import lru_cache

import py3langid
from py3langid.langid import LanguageIdentifier

# Below this many letters a guess is noise; the declared language is better evidence.
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.8  # measured: wrong guesses on short English titles scored 0.30-0.64
# The languages sources publish in, world-wide. The full model also knows dozens of languages
# no source of ours uses, and short English titles then come out as, say, Nigerian Pidgin.
LANGUAGES = (
    "ko",
    "en",
    "ja",
    "zh",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "sv",
    "da",
    "fi",
    "no",
    "pl",
    "ru",
    "uk",
    "ar",
    "he",
    "tr",
    "vi",
    "id",
    "ms",
    "th",
    "hi",
    "et",
    "cs",
    "hu",
    "ro",
    "el",
)


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(py3langid.langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


_HANGUL_SYLLABLE = re.compile("[\uac00-\ud7a3]")


def load_identifier() -> None:
    """Load the identifier's model now, ahead of the first text."""
    _identifier()


def release_identifier() -> None:
    """Drop the identifier's model (it loads again on first use)."""
    _identifier.cache_clear()


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of ``text``.

    Args:
        text: the item's clean text (title and body).
        declared: a language hint from the feed, page or source (``ko``, ``en-US``…).

    Returns:
        "ko" for mostly-Hangul text; the detected code when the text is long enough and the
        guess confident; else the declared code (its primary subtag); else None (unknown).
    """
    hint = declared.split("-")[0].split("_")[0].lower() if declared else None
    letters = sum(map(str.isalpha, text))  # counted in C: a story has thousands of characters
    # Hangul is written only for Korean: a mostly-Hangul text is Korean at any length
    if letters and len(_HANGUL_SYLLABLE.findall(text)) * 2 >= letters:
        return "ko"
    if letters < MIN_LETTERS:
        return hint
    code, confidence = _identifier().classify(text)
    return code if confidence >= MIN_CONFIDENCE else hint
