"""Which of several entities a shared name means in a story, from the story's context.

When one name or alias belongs to several live entities ("Georgia" the
country and the US state), each candidate gathers evidence from the story:

- ``named`` (weight 10): the editor named it in the article's ``entities``;
- ``alias`` (weight 3): the story also names it unambiguously, by another of
  its names ("Michael Jordan" before a lone "Jordan");
- ``cooccurrence`` (weight 2): its share, among the candidates, of the
  newest ``CONTEXT_STORIES`` published stories in which it appeared with the
  other entities this story names unambiguously ("Tbilisi" and "Kobakhidze"
  go with the country). The newest, not all: what an entity is seen with now
  is the better guide, and the count costs the same in an archive of any size;
- ``cue`` (weight 1): the share of the name's occurrences whose preceding
  word suits its type: a title such as President, Minister or
  Secretary-General before a person, ``in``/``from``/``near`` before a place.

The candidate with the most evidence is linked when it has at least
``DECIDES_AT`` and at least twice as much as any other; otherwise none is,
and ``/extract`` lists the name under ``ambiguous``. All occurrences of a
name in one story are taken to mean the same entity.
"""

# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Span = tuple[int, int]
# A text's mentions, leftmost first: (span, ids of the entities whose name it is).
Scan = list[tuple[Span, list[str]]]

__all__ = [
    "CONTEXT_STORIES",
    "DECIDES_AT",
    "WEIGHTS",
    "Ambiguous",
    "Candidate",
    "Scan",
    "choose",
    "context_ids",
    "cue_type",
    "settle",
    "shared_ids",
]

CONTEXT_STORIES = 10_000
WEIGHTS = {"named": 10.0, "alias": 3.0, "cooccurrence": 2.0, "cue": 1.0}
DECIDES_AT = 0.5

PERSON_TITLES = frozenset(
    """president president-elect vice-president minister prime secretary-general secretary
    senator sen governor gov mayor king queen prince princess sheikh emir pope cardinal
    general gen colonel col lieutenant lt captain capt major commander admiral sergeant
    judge justice ambassador envoy chancellor premier chairman chairwoman chair ceo
    spokesperson spokesman spokeswoman coach mr mrs ms miss dr prof professor sir dame
    lord lady rep representative deputy mp""".split()  # noqa: SIM905
)
PLACE_WORDS = frozenset("in from near across throughout into inside outside within".split())  # noqa: SIM905
_WORD_BEFORE = re.compile(r"([^\W\d_][\w’'-]*)\.?\s+$")
_LOOK_BACK = 40


def cue_type(text: str, start: int) -> str | None:
    """The entity type the word just before ``text[start:]`` suggests, if any."""
    found = _WORD_BEFORE.search(text, max(0, start - _LOOK_BACK), start)
    if found is None or found.end() != start:
        return None
    word = found.group(1).lower()
    if word in PERSON_TITLES:
        return "person"
    if word in PLACE_WORDS:
        return "location"
    return None


@dataclass(slots=True)
class Candidate:
    """An entity a shared name may mean, and what the story says for it."""

    entity_id: str
    type: str
    named: bool = False
    alias: bool = False
    cooccurrence: int = 0


def evidence(candidates: Sequence[Candidate], cues: Sequence[str | None]) -> dict[str, float]:
    """The evidence for each candidate, from the story and the type cues of its occurrences."""
    together = sum(c.cooccurrence for c in candidates)
    types = {c.type for c in candidates}
    telling = Counter(cue for cue in cues if cue in types)
    told = telling.total()
    named, alias, seen, cued = (WEIGHTS[k] for k in ("named", "alias", "cooccurrence", "cue"))
    return {
        c.entity_id: named * c.named
        + alias * c.alias
        + (seen * c.cooccurrence / together if together else 0.0)
        + (cued * telling[c.type] / told if told else 0.0)
        for c in candidates
    }


def choose(scores: Mapping[str, float]) -> str | None:
    """The candidate the evidence settles on, or None when it is not clear."""
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best_id, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if best >= DECIDES_AT and best >= 2 * runner_up:
        return best_id
    return None


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A name several entities share that the story did not settle: where it stands in the
    first text, and the evidence for each candidate."""

    text: str
    spans: list[Span]
    evidence: dict[str, float]

    def shares(self) -> dict[str, float]:
        """Each candidate's share of the evidence (0 for all when there is none)."""
        total = sum(self.evidence.values())
        return {i: round(s / total, 3) if total else 0.0 for i, s in self.evidence.items()}


def shared_ids(scans: Sequence[Sequence[Scan]]) -> set[str]:
    """The entities of spans several share, in the scans of every article."""
    spans = [ids for article in scans for scan in article for _span, ids in scan]
    return {i for ids in spans if len(ids) > 1 for i in ids}


def _certain(article: Sequence[Scan]) -> set[str]:
    return {ids[0] for scan in article for _span, ids in scan if len(ids) == 1}


def context_ids(scans: Sequence[Sequence[Scan]], named: Sequence[frozenset[str]]) -> set[str]:
    """The entities the articles name for sure: alone on a span, or named by the editor."""
    return set().union(*map(_certain, scans), *named)


def settle(
    scans: Sequence[Sequence[Scan]],
    named: Sequence[frozenset[str]],
    texts: Sequence[Sequence[str]],
    types: Mapping[str, str],
    together: Mapping[tuple[str, str], int],
) -> list[list[Ambiguous]]:
    """Leave one entity, or none, on every span several share; the names left unsettled.

    Per article: ``scans`` of its ``texts``, the entities its editor ``named``;
    ``types`` of the candidates, and how often each was published ``together``
    with another entity ((candidate, other) -> stories).
    """
    with_other: dict[str, list[tuple[str, int]]] = {}
    for (candidate, other), stories in together.items():
        with_other.setdefault(other, []).append((candidate, stories))
    unsettled: list[list[Ambiguous]] = []
    for article, editor, article_texts in zip(scans, named, texts, strict=True):
        certain = _certain(article)
        groups: dict[tuple[str, ...], list[tuple[int, Span, list[str]]]] = {}
        for index, scan in enumerate(article):
            for span, ids in scan:
                if len(ids) > 1:
                    groups.setdefault(tuple(sorted(ids)), []).append((index, span, ids))
        others = (certain | editor).difference(*groups)
        seen_with: Counter[str] = Counter()
        for other in others:
            for candidate, stories in with_other.get(other, ()):
                seen_with[candidate] += stories
        left: list[Ambiguous] = []
        for candidate_ids, where in groups.items():
            candidates = [
                Candidate(
                    i,
                    types.get(i, "other"),
                    named=i in editor,
                    alias=i in certain,
                    cooccurrence=seen_with.get(i, 0),
                )
                for i in candidate_ids
            ]
            scores = evidence(candidates, [cue_type(article_texts[i], s[0]) for i, s, _ in where])
            chosen = choose(scores)
            for _index, _span, ids in where:
                ids[:] = [chosen] if chosen is not None else []
            if chosen is None:
                first_index, (start, end), _ids = where[0]
                left.append(
                    Ambiguous(
                        article_texts[first_index][start:end],
                        [span for index, span, _ids in where if index == 0],
                        scores,
                    )
                )
        unsettled.append(left)
    return unsettled
