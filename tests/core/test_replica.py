"""LEDE_DATABASE_READ_URL: anonymous reads go to the replica, keyed clients read the primary."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from app.core.clock import utcnow
from app.core.migrations import upgrade
from app.keys.service import create_key
from app.main import create_app
from tests.conftest import make_settings


async def test_reads_split_between_replica_and_primary(tmp_path: Path) -> None:
    primary, replica = (f"sqlite:///{tmp_path / name}" for name in ("primary.db", "replica.db"))
    for url in (primary, replica):
        await asyncio.to_thread(upgrade, url)
    app = create_app(make_settings(primary, database_read_url=replica))
    async with app.router.lifespan_context(app):
        async with app.state.database.writer() as session, session.begin():
            _key, raw = await create_key(session, name="desk", role="editor", now=utcnow())
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://t") as anon,
            httpx.AsyncClient(
                transport=transport,
                base_url="http://t",
                headers={"Authorization": f"Bearer {raw}"},
            ) as editor,
        ):
            created = await editor.post(
                "/v1/articles", json={"title": "Fresh", "status": "published"}
            )
            assert created.status_code == 201
            # The replica has not caught up (here: never will); the editor sees its write.
            assert (await editor.get("/v1/articles")).json()["meta"]["total"] == 1
            assert (await anon.get("/v1/articles")).json()["meta"]["total"] == 0
