"""Search hit highlights: text HTML-escaped, query words wrapped in ``<mark>``.

A text word matches a query word when both reduce to the same stem: the same
letters once case and Latin diacritics are ignored and common English endings
are stripped, so ``withdrawal`` marks ``Withdrawals`` and ``antonio`` marks
``António``, but ``un`` does not mark ``under``. This approximates the
databases' stemmers closely enough to show why a document matched.
"""

import html
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from typing import overload

__all__ = ["highlight"]

# Stripped repeatedly from the end of a word, keeping at least _MIN_STEM
# characters: "withdrawals" → "withdrawal" → "withdraw", "countries" → "countr".
_SUFFIXES = ("ing", "ies", "ed", "es", "al", "s", "e", "y")
_MIN_STEM = 3
# What may follow a stem in a matching word, up to the word's end. Possessive,
# so a failed match is never retried with other splits of "eseses…", which
# would take exponential time.
_ENDINGS = "(?:" + "|".join(_SUFFIXES) + r")*+(?![^\W_])"
_ELLIPSIS = "…"
_WHITESPACE = re.compile(r"\s+")


def _latin_folding() -> dict[str, str]:
    """Map each precomposed Latin letter to its lowercase base letter ("Á" → "a").

    Latin only, like FTS5's ``remove_diacritics``: in other scripts the marks can
    tell letters apart.
    """
    table: dict[str, str] = {}
    for code in chain(range(0xC0, 0x250), range(0x1E00, 0x1F00)):
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(mark for mark in decomposed if not unicodedata.combining(mark))
        if len(base) == 1 and base != char:
            table[char] = base.lower()
    return table


_FOLDING = _latin_folding()
_ACCENTED = re.compile("[" + "".join(_FOLDING) + "]")


def _fold(text: str) -> str:
    """``text`` lowercased and without Latin diacritics, with its length and offsets."""
    # "İ" is the one character whose lowercase is longer ("i" + U+0307); replaced by
    # "I" first, every character lowercases to one.
    folded = text.replace("\u0130", "I").lower()
    # One str.replace per accented letter present runs in C; str.translate would
    # look every character up in a dict and takes ten times longer on a long body.
    for char in set(_ACCENTED.findall(folded)):
        folded = folded.replace(char, _FOLDING[char])
    return folded


def _stem(word: str) -> str:
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
                word = word[: -len(suffix)]
                stripped = True
                break
    return word


def _is_mark(char: str) -> bool:
    # The comparison first spares the lookup for the usual neighbours (spaces,
    # ASCII punctuation): no combining mark comes before U+0300.
    return char >= "\u0300" and unicodedata.category(char)[0] == "M"


@lru_cache(maxsize=256)
def _patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """A pattern for each stem of ``words``: made once for every text a search marks."""
    # A word that went through str.lower() already spells "İ" as "i" + U+0307.
    stems = {_stem(_fold(word).replace("i\u0307", "i")) for word in words} - {""}
    # Each pattern opens with the literal stem so that the regex engine skips ahead
    # with a fast string search (a leading assertion would disable that, ten times
    # slower on a long body); the word-start check looks back from the stem's end
    # instead. Only at word starts are the endings scanned, so the whole scan stays
    # linear.
    return tuple(
        re.compile(re.escape(stem) + f"(?<![^\\W_].{{{len(stem)}}})" + _ENDINGS) for stem in stems
    )


def _matches(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Offsets of the text words that match a query word, in order."""
    folded = _fold(text)
    found = []
    for pattern in _patterns(tuple(words)):
        for match in pattern.finditer(folded):
            start, end = match.span()
            # A combining mark continues a word, but \w does not know it.
            if (start > 0 and _is_mark(folded[start - 1])) or (
                end < len(folded) and _is_mark(folded[end])
            ):
                continue
            found.append((start, end))
    # Two stems can match the same word: "un" and "uns" (too short to strip) both match "UNs".
    return sorted(set(found))


def _render(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> str:
    parts = []
    position = start
    for span_start, span_end in spans:
        parts.append(html.escape(text[position:span_start]))
        parts.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        position = span_end
    parts.append(html.escape(text[position:end]))
    return "".join(parts)


def _densest(spans: Sequence[tuple[int, int]], max_chars: int) -> tuple[int, int]:
    """Indexes of the first and last of the most matches that fit in ``max_chars``.

    The earliest such run wins a tie. A single match longer than ``max_chars`` is
    a run of one.
    """
    best = (0, 0)
    last = 0
    for first in range(len(spans)):
        last = max(last, first)
        while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= max_chars:
            last += 1
        if last - first > best[1] - best[0]:
            best = (first, last)
    return best


def _window(text: str, start: int, end: int, max_chars: int) -> tuple[int, int]:
    """Widen ``text[start:end]`` to about ``max_chars``, centred, cut at whitespace."""
    size = max(max_chars, end - start)
    window_start = max(start - (size - (end - start)) // 2, 0)
    window_end = min(window_start + size, len(text))
    window_start = max(window_end - size, 0)
    if window_start > 0 and not text[window_start - 1].isspace():
        gap = _WHITESPACE.search(text, window_start, start)
        window_start = gap.end() if gap else start
    if window_end < len(text) and not text[window_end].isspace():
        gaps = list(_WHITESPACE.finditer(text, end, window_end))
        window_end = gaps[-1].start() if gaps else end
    return window_start, window_end


@overload
def highlight(text: str, words: Sequence[str], *, max_chars: None = None) -> str: ...
@overload
def highlight(text: str, words: Sequence[str], *, max_chars: int) -> str | None: ...
def highlight(text: str, words: Sequence[str], *, max_chars: int | None = None) -> str | None:
    """``text`` HTML-escaped with each word matching one of ``words`` in ``<mark>``.

    Without ``max_chars`` (titles), the whole text, marked or not. With it, a
    snippet of about ``max_chars`` characters around the densest run of matches,
    cut at whitespace, with "…" where text was cut and runs of whitespace made
    one space; ``None`` when nothing matches, so the caller can fall back.
    """
    # Composed form, so "o" + U+0301 folds like "ó"; canonically the same text.
    text = unicodedata.normalize("NFC", text)
    spans = _matches(text, words)
    if max_chars is None:
        return _render(text, spans, 0, len(text))
    if not spans:
        return None
    first, last = _densest(spans, max_chars)
    start, end = _window(text, spans[first][0], spans[last][1], max_chars)
    shown = [span for span in spans if start <= span[0] and span[1] <= end]
    body = _render(text, shown, start, end)
    # Whitespace is never inside a mark or an entity, so collapsing it is safe.
    snippet = _WHITESPACE.sub(" ", body).strip()
    prefix = _ELLIPSIS if text[:start].strip() else ""
    suffix = _ELLIPSIS if text[end:].strip() else ""
    return prefix + snippet + suffix
