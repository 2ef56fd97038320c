"""Which of several entities a shared name means in a story (SPEC §11), from the story's context.

When one name or alias belongs to several live entities ("Georgia" the
country and the US state), each candidate gathers evidence from the story:

- ``named`` (weight 10): the editor named it in the article's ``entities``;
- ``alias`` (weight 3): the story also names it unambiguously, by another of
  its names ("Michael Jordan" before a lone "Jordan");
- ``cooccurrence`` (weight 2): its share, among the candidates, of the
  published stories in which it appeared with the other entities this story
  names unambiguously ("Tbilisi" and "Kobakhidze" go with the country);
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["DECIDES_AT", "WEIGHTS", "Candidate", "choose", "cue_type"]

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


@dataclass(frozen=True, slots=True)
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
    telling = [cue for cue in cues if cue in types]
    scores: dict[str, float] = {}
    for candidate in candidates:
        signals = {
            "named": float(candidate.named),
            "alias": float(candidate.alias),
            "cooccurrence": candidate.cooccurrence / together if together else 0.0,
            "cue": sum(cue == candidate.type for cue in telling) / len(telling) if telling else 0,
        }
        scores[candidate.entity_id] = sum(WEIGHTS[name] * value for name, value in signals.items())
    return scores


def choose(scores: Mapping[str, float]) -> str | None:
    """The candidate the evidence settles on, or None when it is not clear."""
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best_id, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if best >= DECIDES_AT and best >= 2 * runner_up:
        return best_id
    return None
