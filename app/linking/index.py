"""Each worker's matcher over the known entities, kept current.

A worker holds one :class:`EntityIndex` per database: an :class:`EntityMatcher`
over every live entity (the *base*), plus a small matcher over the entities
changed since the base was built (the *pending* layer). Building the base
takes over a second of CPU at 100 000 entities; it runs in a worker thread,
but its last step, one C call, holds the GIL (and so stalls the event loop)
for about half a second. So a change is not folded into the base at once: it
is read into the pending layer, whose matcher takes microseconds to build,
and folded into a new base in a worker thread once ``FOLD_AT`` entities are
pending. The first write that links in a worker builds the base.

Freshness. Every entity write bumps the ``entities`` counter and records a
change event in its own transaction. Before linking, a worker reads that
counter (one primary-key SELECT) when its last read is older than
``LEDE_ENTITY_REFRESH_SECONDS``, or at once after this worker committed an
entity change itself; when it moved, only the entities named by change events
past the last one seen are loaded. So a change made through another worker is
linked at most ``LEDE_ENTITY_REFRESH_SECONDS`` after it commits, one made
through this worker as soon as it commits, and one made earlier in the same
transaction (an entity created by name while writing an article) at once:
the entities a transaction changed form a layer of their own.

The last change event seen is re-read with the counter: when it is gone or
names another entity, or the counter went back, the database is not the one
the matcher followed (restored from a backup, emptied) and it is rebuilt.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from app.core.db import pool_of
from app.entities import repository
from app.linking.matcher import EntityMatcher

log = logging.getLogger("lede.linking")

# Pending entities at which they are folded into a new base matcher.
FOLD_AT = 256
# session.info key: ids of the entities the session's transaction changed.
_CHANGED = "lede.linking.changed"
_LISTENING = "lede.linking.listening"

Names = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Layer:
    """A matcher that has the last word on the entities in ``ids``."""

    matcher: EntityMatcher
    ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """One consistent state of an index; replaced as a whole, never changed."""

    base: EntityMatcher
    # Entity id -> its current names, or None once it is gone.
    pending: dict[str, Names | None]
    layer: Layer | None

    @classmethod
    def of(cls, base: EntityMatcher, pending: dict[str, Names | None]) -> _Snapshot:
        layer = None
        if pending:
            live = ((i, names) for i, names in pending.items() if names is not None)
            layer = Layer(EntityMatcher.build(live), frozenset(pending))
        return cls(base, pending, layer)

    def layers(self) -> list[Layer]:
        return [Layer(self.base, frozenset())] + ([self.layer] if self.layer else [])


def entity_names(name: str, aliases: Iterable[str]) -> Names:
    return (name, *aliases)


class EntityIndex:
    """The known entities of one database, as this worker last read them."""

    def __init__(self) -> None:
        self.snapshot: _Snapshot | None = None
        # What the snapshot reflects: the entity set version (None: not to be
        # trusted, rebuild at the next check), the last entity change event
        # read, and the entity that event names.
        self.version: int | None = None
        self.seq = 0
        self.anchor: uuid.UUID | None = None
        self.checked_at = float("-inf")
        self.stale = True
        self.generation = 0
        self._lock = asyncio.Lock()
        self._fold: asyncio.Task[None] | None = None

    async def current(self, session: AsyncSession, refresh_seconds: float) -> _Snapshot:
        """The snapshot to link with, after reading the entity set version if it is due."""
        own = bool(session.info.get(_CHANGED))
        snapshot = self.snapshot
        if snapshot is not None and not self._due(refresh_seconds):
            return snapshot
        async with self._lock:
            if self.snapshot is None:
                await self._rebuild(session, trusted=not own)
            elif self._due(refresh_seconds):
                await (self._peek(session) if own else self._refresh(session))
            assert self.snapshot is not None
            return self.snapshot

    def _due(self, refresh_seconds: float) -> bool:
        return self.stale or time.monotonic() - self.checked_at >= refresh_seconds

    async def _rebuild(self, session: AsyncSession, *, trusted: bool) -> None:
        """Build the base from every live entity.

        Read in a transaction that changed entities itself, the result holds
        uncommitted names: it is used, but rebuilt at the next check.
        """
        self.stale = False
        self.checked_at = time.monotonic()
        version, _anchor = await repository.entity_set_state(session, anchor_seq=0)
        seq, anchor = await repository.last_entity_change(session)
        entries: list[tuple[str, Names]] = []
        async for batch in repository.stream_name_entries(session):
            entries.extend((str(i), entity_names(name, aliases)) for i, name, aliases in batch)
        base = await asyncio.to_thread(EntityMatcher.build, entries)
        self.generation += 1
        self.snapshot = _Snapshot.of(base, {})
        self.version, self.seq, self.anchor = (version if trusted else None), seq, anchor

    async def _changes(
        self, session: AsyncSession, skip: frozenset[uuid.UUID] = frozenset()
    ) -> tuple[list[tuple[int, uuid.UUID]], dict[str, Names | None]]:
        changes = await repository.entity_changes_since(session, self.seq)
        ids = {entity_id for _seq, entity_id in changes} - skip
        names: dict[str, Names | None] = dict.fromkeys(map(str, ids))
        for entity_id, name, aliases in await repository.name_entries(session, ids):
            names[str(entity_id)] = entity_names(name, aliases)
        return changes, names

    async def _refresh(self, session: AsyncSession) -> None:
        self.stale = False
        self.checked_at = time.monotonic()
        version, anchor = await repository.entity_set_state(session, anchor_seq=self.seq)
        if version == self.version and anchor == self.anchor:
            return
        if self.version is None or version < self.version or anchor != self.anchor:
            await self._rebuild(session, trusted=True)
            return
        changes, names = await self._changes(session)
        await self._add_pending(names)
        if changes:
            self.seq, self.anchor = changes[-1]
        self.version = version
        assert self.snapshot is not None
        if len(self.snapshot.pending) >= FOLD_AT and (self._fold is None or self._fold.done()):
            self._fold = asyncio.create_task(self._fold_pending())

    async def _peek(self, session: AsyncSession) -> None:
        """Read committed changes of other entities from a transaction that changed some itself.

        What it reads of the counter and the change events includes its own
        uncommitted writes, so the index takes the other entities' names but
        not the position: the next check from a clean transaction reads again.
        """
        version, anchor = await repository.entity_set_state(session, anchor_seq=self.seq)
        regressed = self.version is not None and version < self.version
        if regressed or anchor != self.anchor:
            await self._rebuild(session, trusted=False)
            return
        _changes, names = await self._changes(session, skip=frozenset(session.info[_CHANGED]))
        await self._add_pending(names)

    async def _add_pending(self, names: dict[str, Names | None]) -> None:
        assert self.snapshot is not None
        if not names:
            return
        pending = {**self.snapshot.pending, **names}
        if len(pending) <= FOLD_AT:
            self.snapshot = _Snapshot.of(self.snapshot.base, pending)
        else:  # many changes at once (an import): keep the event loop free meanwhile
            self.snapshot = await asyncio.to_thread(_Snapshot.of, self.snapshot.base, pending)

    async def _fold_pending(self) -> None:
        """Fold the pending entities into a new base, off the event loop."""
        folding = self.snapshot
        generation = self.generation
        assert folding is not None
        upsert = [(i, names) for i, names in folding.pending.items() if names is not None]
        remove = [i for i, names in folding.pending.items() if names is None]
        try:
            base = await asyncio.to_thread(folding.base.with_changes, upsert, remove)
        except Exception:  # the pending layer keeps linking them meanwhile
            log.exception("folding pending entities into the matcher failed")
            return
        current = self.snapshot
        if generation != self.generation or current is None:
            return  # rebuilt meanwhile
        # Entities that changed again while folding stay pending.
        left = {
            i: names
            for i, names in current.pending.items()
            if i not in folding.pending or folding.pending[i] is not names
        }
        self.generation += 1
        self.snapshot = _Snapshot.of(base, left)

    def invalidate(self) -> None:
        self.stale = True


_indexes: weakref.WeakKeyDictionary[Pool, EntityIndex] = weakref.WeakKeyDictionary()


def index_for(session: AsyncSession) -> EntityIndex:
    """This worker's index of the database ``session`` talks to."""
    pool = pool_of(session)
    index = _indexes.get(pool)
    if index is None:
        index = _indexes[pool] = EntityIndex()
    return index


def _after_commit(session: Session) -> None:
    # Also called when a savepoint is released: only the outermost commit counts.
    if not session.in_nested_transaction() and session.info.pop(_CHANGED, None):
        index = _indexes.get(pool_of(session))
        if index is not None:
            index.invalidate()


def _after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_CHANGED, None)


def note_entity_change(session: AsyncSession, entity_id: uuid.UUID) -> None:
    """Link the entity as it now is for the rest of the transaction, and once it commits."""
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session.sync_session, "after_commit", _after_commit)
        event.listen(session.sync_session, "after_rollback", _after_rollback)
    session.info.setdefault(_CHANGED, set()).add(entity_id)


async def auto_layers(session: AsyncSession, refresh_seconds: float) -> list[Layer]:
    """The known entities' matchers, oldest first: a later one has the last word on its entities."""
    layers = (await index_for(session).current(session, refresh_seconds)).layers()
    own: set[uuid.UUID] = session.info.get(_CHANGED) or set()
    if own:
        entries = [
            (str(i), entity_names(name, aliases))
            for i, name, aliases in await repository.name_entries(session, own)
        ]
        layers.append(Layer(EntityMatcher.build(entries), frozenset(map(str, own))))
    return layers


async def warm_up(engine: AsyncEngine) -> None:
    """Build this worker's matcher at start, so the first article write does not wait for it."""
    try:
        async with AsyncSession(engine) as session:
            await index_for(session).current(session, refresh_seconds=0.0)
    except Exception:  # linking builds it on first use instead
        log.exception("building the entity matcher at start failed")
