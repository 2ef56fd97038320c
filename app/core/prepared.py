"""Hot reads on the driver's own connection: statements compiled once per dialect."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CompoundSelect, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn


@dataclass(frozen=True, slots=True)
class _Form:
    """A statement as one dialect runs it, for lists of given lengths: its SQL, where each
    positional value comes from (a parameter, or an item of a list parameter) and how
    values go in and come out (the column types' own conversions)."""

    sql: str
    sources: tuple[tuple[str, int | None, Any, Callable[[Any], Any] | None], ...]


class Prepared:
    """A read compiled once per dialect and run on a pooled connection's driver.

    For the reads every page view makes (the change-feed position, the article
    asked for, its tags and entities), the session, the connection wrapper and
    the result machinery cost several times what the database spends
    answering. Rows come back as named tuples, their values converted by the
    column types as a session would convert them.
    """

    def __init__(self, statement: Select[Any] | CompoundSelect[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[SQLCompiler, tuple[str, ...]]] = {}
        self._forms: dict[tuple[Any, ...], _Form] = {}
        self._results: dict[str, tuple[Callable[[Any], Any] | None, ...]] = {}
        columns = statement.selected_columns
        self.width = len(columns)
        self.row = namedtuple("Row", [column.key for column in columns], rename=True)  # type: ignore[misc]

    def form(self, dialect: Dialect, params: Mapping[str, Any]) -> _Form:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler)
            lists = tuple(sorted(bind.key for bind in compiled.post_compile_params))
            found = self._compiled[dialect.name] = (compiled, lists)
        compiled, lists = found
        key = (dialect.name, *(len(params[name]) for name in lists))
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = self._expand(dialect, compiled, lists, params)
        return form

    def _expand(
        self,
        dialect: Dialect,
        compiled: SQLCompiler,
        lists: Sequence[str],
        params: Mapping[str, Any],
    ) -> _Form:
        # An IN list of n values is n parameters, named "<list>_1" … "<list>_n".
        state = compiled.construct_expanded_state(params)
        sources: list[tuple[str, int | None, Any, Callable[[Any], Any] | None]] = []
        for name in state.positiontup or ():
            base, _, index = name.rpartition("_")
            if base in lists and index.isdigit():
                sources.append((base, int(index) - 1, None, state.processors.get(name)))
            else:
                bind = compiled.binds[name]
                process = bind.type._cached_bind_processor(dialect)
                sources.append((name, None, bind.value, process))
        return _Form(state.statement, tuple(sources))

    def results(self, dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...] | None:
        """How each column's values come out, once the driver has said their types."""
        return self._results.get(dialect.name)

    def learn_results(
        self, dialect: Dialect, column_types: Sequence[Any]
    ) -> tuple[Callable[[Any], Any] | None, ...]:
        # asyncpg's numeric conversions depend on the type the server reports.
        columns = self.statement.selected_columns
        found = self._results[dialect.name] = tuple(
            column.type._cached_result_processor(dialect, column_type)
            for column, column_type in zip(columns, column_types, strict=True)
        )
        return found


async def fetch_prepared(
    session: AsyncSession, prepared: Prepared, params: Mapping[str, Any]
) -> list[Any]:
    """The rows of ``prepared`` with ``params``, read as the session would read them.

    Outside a transaction (a GET's reads) on a connection of the session's
    pool, held for this one statement; inside one, on the session's own
    connection, so that a write sees what it wrote.
    """
    if session.in_transaction() or session.bind is None:
        result = await session.execute(prepared.statement, params)
        return list(result.all())
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    form = prepared.form(engine.dialect, params)
    args = []
    for name, index, default, process in form.sources:
        value = params.get(name, default) if index is None else params[name][index]
        args.append(value if process is None or value is None else process(value))
    connection = await engine.raw_connection()
    driver, name = connection.driver_connection, engine.dialect.driver
    try:
        results = prepared.results(engine.dialect) or prepared.learn_results(
            engine.dialect, await _column_types(driver, name, form.sql, prepared.width)
        )
        raw = await _driver_rows(driver, name, form, args)
    except BaseException as exc:
        # A connection a read failed on (a restart, a timeout) is not handed out again.
        connection.invalidate(exc if isinstance(exc, Exception) else None)
        raise
    finally:
        await greenlet_spawn(connection.close)
    return [
        prepared.row(
            *(v if p is None or v is None else p(v) for v, p in zip(r, results, strict=True))
        )
        for r in raw
    ]


async def _column_types(driver: Any, name: str, sql: str, count: int) -> list[Any]:
    if name == "asyncpg":
        return [attribute.type.oid for attribute in (await driver.prepare(sql)).get_attributes()]
    return [None] * count


async def _driver_rows(driver: Any, name: str, form: _Form, args: Sequence[Any]) -> list[Any]:
    if name == "asyncpg":
        return list(await driver.fetch(form.sql, *args))
    async with driver.execute(form.sql, args) as cursor:
        return list(await cursor.fetchall())
