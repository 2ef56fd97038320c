"""Benchmark article creation with automatic linking against many known entities.

Run ``python -m bench.bench_create`` from the repository root; ``--help`` lists
the options. It builds a fresh SQLite database under a temporary folder,
inserts the synthetic entities of ``bench.bench_linking`` (plus the seed
entities) straight into ``entities`` and ``entity_names`` with SQLAlchemy Core,
then drives ``POST /v1/articles`` through httpx's ASGI transport with the
1 000-word article of ``bench.bench_linking``. It prints:

- the first write, which builds the worker's matcher, and the longest stall
  of the event loop meanwhile (a timer ticking every millisecond);
- the median, p95 and CPU time of further writes, with linking on and off,
  and of the seed story padded to 1 000 words (a story of ordinary density:
  the synthetic article names an entity every five words);
- a write right after an entity changed (the change is read incrementally),
  and the background fold of pending entities into the matcher, with its
  event-loop stall;
- the memory the matcher took (growth of peak RSS over the first write).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

if not __package__:
    # Run as a file: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import create_engine, insert

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.migrations import upgrade
from app.core.slugs import fold_name
from app.keys.service import create_key
from app.linking import index as linking_index
from app.main import create_app
from app.models import Entity, EntityName
from bench.bench_linking import (
    ARTICLE_WORDS,
    DEFAULT_FIXTURES,
    FILLER,
    Timing,
    article,
    summary,
    synthetic_entities,
)

TARGET_CREATE_MS = 20.0
BATCH = 5000
T = TypeVar("T")

TYPES = {"person": "person", "org": "organization", "place": "location"}


def _rows(
    entries: list[tuple[str, str, list[str]]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for ``entities`` and ``entity_names`` from (type, name, aliases) triples."""
    now = utcnow()
    entities: list[dict[str, Any]] = []
    names: list[dict[str, Any]] = []
    for i, (type_, name, aliases) in enumerate(entries):
        entity_id = uuid.uuid4()
        entities.append(
            {
                "id": entity_id,
                "slug": f"entity-{i}",
                "name": name,
                "type": type_,
                "aliases": aliases,
                "description": None,
                "external_ids": {},
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "deleted_at": None,
                # As if made through their own endpoint: public at once.
                "public_from": now,
            }
        )
        keys: dict[str, dict[str, Any]] = {}
        for position, written in enumerate([name, *aliases]):
            keys.setdefault(
                fold_name(written),
                {
                    "entity_id": entity_id,
                    "name_key": fold_name(written),
                    "name": written,
                    "is_alias": position > 0,
                },
            )
        names += keys.values()
    return entities, names


def insert_entities(url: str, entries: list[tuple[str, str, list[str]]]) -> None:
    entities, names = _rows(entries)
    engine = create_engine(url)
    with engine.begin() as connection:
        for start in range(0, len(entities), BATCH):
            connection.execute(insert(Entity), entities[start : start + BATCH])
        for start in range(0, len(names), BATCH):
            connection.execute(insert(EntityName), names[start : start + BATCH])
    engine.dispose()


def _rss_mib() -> float:
    """Resident memory now (Linux), not the peak: the entities generated earlier are freed."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _stall_while(work: Awaitable[T]) -> tuple[T, float, float]:
    """Run ``work``; return its result, its wall time and the longest event-loop stall (ms)."""
    gaps: list[float] = []
    running = True

    async def tick() -> None:
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    result = await work
    wall = time.perf_counter() - start
    running = False
    await ticker
    return result, wall * 1000, max(gaps, default=0.0) * 1000


async def _timed(action: Callable[[], Awaitable[object]]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    await action()
    return Timing((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)


def padded_seed_story() -> str:
    """The seed story (8 known entities) padded to 1 000 words with sentences naming none."""
    body: str = json.loads((DEFAULT_FIXTURES / "seed-article.json").read_text("utf-8"))["body"]
    rng = random.Random(11)
    paragraphs = [body]
    words = len(body.split())
    while words < ARTICLE_WORDS:
        sentence = " ".join(rng.sample(FILLER, 12))
        paragraphs.append(sentence[0].upper() + sentence[1:] + ".")
        words += 12
    return "\n\n".join(paragraphs)


def prepare(entity_count: int, folder: Path) -> tuple[str, int, float, str]:
    """A migrated SQLite database holding the entities; its URL, size, fill time, the article."""
    url = f"sqlite:///{folder / 'lede.db'}"
    upgrade(url)
    seed_records = json.loads((DEFAULT_FIXTURES / "seed-entities.json").read_text("utf-8"))
    synthetic = synthetic_entities(
        entity_count, reserved=[n for r in seed_records for n in [r["name"], *r["aliases"]]]
    )
    entries = [(r["type"], r["name"], list(r["aliases"])) for r in seed_records]
    entries += [(TYPES[i.split("-")[0]], names[0], names[1:]) for i, names in synthetic]
    started = time.perf_counter()
    insert_entities(url, entries)
    return url, len(entries), time.perf_counter() - started, article(DEFAULT_FIXTURES, synthetic)


async def run(url: str, text: str, runs: int) -> list[tuple[str, str, str]]:
    settings = Settings(database_url=url, rate_limit_per_minute=0, log_level="error")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        database = app.state.database
        async with database.writer() as session, session.begin():
            _key, raw = await create_key(session, name="bench", role="editor", now=utcnow())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://bench",
            headers={"Authorization": f"Bearer {raw}"},
        ) as client:
            counter = iter(range(10**9))

            async def create(query: str = "", body: str = text) -> httpx.Response:
                response = await client.post(
                    f"/v1/articles{query}",
                    json={
                        "title": f"Mali and the UN, take {next(counter)}",
                        "body": body,
                        "body_format": "text",
                        "status": "published",
                        "tags": ["Mali", "UN peacekeeping"],
                    },
                )
                if response.status_code != 201:
                    raise SystemExit(f"POST /v1/articles answered {response.status_code}")
                return response

            rss_before = _rss_mib()
            first, first_ms, first_stall = await _stall_while(create())
            rss_growth = _rss_mib() - rss_before
            mentions = len(first.json()["entities"])
            for _ in range(10):  # warm-up
                await create()
            linked = [await _timed(create) for _ in range(runs)]
            unlinked = [await _timed(lambda: create("?link_entities=false")) for _ in range(runs)]
            sparse_text = padded_seed_story()
            sparse_mentions = len((await create(body=sparse_text)).json()["entities"])
            sparse = [await _timed(lambda: create(body=sparse_text)) for _ in range(runs)]

            # An entity changes: the next write reads it into the pending layer.
            changed: list[Timing] = []
            for i in range(min(runs, 20)):
                await client.post(
                    "/v1/entities", json={"name": f"Bench Entity {i}", "type": "other"}
                )
                changed.append(await _timed(create))

            async with database.writer() as session:
                index = linking_index.index_for(session)
            pending = 0 if index.snapshot is None else len(index.snapshot.pending)
            linking_index.FOLD_AT = 1
            await client.post("/v1/entities", json={"name": "Bench Entity X", "type": "other"})

            async def write_then_fold() -> float:
                await create()
                started = time.perf_counter()
                if index._fold is not None:
                    await index._fold
                return (time.perf_counter() - started) * 1000

            fold_ms, _wall, fold_stall = await _stall_while(write_then_fold())

    return [
        ("article", f"{len(text.split()):,} words, {mentions} entities linked", ""),
        ("first write (builds the matcher)", f"{first_ms:.0f} ms", ""),
        ("  longest event-loop stall meanwhile", f"{first_stall:.0f} ms", ""),
        ("  RSS growth (the matcher, mostly)", f"{rss_growth:.0f} MiB", ""),
        (
            f"POST /v1/articles, {runs} runs: median / p95 / CPU",
            summary(linked),
            f"median ≤ {TARGET_CREATE_MS:.0f} ms",
        ),
        ("  same with ?link_entities=false", summary(unlinked), ""),
        (
            f"  seed story padded to 1,000 words ({sparse_mentions} entities linked)",
            summary(sparse),
            "",
        ),
        (f"  right after an entity changed ({len(changed)} runs)", summary(changed), ""),
        (f"fold of {pending + 1} pending entities, after the write", f"{fold_ms:.0f} ms", ""),
        ("  longest event-loop stall meanwhile", f"{fold_stall:.0f} ms", ""),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entities", type=int, default=100_000, help="synthetic entities")
    parser.add_argument("--runs", type=int, default=100, help="timed writes")
    args = parser.parse_args(argv)
    if args.entities < 10 or args.runs < 2:
        parser.error("use at least 10 --entities and 2 runs")
    with tempfile.TemporaryDirectory(prefix="lede-bench-") as folder:
        url, count, insert_s, text = prepare(args.entities, Path(folder))
        rows = [("entities inserted (Core, in bulk)", f"{count:,} in {insert_s:.1f} s", "")]
        rows += asyncio.run(run(url, text, args.runs))
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    for label, value, target in rows:
        print(f"{label:<{width}}  {value:>{value_width}}  {target}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
