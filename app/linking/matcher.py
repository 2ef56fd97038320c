"""Find mentions of known entities in plain text, without a database.

An :class:`EntityMatcher` holds one Aho-Corasick automaton over every name and
alias of every known entity. It is immutable once built: when entities change,
build a new one (``EntityMatcher.build`` or ``matcher.with_changes``) and swap
the reference, so readers never see a half-updated automaton and need no lock.

Matching rules:

- Whole words only: a match must not touch a letter, digit or combining mark on
  either side (``Mali`` in ``Malian`` links nothing; ``Mali’s``, ``“Mali”``,
  ``(Mali)`` link Mali).
- A name or alias without whitespace matches only exactly as written, so the
  verb "wane" never links "Wane" and French "un" never links "UN".
- A name of several words also matches in any letter case ("UNITED NATIONS",
  "Wagner group"). Case folding maps each character to its one-character
  lowercase (characters such as "İ", whose lowercase is longer, stay as they
  are), so offsets into the folded text are offsets into the original.
- Whitespace inside names is normalised to single spaces; in the text, each
  single whitespace character (space, newline, no-break space…) between the
  words of a name counts as a space, but a run of several does not match.
- Where matches overlap, the leftmost wins, then the longest, and matches never
  overlap: the full name of MINUSMA links MINUSMA only, not the "Mali" in it.
- When one surface name belongs to several entities (the person "Jordan" and
  the country "Jordan"), ``find`` returns one :class:`Match` per entity, all
  with the same span; choosing between them is the caller's business.
- Names that are empty or have no letter or digit are ignored.
- Text and names are compared code point by code point, without Unicode
  normalisation: store both in the same form (NFC).
"""

# Typographic quotes, dashes and Greek letters are the subject matter here.
# ruff: noqa: RUF001, RUF002

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick

from app.linking.candidates import find_candidates

__all__ = ["EntityMatcher", "Match"]


@dataclass(frozen=True, slots=True)
class Match:
    """A mention of ``entity_id`` at ``text[start:end]`` (code point offsets)."""

    entity_id: str
    start: int
    end: int


# The automaton's value for one key: (key length, key has several words, entity ids).
_Slot = tuple[int, bool, tuple[str, ...]]

# Every character but the space for which str.isspace() is true (a test checks
# the list): a chain of str.replace is far faster than a regex on an article.
_OTHER_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _fold_char(char: str) -> str:
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def _fold_case(text: str) -> str:
    """Lowercase ``text`` code point by code point, keeping its length.

    Final sigma is folded to σ because ``str.lower`` picks σ or ς from the
    context, which would make a name and its occurrence fold differently.
    """
    folded = text.lower()
    if len(folded) != len(text):
        folded = "".join(map(_fold_char, text))
    return folded.replace("ς", "σ")


def _fold(text: str) -> str:
    """``_fold_case`` with every whitespace character made a space, so names span line breaks."""
    folded = _fold_case(text)
    for char in _OTHER_WHITESPACE:
        folded = folded.replace(char, " ")
    return folded


def _key(name: str) -> str | None:
    """The automaton key of a name, or None when the name can never match.

    Only a multi-word key contains a space, and only multi-word names are
    folded, so exact single-word keys and folded multi-word keys never collide
    in the shared automaton.
    """
    if not any(map(str.isalnum, name)):
        return None
    words = name.split()
    if len(words) == 1:
        return words[0]
    return _fold_case(" ".join(words))


def _is_word_char(char: str) -> bool:
    # A combining mark belongs to the letter before it: "Mali" + U+0301 spells "Malí".
    # Marks start at U+0300; the comparison spares the lookup for ASCII punctuation.
    return char.isalnum() or (char >= "\u0300" and unicodedata.category(char)[0] == "M")


def _collect(
    found: Iterator[tuple[int, _Slot]],
    text: str,
    multiword: bool,
    hits: list[tuple[int, int, tuple[str, ...]]],
) -> None:
    """Append to ``hits`` the whole-word hits of keys of the given kind as (start, -end, ids)."""
    size = len(text)
    for last, (length, is_multiword, ids) in found:
        if is_multiword is not multiword:
            continue
        end = last + 1
        start = end - length
        if (start and _is_word_char(text[start - 1])) or (end < size and _is_word_char(text[end])):
            continue
        hits.append((start, -end, ids))


class EntityMatcher:
    """Finds known entities by name and alias in text; see the module docstring."""

    __slots__ = ("_automaton", "_keys", "_slots")

    def __init__(self) -> None:
        # Entity id -> the automaton keys of its names, to undo them on change.
        self._keys: dict[str, tuple[str, ...]] = {}
        # Automaton key -> its slot; slots are immutable tuples shared between
        # successive matchers, so a derived matcher never alters this one.
        self._slots: dict[str, _Slot] = {}
        self._automaton: Any = None

    @classmethod
    def build(cls, entries: Iterable[tuple[str, Sequence[str]]]) -> "EntityMatcher":
        """A matcher for ``(entity_id, [name, *aliases])`` entries.

        An entity id given twice keeps the names of its last entry.
        """
        return cls().with_changes(entries, ())

    def with_changes(
        self,
        upsert: Iterable[tuple[str, Sequence[str]]],
        remove: Iterable[str],
    ) -> "EntityMatcher":
        """A new matcher with entities removed, added or renamed; this one is unchanged.

        Names of untouched entities are not normalised again. The automaton
        is shared when no name changed (e.g. only a description was edited),
        and otherwise rebuilt, as pyahocorasick cannot change a compiled one
        that other threads may be reading.
        """
        keys = dict(self._keys)
        slots = dict(self._slots)

        def drop(entity_id: str) -> None:
            for key in keys.pop(entity_id, ()):
                length, multiword, ids = slots[key]
                kept = tuple(other for other in ids if other != entity_id)
                if kept:
                    slots[key] = (length, multiword, kept)
                else:
                    del slots[key]

        for entity_id in remove:
            drop(entity_id)
        for entity_id, names in upsert:
            if entity_id in keys:
                drop(entity_id)
            entity_keys = tuple(dict.fromkeys(filter(None, map(_key, names))))
            keys[entity_id] = entity_keys
            for key in entity_keys:
                slot = slots.get(key)
                if slot is None:
                    slots[key] = (len(key), " " in key, (entity_id,))
                else:
                    slots[key] = (slot[0], slot[1], (*slot[2], entity_id))

        matcher = EntityMatcher()
        matcher._keys = keys
        matcher._slots = slots
        if slots == self._slots:
            matcher._automaton = self._automaton
        elif slots:
            automaton = ahocorasick.Automaton()
            for key, slot in slots.items():
                automaton.add_word(key, slot)
            automaton.make_automaton()
            matcher._automaton = automaton
        return matcher

    def __len__(self) -> int:
        return len(self._keys)

    def find(self, text: str) -> list[Match]:
        """Mentions of known entities in ``text``, sorted by start.

        A span shared by several entities yields one match per entity.
        """
        automaton = self._automaton
        if automaton is None or not text:
            return []
        hits: list[tuple[int, int, tuple[str, ...]]] = []
        # Single-word keys are searched in the text as written (case-sensitive),
        # multi-word keys in the folded text; scanning the raw text first keeps
        # the lowercase-only hits of short single-word keys out of the loop.
        _collect(automaton.iter(text), text, False, hits)
        _collect(automaton.iter(_fold(text)), text, True, hits)
        # Leftmost first, then longest; a span is never found twice, so ids never compare.
        hits.sort()
        matches: list[Match] = []
        taken_until = 0
        for start, negative_end, ids in hits:
            if start < taken_until:
                continue
            end = taken_until = -negative_end
            matches.extend(Match(entity_id, start, end) for entity_id in ids)
        return matches

    def _is_known(self, name: str) -> bool:
        key = _key(name)
        return key is not None and key in self._slots

    def candidates(
        self, text: str, matches: Sequence[Match] | None = None
    ) -> list[tuple[str, list[tuple[int, int]], str | None]]:
        """Capitalised names in ``text`` that are not known entities, for an editor to create.

        Names overlapping a match in ``matches`` (default: ``self.find(text)``)
        are left out; see ``app.linking.candidates`` for the rest. Returns
        ``[(name, [(start, end), …], type or None)]``.
        """
        if matches is None:
            matches = self.find(text)
        covered = sorted((match.start, match.end) for match in matches)
        return find_candidates(text, covered, self._is_known)
