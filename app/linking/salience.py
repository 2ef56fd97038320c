"""Whether a story is *about* an entity or only *mentions* it, and why.

The score of an entity in a story is a weighted sum of four signals, each in
[0, 1], so the score is in [0, 1] too:

- ``headline`` (0.40): the title names it;
- ``lead`` (0.20): the first paragraph of the body, or a summary the editor
  wrote, names it;
- ``prominence`` (0.30): its mentions in the body over those of the entity
  the body mentions most;
- ``early`` (0.10): how early the body first names it, 1 at the first
  character and 0 past the last (0 when the body never does).

A score of ``ABOUT_AT`` or more makes it ``about``: a headline entity always
is; an entity of the lead is when it is also among the most mentioned; one
the body mentions most and names early is, wherever its first mention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["ABOUT_AT", "WEIGHTS", "Salience", "Scored", "lead_end", "score_mentions"]

Salience = Literal["about", "mentions"]

WEIGHTS = {"headline": 0.40, "lead": 0.20, "prominence": 0.30, "early": 0.10}
ABOUT_AT = 0.35


@dataclass(frozen=True, slots=True)
class Scored:
    salience: Salience
    score: float


def lead_end(body: str) -> int:
    """Where the first paragraph of a plain-text body ends (paragraphs part on a blank line)."""
    end = body.find("\n\n")
    return len(body) if end < 0 else end


def score_mentions(
    spans: Mapping[str, Sequence[Sequence[int]]],
    *,
    body_length: int,
    lead_until: int,
    in_title: frozenset[str],
    in_summary: frozenset[str] = frozenset(),
) -> dict[str, Scored]:
    """The salience of each entity of ``spans`` (entity id -> its spans in the body)."""
    most = max(map(len, spans.values()), default=0)
    headline, lead, prominence, early = (
        WEIGHTS[k] for k in ("headline", "lead", "prominence", "early")
    )
    scored: dict[str, Scored] = {}
    for entity_id, found in spans.items():
        # Spans come in order: the first is the first mention.
        first = found[0][0] if found else None
        score = headline * (entity_id in in_title) + lead * (
            entity_id in in_summary or (first is not None and first < lead_until)
        )
        if first is not None:
            score += prominence * len(found) / most + early * (1.0 - first / body_length)
        score = round(score, 3)
        scored[entity_id] = Scored("about" if score >= ABOUT_AT else "mentions", score)
    return scored
