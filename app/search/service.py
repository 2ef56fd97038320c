"""Article search: parse once, match and rank in the database, then highlight."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import reads
from app.articles import repository as articles_repository
from app.articles.caches import RenderCache
from app.articles.filters import ArticleFilters
from app.core.errors import invalid
from app.core.pagination import Page
from app.core.security import Principal
from app.core.slugs import fold_name
from app.entities import repository as entities_repository
from app.models import Article, Entity
from app.models.visibility import is_public
from app.search.backends import backend_for
from app.search.backends.base import FACET_KINDS, FacetKind, Scope, SearchSort
from app.search.highlight import highlight
from app.search.query import Named, Query, parse_query, term_of

__all__ = [
    "FACET_KINDS",
    "SNIPPET_CHARS",
    "SearchResult",
    "SearchSort",
    "parse_facets",
    "reindex",
    "search_articles",
    "search_rendered",
]

SNIPPET_CHARS = 240
HIGHLIGHTED = (Article.title, Article.summary, Article.body_text)
MAX_ENTITIES = 5
# Entity names are looked up by runs of up to this many consecutive query words.
MAX_NAME_WORDS = 6
MAX_NAME_KEYS = 200
# The names and aliases of the entities a run names that are searched for it.
MAX_NAMES = 8


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[dict[str, Any]]
    total: int
    next_cursor: str | None
    meta: dict[str, Any] = field(default_factory=dict)


def parse_facets(value: str | None) -> tuple[FacetKind, ...]:
    if value is None:
        return ()
    asked = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    known = [kind for kind in FACET_KINDS if kind in asked]
    unknown = [part for part in asked if part not in FACET_KINDS]
    if unknown or not asked:
        raise invalid(
            ["query", "facets"],
            f"Unknown facet(s): {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(FACET_KINDS)}.",
        )
    return tuple(known)


async def search_rendered(
    session: AsyncSession,
    *,
    key: Hashable,
    pages: RenderCache,
    render: Callable[[SearchResult], reads.Rendered],
    text: str,
    filters: ArticleFilters,
    sort: SearchSort,
    page: Page,
    fields: tuple[str, ...],
    facets: tuple[FacetKind, ...],
    principal: Principal,
    now: datetime,
) -> reads.Rendered:
    """A page of ``search_articles`` as ``render`` puts it.

    Readers' pages are kept in ``pages`` by ``key`` (what identifies the request:
    its URL) until the next write to an article, tag or entity, or the next
    scheduled release or expiry, changes what they would show.
    """
    search = partial(
        search_articles,
        session,
        text=text,
        filters=filters,
        sort=sort,
        page=page,
        fields=fields,
        facets=facets,
        principal=principal,
        now=now,
    )
    if principal.sees_drafts or not pages.max_bytes:
        return render(await search())

    async def make(_position: int) -> reads.Rendered:
        result = await search()
        until = await articles_repository.next_release(session, now)
        return replace(render(result), until=until)

    return await pages.kept(session, key, now, make)


async def search_articles(
    session: AsyncSession,
    *,
    text: str,
    filters: ArticleFilters,
    sort: SearchSort,
    page: Page,
    fields: tuple[str, ...],
    facets: tuple[FacetKind, ...],
    principal: Principal,
    now: datetime,
) -> SearchResult:
    """A page of the articles matching ``text`` that ``principal`` may see, with highlights."""
    query = parse_query(text)
    if query.is_empty():
        meta: dict[str, Any] = {"entities": []}
        if facets:
            meta["facets"] = {kind: [] for kind in facets}
        return SearchResult(hits=[], total=0, next_cursor=None, meta=meta)
    backend = backend_for(session.get_bind().dialect.name)
    scope = Scope(
        filters=articles_repository.filter_clauses(session, filters),
        sees_drafts=principal.sees_drafts,
        now=now,
    )
    # Entities the principal may see (hidden ones stay hidden).
    named = [
        (key, entity)
        for key, entity in await entities_repository.find_by_name_keys(session, _name_keys(query))
        if principal.sees_drafts or is_public(entity, now)
    ]
    query = _with_named(query, named)
    # The shown columns, then what the highlights are made of: read with the ranking.
    shown = articles_repository.columns_of(fields)
    async with backend.planned(session, sort):
        found = await backend.search(
            session,
            query,
            scope=scope,
            sort=sort,
            page=page,
            columns=(*shown, *HIGHLIGHTED),
        )
        meta = {"entities": _entities(query, named)}
        linked = await backend.linked_entities(session, [row.id for row in found.rows], query)
        if facets:
            meta["facets"] = await backend.facets(session, query, scope=scope, kinds=facets)
    words = query.words()
    slugs = {entity.id: entity.slug for _key, entity in named}
    highlighted = slice(1 + len(shown), 1 + len(shown) + len(HIGHLIGHTED))
    hits = [
        _hit(item, row[highlighted], score, words)
        | {"matched_entities": [slugs[entity_id] for entity_id in linked.get(row.id, [])]}
        for item, row, score in zip(
            await reads.shape(session, found.rows, fields), found.rows, found.scores, strict=True
        )
    ]
    return SearchResult(hits=hits, total=found.total, next_cursor=found.next_cursor, meta=meta)


def _hit(
    item: dict[str, Any], texts: tuple[str, str | None, str], score: float, words: list[str]
) -> dict[str, Any]:
    title, summary, body_text = texts
    item["score"] = round(score, 6)
    item["highlights"] = {
        "title": highlight(title, words),
        "summary": None if summary is None else highlight(summary, words),
        "body": highlight(body_text, words, max_chars=SNIPPET_CHARS),
    }
    return item


def _runs(query: Query) -> list[tuple[int, int, str]]:
    """(start, stop, folded words) of each run of clauses that could spell a name, longest first.

    A run holds whole clauses of one term each (an ``OR`` or a part of a phrase
    never names an entity here), at most ``MAX_NAME_WORDS`` words in all.
    """
    runs = []
    clauses = query.clauses
    for start in range(len(clauses)):
        words: list[str] = []
        for stop in range(start + 1, len(clauses) + 1):
            alternatives = clauses[stop - 1].alternatives
            if len(alternatives) > 1:
                break
            words += alternatives[0].words
            if len(words) > MAX_NAME_WORDS:
                break
            runs.append((start, stop, fold_name(" ".join(words))))
    return sorted(runs, key=lambda run: run[0] - run[1])


def _name_keys(query: Query) -> list[str]:
    """Folded runs of consecutive query words, longest first: the names the query may spell."""
    words = [
        word for clause in query.clauses for term in clause.alternatives for word in term.words
    ]
    keys = [
        fold_name(" ".join(words[start : start + size]))
        for size in range(min(MAX_NAME_WORDS, len(words)), 0, -1)
        for start in range(len(words) - size + 1)
    ]
    return list(dict.fromkeys(keys))[:MAX_NAME_KEYS]


def _with_named(query: Query, found: list[tuple[str, Entity]]) -> Query:
    """``query`` with the runs of clauses that spell the names of ``found`` entities.

    The longest run wins where runs overlap; each run also matches, through the
    stored mentions, stories linked to its entities that say any of their names.
    """
    by_key: dict[str, list[Entity]] = {}
    for key, entity in found:
        by_key.setdefault(key, []).append(entity)
    taken: set[int] = set()
    named = []
    for start, stop, key in _runs(query):
        entities = by_key.get(key)
        if not entities or taken.intersection(range(start, stop)):
            continue
        taken.update(range(start, stop))
        spellings = [name for entity in entities for name in (entity.name, *entity.aliases)]
        terms = {fold_name(term.text): term for term in filter(None, map(term_of, spellings))}
        # A name that says what was typed ("Amara Garcia" for "garcia") finds no story
        # the typed words do not: only the others widen the search.
        typed = f" {key} "
        names = [term for folded, term in terms.items() if typed not in f" {folded} "]
        named.append(
            Named(
                start=start,
                stop=stop,
                names=tuple(names[:MAX_NAMES]),
                entity_ids=tuple(entity.id for entity in entities),
            )
        )
    return replace(query, named=tuple(sorted(named, key=lambda run: run.start)))


def _entities(query: Query, found: list[tuple[str, Entity]]) -> list[dict[str, Any]]:
    """Live entities named by the query (a name or an alias), those named in most words first.

    ``searched``: stories linked to the entity were matched too.
    """
    order = {key: index for index, key in enumerate(_name_keys(query))}
    searched = {entity_id for named in query.named for entity_id in named.entity_ids}
    entities: dict[Any, Entity] = {}
    for _key, entity in sorted(found, key=lambda pair: order[pair[0]]):
        entities.setdefault(entity.id, entity)
    return [
        {
            "id": entity.id,
            "slug": entity.slug,
            "name": entity.name,
            "type": entity.type,
            "searched": entity.id in searched,
        }
        for entity in list(entities.values())[:MAX_ENTITIES]
    ]


async def reindex(session: AsyncSession) -> str:
    """Rebuild the search index from the stored articles; says what was done."""
    return await backend_for(session.get_bind().dialect.name).reindex(session)
