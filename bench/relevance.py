"""A relevance test collection for search: a generated corpus, queries, judgments.

Eight topics, each named by an invented word (so that nothing else in a database
matches it by chance), with stories written to be judged: the defining story,
old; a newer one that covers the topic less; six recent stories that name it in
passing; a story with the topic's two-word phrase and one with its words apart;
stories that name the topic's agency in full and one that writes its acronym
(an alias of the agency, linked); and one "update" in its title, a word every
story uses. Forty filler stories share that word. For each topic five queries
(the word, the phrase, the acronym, the word with an exclusion, the word with
the common one), and the common word alone: 41 queries, each with graded
judgments (3 defining, 2 relevant, 1 partly; unjudged stories count 0).

``ndcg`` scores a search over the collection: the mean nDCG@10 of its queries.
The collection is posted through the public API, so it works on any Lede.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

K = 10
COMMON = "update"
# (word, phrase adjective, agency name, agency acronym, a word only the defining story has)
TOPICS = (
    ("zorvane", "red", "Talmer Water Board", "TWB", "glacier"),
    ("quellite", "deep", "Brask Mining Office", "BMO", "tunnel"),
    ("marvoth", "northern", "Ostrel Grain Council", "OGC", "harvest"),
    ("plendor", "open", "Vashti Port Authority", "VPA", "crane"),
    ("druvelle", "high", "Kemper Rail Group", "KRG", "bridge"),
    ("sarnix", "cold", "Loria Energy Agency", "LEA", "turbine"),
    ("tebbrin", "long", "Mirren Health Service", "MHS", "vaccine"),
    ("yaskol", "dry", "Corvan Forest Trust", "CFT", "timber"),
)


@dataclass(frozen=True)
class Judged:
    q: str
    kind: str
    gains: dict[str, int] = field(default_factory=dict)


def _story(slug: str, title: str, summary: str, body: str, date: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": title,
        "summary": summary,
        "body": body,
        "body_format": "text",
        "status": "published",
        "published_at": f"{date}T08:00:00Z",
    }


def entities() -> list[dict[str, Any]]:
    return [
        {"name": agency, "type": "organization", "aliases": [acronym]}
        for _word, _adj, agency, acronym, _only in TOPICS
    ]


def stories() -> Iterator[dict[str, Any]]:
    """Every story of the collection, oldest topics first; ``slug`` is its key."""
    for index in range(40):
        yield _story(
            f"filler-{index}",
            f"Council notes, week {index}",
            "Routine business.",
            f"An {COMMON} on roads and schools was given. Members asked for another {COMMON}.",
            f"2025-{1 + index % 12:02d}-{1 + index % 27:02d}",
        )
    for t, (word, adj, agency, acronym, only) in enumerate(TOPICS):
        Word = word.capitalize()
        yield _story(
            f"{word}-best",
            f"{Word} crisis: how the {word} shortage began",
            f"The {word} shortage explained, from the first {word} warnings.",
            f"The {word} shortage started at the {only}. {Word} prices rose; {word} stocks "
            f"fell.\n\nExperts on {word} asked for an {COMMON}.",
            f"2016-0{1 + t % 9}-10",
        )
        yield _story(
            f"{word}-medium",
            "Region counts the cost of shortages",
            f"The {word} shortage hurt farms.",
            f"Farms lost money as {word} ran short. An {COMMON} is due.",
            f"2021-0{1 + t % 9}-12",
        )
        for weak in range(6):
            yield _story(
                f"{word}-weak-{weak}",
                f"Weekly market wrap {t}-{weak}",
                "Markets moved.",
                f"Shares rose and bonds fell. Traders barely mentioned {word}. An {COMMON} "
                f"on rates came late in a long day of trading in many markets.",
                f"2025-1{weak % 3}-{10 + t:02d}",
            )
        yield _story(
            f"{word}-phrase",
            f"The {adj} {word} returns",
            f"A {adj} {word} was seen again.",
            f"Observers saw the {adj} {word}. An {COMMON} follows.",
            f"2019-0{1 + t % 9}-05",
        )
        yield _story(
            f"{word}-split",
            f"{adj.capitalize()} flags at dawn",
            "A local story.",
            f"The flags were {adj}, and later someone spoke of {word}. An {COMMON} follows.",
            f"2024-0{1 + t % 9}-05",
        )
        for alias in range(2):
            yield _story(
                f"{word}-agency-{alias}",
                f"{agency} sets out its plans {alias}",
                f"The {agency} met.",
                f"The {agency} published its plans. An {COMMON} is expected.",
                f"2020-0{1 + t % 9}-2{alias}",
            )
        yield _story(
            f"{word}-acronym",
            f"{acronym} board meets",
            f"The {acronym} board met.",
            f"Members of the {acronym} board voted. An {COMMON} is expected.",
            f"2022-0{1 + t % 9}-15",
        )
        yield _story(
            f"{word}-update",
            f"{COMMON.capitalize()}: the week in brief",
            "Short items.",
            f"Items from around the region, including a note on {word}.",
            f"2023-0{1 + t % 9}-15",
        )


def queries() -> list[Judged]:
    judged = [
        Judged(
            COMMON,
            "common word",
            {f"{word}-update": 3 for word, *_rest in TOPICS},
        )
    ]
    for word, adj, _agency, acronym, only in TOPICS:
        judged += [
            Judged(
                word,
                "old but best",
                {f"{word}-best": 3, f"{word}-medium": 2, f"{word}-phrase": 2},
            ),
            Judged(f'"{adj} {word}"', "phrase", {f"{word}-phrase": 3}),
            Judged(
                acronym,
                "alias",
                {f"{word}-acronym": 2, f"{word}-agency-0": 2, f"{word}-agency-1": 2},
            ),
            Judged(
                f"{word} -{only}",
                "exclusion",
                {f"{word}-medium": 2, f"{word}-phrase": 2},
            ),
            Judged(
                f"{COMMON} {word}",
                "common word",
                # The rare word counts for more than the common one.
                {f"{word}-best": 3, f"{word}-update": 2, f"{word}-medium": 1},
            ),
        ]
    return judged


def ndcg_at(found: list[str], gains: dict[str, int], k: int = K) -> float:
    """nDCG@k of the slugs ``found``, in order, under graded ``gains``."""

    def dcg(values: list[int]) -> float:
        return sum(((1 << gain) - 1) / math.log2(rank + 2) for rank, gain in enumerate(values[:k]))

    ideal = dcg(sorted(gains.values(), reverse=True))
    return dcg([gains.get(slug, 0) for slug in found]) / ideal if ideal else 0.0


async def load(client: httpx.AsyncClient) -> None:
    """Post the collection through ``client`` (an editor's), its agencies first."""
    for entity in entities():
        response = await client.post("/v1/entities", json=entity)
        response.raise_for_status()
    for story in stories():
        response = await client.post("/v1/articles", json=story)
        response.raise_for_status()


async def ndcg(
    search: Callable[[str], Awaitable[list[str]]],
) -> tuple[float, dict[str, float]]:
    """The mean nDCG@10 over every query, and the mean for each kind of query.

    ``search`` gives the slugs of the first ``K`` hits for a query.
    """
    by_kind: dict[str, list[float]] = {}
    for judged in queries():
        by_kind.setdefault(judged.kind, []).append(ndcg_at(await search(judged.q), judged.gains))
    every = [value for values in by_kind.values() for value in values]
    return sum(every) / len(every), {
        kind: sum(values) / len(values) for kind, values in by_kind.items()
    }
