"""Capitalised names in a text that are not known entities, for an editor to create (``/extract``).

A heuristic, with no language model:

- A name is a run of two to five capitalised words on one line, with
  lowercase particles ("of", "de", "al", "the"…) allowed inside, that
  overlaps no known entity's mention. A possessive ends a run; a longer run
  is taken for a title-case headline and skipped.
- Shouting is not a name: a run with two or more all-caps words ("VISIT MALI
  NOW") is skipped, and an all-caps stop word ("AND") ends a run.
- A word capitalised only because it opens a sentence is dropped from the
  front of a run when it is a stop word ("However", "The") or is also
  written in lowercase in the text ("Support … support").
- A title before a name ("President", "Foreign Minister") is dropped from
  the front and makes the name a person's, which may then be one word
  ("Minister Diallo" offers "Diallo"); a run that ends with a title
  ("Foreign Minister") is a role, not a name. The last word names an organization
  ("… Group", "… Ministry") or a place ("… Province"); ``in``/``from`` before
  the name suggests a place. A name with no such cue has no type.
"""

# Typographic quotes and apostrophes are the subject matter here.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.linking.context import PERSON_TITLES, cue_type

__all__ = ["find_candidates"]

Span = tuple[int, int]

# Words of a candidate name: letters and digits, joined by inner hyphens or
# apostrophes ("Secretary-General", "N’Djamena").
_TOKEN = re.compile(r"[^\W_]+(?:[-’'][^\W_]+)*")
_POSSESSIVE = ("’s", "'s")
# Lowercase particles allowed inside a candidate name, never at its edges.
_CONNECTORS = frozenset(
    "of the de del della der den des di do dos da das du la le van von al el bin ibn y".split()  # noqa: SIM905
)
# A hyphenated or elided particle before a capital: "al-Assad", "d’Ivoire".
_PARTICLE_PREFIX = re.compile(r"(?:al|el|ad|ash|bin|ibn|d|l)[-’']", re.IGNORECASE)
# Capitalised only because they open a sentence (or shouted); not names on their own.
_STOPWORDS = frozenset(
    """a about after again against all also although among an and another any are as at
    be because been before both but by can could despite did do does during each either
    even every failure for from given had has have he her here his how however i if in
    indeed instead is it its last later many may meanwhile more moreover most much must my
    neither nevertheless next no not now of on once one only or our over she should since
    so some still such that the their them then there these they this those though thus to
    today under unless until was we were what when where whether which while who why will
    with within without would yet yesterday you your""".split()  # noqa: SIM905
)
# Capitalised everywhere but not part of names: they end a run ("May" stays: Theresa May).
_DATE_WORDS = frozenset(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    June July August September October November December""".split()  # noqa: SIM905
)
_ORGANIZATION_WORDS = frozenset(
    """Agency Alliance Army Assembly Association Authority Bank Board Bureau Cabinet Church
    Coalition Command Commission Committee Company Congress Corporation Council Court
    Department Federation Forces Forum Foundation Front Fund Group Inc Institute League Ltd
    Ministry Mission Movement Network Office Organisation Organization Parliament Party
    Police Senate Service Union University""".split()  # noqa: SIM905
)
_PLACE_KINDS = frozenset(
    """Airport Bay City Coast County Desert District Island Islands Lake Mountains Province
    Region Republic River Square Street Valley""".split()  # noqa: SIM905
)
_MAX_WORDS = 5
_SENTENCE_END = frozenset(".!?…:;")
# Skipped when looking back for the end of the previous sentence: ``said.” The``.
_SENTENCE_GAP = frozenset("\"“”‘’'«»()[]—–-")


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    text: str
    capitalised: bool

    @property
    def shouted(self) -> bool:
        return self.text.isupper() and sum(map(str.isalpha, self.text)) > 1


def _is_capitalised(word: str) -> bool:
    if word[0].isupper() or word[0].istitle():
        return True
    particle = _PARTICLE_PREFIX.match(word)
    return particle is not None and word[particle.end() :][:1].isupper()


def _opens_sentence(text: str, start: int) -> bool:
    index = start - 1
    while index >= 0 and (text[index].isspace() or text[index] in _SENTENCE_GAP):
        if text[index] == "\n":
            return True
        index -= 1
    return index < 0 or text[index] in _SENTENCE_END


def _runs(text: str, covered: Sequence[Span]) -> tuple[list[tuple[list[_Word], bool]], set[str]]:
    """Runs of capitalised words (with particles inside) that overlap no covered span, each
    with whether it opens a sentence; and the words the text writes in lowercase."""
    lowercase_words: set[str] = set()
    runs: list[tuple[list[_Word], bool]] = []
    run: list[_Word] = []
    run_closed = True
    cover_index = 0
    for token in _TOKEN.finditer(text):
        start, end = token.span()
        word = token.group()
        possessive = word.endswith(_POSSESSIVE) and len(word) > 2
        if possessive:
            end -= 2
            word = word[:-2]
        if word.islower():
            lowercase_words.add(word)
        while cover_index < len(covered) and covered[cover_index][1] <= start:
            cover_index += 1
        is_covered = cover_index < len(covered) and covered[cover_index][0] < end
        # A shouted stop word ("AND") parts two names like a lowercase word.
        shouted_stopword = word.isupper() and word.lower() in _STOPWORDS
        capitalised = _is_capitalised(word) and word not in _DATE_WORDS and not shouted_stopword
        gap = text[run[-1].end : start] if run else ""
        joins = not run_closed and gap.isspace() and "\n" not in gap
        if not is_covered and (capitalised or (joins and word in _CONNECTORS)):
            if not joins:
                run = []
                runs.append((run, _opens_sentence(text, start)))
            run.append(_Word(start, end, word, capitalised))
            run_closed = possessive
        else:
            run_closed = True
    return runs, lowercase_words


def _trim(words: list[_Word], opens_sentence: bool, lowercase_words: set[str]) -> list[_Word]:
    """The run without the words at its edges that are not part of a name."""
    while words and (
        not words[0].capitalised
        or (
            opens_sentence
            and (words[0].text.lower() in _STOPWORDS or words[0].text.lower() in lowercase_words)
        )
    ):
        words = words[1:]
        opens_sentence = False
    while words and not words[-1].capitalised:
        words = words[:-1]
    return words


def _typed(text: str, words: list[_Word]) -> tuple[list[_Word], str | None]:
    """The name without a title before it, and the type a cue gives it."""
    # "Foreign Minister Awa Diallo": the title, and what qualifies it, go.
    cut = 0
    for index in range(len(words) - 1):
        if words[index].text.lower() in PERSON_TITLES and words[index + 1].capitalised:
            cut = index + 1
    titled = cut > 0
    words = words[cut:]
    before = cue_type(text, words[0].start)
    last = words[-1].text
    if titled or before == "person":
        return words, "person"
    if last in _ORGANIZATION_WORDS:
        return words, "organization"
    if last in _PLACE_KINDS or (before == "location" and len(words) > 1):
        return words, "location"
    return words, None


def find_candidates(
    text: str, covered: Sequence[Span], is_known: Callable[[str], bool]
) -> list[tuple[str, list[Span], str | None]]:
    """Names in ``text`` that overlap no span of ``covered`` (sorted) and are not known.

    Returns ``[(name, [(start, end), …], type or None)]`` grouped by name
    (whitespace normalised), in order of first appearance.
    """
    runs, lowercase_words = _runs(text, covered)
    groups: dict[str, tuple[list[Span], str | None]] = {}
    for words, opens_sentence in runs:
        if sum(word.shouted for word in words) > 1:
            continue
        capitalised = sum(word.capitalised for word in words)
        words = _trim(words, opens_sentence, lowercase_words)
        if not words or capitalised > _MAX_WORDS or words[-1].text.lower() in PERSON_TITLES:
            continue
        several = sum(word.capitalised for word in words) > 1
        words, kind = _typed(text, words)
        if not several or (kind != "person" and len(words) < 2):
            continue
        name = " ".join(text[words[0].start : words[-1].end].split())
        if is_known(name):
            continue
        spans, first_kind = groups.setdefault(name, ([], kind))
        spans.append((words[0].start, words[-1].end))
        if first_kind is None and kind is not None:
            groups[name] = (spans, kind)
    return [(name, spans, kind) for name, (spans, kind) in groups.items()]
