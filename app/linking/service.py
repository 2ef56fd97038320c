"""Entity linking: the known entities an article mentions, where, and how much."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.entities import repository
from app.linking import context as context_rules
from app.linking.context import Ambiguous, Scan
from app.linking.index import Layer, Names, auto_layers, entity_names
from app.linking.matcher import EntityMatcher, Match
from app.linking.salience import Salience, Scored, lead_end, score_mentions
from app.models import Entity

__all__ = [
    "Ambiguous",
    "ArticleText",
    "LinkOptions",
    "Linked",
    "extract",
    "link_articles",
    "rescore",
]


@dataclass(frozen=True, slots=True)
class LinkOptions:
    """Whether a write links automatically, and how long a worker trusts its matcher."""

    enabled: bool = True
    refresh_seconds: float = 1.0


Span = tuple[int, int]


def _manual_layers(manual: Sequence[Entity]) -> list[Layer]:
    """The entities an editor named, as they are now: they have the last word."""
    if not manual:
        return []
    entries = [(str(e.id), entity_names(e.name, e.aliases)) for e in manual]
    return [Layer(EntityMatcher.build(entries), frozenset(i for i, _ in entries))]


def _scan(layers: Sequence[Layer], text: str) -> list[tuple[Span, list[str]]]:
    """Non-overlapping mentions in ``text``: (span, entity ids sharing it), leftmost-longest.

    An older layer's matches of entities a newer one overrules are dropped. A
    match dropped so may have hidden a shorter name of another entity inside
    it in its own layer: that name is missed until the pending entities are
    folded into the base (rare: the overruled entity's former name must
    overlap another entity's name in the text).
    """
    found: dict[Span, list[str]] = {}
    for i, layer in enumerate(layers):
        overruled = frozenset().union(*(later.ids for later in layers[i + 1 :]))
        for match in layer.matcher.find(text):
            if match.entity_id not in overruled:
                found.setdefault((match.start, match.end), []).append(match.entity_id)
    if len(layers) == 1:
        return list(found.items())
    chosen: list[tuple[Span, list[str]]] = []
    taken_until = 0
    for span in sorted(found, key=lambda s: (s[0], -s[1])):
        if span[0] >= taken_until:
            chosen.append((span, found[span]))
            taken_until = span[1]
    return chosen


@dataclass(frozen=True, slots=True)
class ArticleText:
    """What linking reads of an article, and what its editor said of the entities it names.

    ``summary`` is the editor's (a derived one adds nothing to the body);
    ``salience`` maps the id of an entity the editor named to the salience
    they gave it.
    """

    body: str
    title: str
    summary: str | None = None
    manual: Sequence[Entity] = ()
    salience: Mapping[str, Salience] = field(default_factory=dict)

    def texts(self) -> list[str]:
        """Body, title, then the summary if any: what is scanned, in this order."""
        return [self.body, self.title, *([self.summary] if self.summary else [])]


@dataclass(slots=True)
class Linked:
    """An entity an article mentions, where in its body, how much the story is about it,
    and whether an editor named it (and said how salient it is)."""

    entity_id: uuid.UUID
    spans: list[list[int]]
    manual: bool
    salience: Salience = "mentions"
    score: float = 0.0
    editor_salience: Salience | None = None


async def _settle(
    session: AsyncSession,
    scans: Sequence[Sequence[Scan]],
    named: Sequence[frozenset[str]],
    texts: Sequence[Sequence[str]],
) -> list[list[Ambiguous]]:
    """Leave one entity, or none, on every span several share (``app.linking.context``).

    Reads the candidates' types and co-occurrence only when some name is shared.
    """
    shared = context_rules.shared_ids(scans)
    if not shared:
        return [[] for _ in scans]
    others = context_rules.context_ids(scans, named) - shared
    types = {
        str(row.id): row.type
        for row in await repository.entity_refs(session, {uuid.UUID(i) for i in shared})
    }
    together = await repository.cooccurrence(
        session,
        {uuid.UUID(i) for i in shared},
        {uuid.UUID(i) for i in others},
        now=utcnow(),
        window=context_rules.CONTEXT_STORIES,
    )
    return context_rules.settle(scans, named, texts, types, together)


def _mentions(
    scans: Sequence[Scan], named: frozenset[str]
) -> tuple[dict[str, list[list[int]]], frozenset[str], frozenset[str]]:
    """Entity id -> its spans in the body, for every entity found or named; and the entities
    the title names, and those the summary names."""
    spans: dict[str, list[list[int]]] = {i: [] for i in named}
    for (start, end), ids in scans[0]:
        for entity_id in ids:
            spans.setdefault(entity_id, []).append([start, end])
    titled = frozenset(i for _span, ids in scans[1] for i in ids)
    summarised = frozenset(i for scan in scans[2:] for _span, ids in scan for i in ids)
    for entity_id in titled | summarised:
        spans.setdefault(entity_id, [])
    return spans, titled, summarised


async def link_articles(
    session: AsyncSession, texts: Sequence[ArticleText], *, options: LinkOptions
) -> list[list[Linked]]:
    """The entities each article mentions: those it names always, found ones when linking is on.

    An entity found in the body or in the other texts is linked; spans are
    its mentions in the body alone. Each gets its salience (``app.linking.salience``),
    unless its editor gave one.
    """
    auto = await auto_layers(session, options.refresh_seconds) if options.enabled else []
    scans = [
        [_scan(auto + _manual_layers(text.manual), t) if t else [] for t in text.texts()]
        for text in texts
    ]
    named = [frozenset(str(e.id) for e in text.manual) for text in texts]
    await _settle(session, scans, named, [text.texts() for text in texts])
    found = [_mentions(scan, editor) for scan, editor in zip(scans, named, strict=True)]
    # Entities trashed or purged through another worker since the matcher read them drop out.
    candidates = {
        uuid.UUID(i)
        for (spans, _t, _s), editor in zip(found, named, strict=True)
        for i in spans.keys() - editor
    }
    live = {str(i) for i in await repository.live_entity_ids(session, candidates)}
    linked: list[list[Linked]] = []
    for text, (spans, titled, summarised), editor in zip(texts, found, named, strict=True):
        kept = {i: s for i, s in spans.items() if i in editor or i in live}
        scored = score_mentions(
            kept,
            body_length=len(text.body),
            lead_until=lead_end(text.body),
            in_title=titled,
            in_summary=summarised,
        )
        linked.append(
            [
                Linked(
                    uuid.UUID(i),
                    entity_spans,
                    i in editor,
                    text.salience.get(i) or scored[i].salience,
                    scored[i].score,
                    text.salience.get(i),
                )
                for i, entity_spans in kept.items()
            ]
        )
    return linked


def rescore(
    text: ArticleText, spans: Mapping[str, list[list[int]]], names: Iterable[tuple[str, Names]]
) -> dict[str, Scored]:
    """The salience of an article's stored mentions (entity id -> spans in the body), with
    ``names`` (entity id, its names) to find them in the title and summary."""
    matcher = EntityMatcher.build(names)
    titled = frozenset(match.entity_id for match in matcher.find(text.title))
    summarised = frozenset(match.entity_id for match in matcher.find(text.summary or ""))
    return score_mentions(
        spans,
        body_length=len(text.body),
        lead_until=lead_end(text.body),
        in_title=titled,
        in_summary=summarised,
    )


def _ref(row: Any) -> dict[str, Any]:
    return {"id": row.id, "slug": row.slug, "name": row.name, "type": row.type}


async def extract(
    session: AsyncSession, text: str, *, refresh_seconds: float, public_at: datetime | None
) -> dict[str, Any]:
    """Known entities in ``text`` by first mention, with spans; names several entities share
    that the text does not settle; and capitalised names not known.

    With ``public_at`` (a reader asks), an entity readers do not see then is not known.
    """
    layers = await auto_layers(session, refresh_seconds)
    scan = _scan(layers, text)
    shared_spans = [span for span, ids in scan if len(ids) > 1]
    [unsettled] = await _settle(session, [[scan]], [frozenset()], [[text]])
    spans: dict[str, list[Span]] = {}
    for span, ids in scan:
        for entity_id in ids:
            spans.setdefault(entity_id, []).append(span)
    shown = set(spans).union(*(a.evidence for a in unsettled))
    refs = {
        str(row.id): row
        for row in await repository.entity_refs(
            session, {uuid.UUID(i) for i in shown}, public_at=public_at
        )
    }
    live = [i for i in spans if i in refs]
    # Names found, settled or not, are not offered as new ones.
    matches = [Match(i, *span) for i in live for span in spans[i]]
    matches += [Match("", *span) for span in shared_spans]
    return {
        "entities": [
            {
                "entity": _ref(refs[i]),
                "count": len(spans[i]),
                "spans": spans[i],
                "text": [text[start:end] for start, end in spans[i]],
            }
            for i in live
        ],
        "ambiguous": [
            {
                "text": name.text,
                "spans": name.spans,
                "candidates": [
                    {**_ref(refs[i]), "score": score}
                    for i, score in sorted(name.shares().items(), key=lambda s: (-s[1], s[0]))
                    if i in refs
                ],
            }
            for name in unsettled
        ],
        "candidates": [
            {"name": name, "count": len(found), "spans": found, **({"type": kind} if kind else {})}
            for name, found, kind in layers[0].matcher.candidates(text, matches)
        ],
    }
