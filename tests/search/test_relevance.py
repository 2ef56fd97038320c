"""The relevance test collection (bench/relevance.py): nDCG@10 and its hard cases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.search.backends import postgres
from bench import relevance
from tests.conftest import Backend

# Mean nDCG@10 measured on the collection: 0.990 on SQLite, and on PostgreSQL
# with RUM and without (GIN).
FLOOR = 0.95


@pytest.fixture
async def collection(editor: httpx.AsyncClient) -> None:
    await relevance.load(editor)


async def _slugs(client: httpx.AsyncClient, q: str) -> list[str]:
    response = await client.get(
        "/v1/search", params={"q": q, "limit": relevance.K, "fields": "id,slug"}
    )
    assert response.status_code == 200, response.text
    return [hit["slug"] for hit in response.json()["data"]]


async def test_the_collection_ranks_above_its_floor(
    backend: Backend,
    collection: None,
    anon: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(relevance.queries()) >= 30

    async def search(q: str) -> list[str]:
        return await _slugs(anon, q)

    mean, by_kind = await relevance.ndcg(search)
    assert mean >= FLOOR, (backend.name, mean, by_kind)
    if backend.name == "postgresql":
        # Without the RUM index: ranked from the GIN index, as well.

        async def no_rum(_session: Any) -> bool:
            return False

        monkeypatch.setattr(postgres, "has_rum", no_rum)
        mean, by_kind = await relevance.ndcg(search)
        assert mean >= FLOOR, ("GIN", mean, by_kind)


async def test_old_but_best_and_alias_cases(collection: None, anon: httpx.AsyncClient) -> None:
    for word, _adj, _agency, acronym, _only in relevance.TOPICS:
        # The defining story is the oldest; six newer ones name the word in passing.
        assert (await _slugs(anon, word))[0] == f"{word}-best"
        # Only the acronym story says it; the agency stories are linked to it.
        assert set(await _slugs(anon, acronym)) == {
            f"{word}-acronym",
            f"{word}-agency-0",
            f"{word}-agency-1",
        }


def test_ndcg_at_ten() -> None:
    gains = {"a": 3, "b": 1}
    assert relevance.ndcg_at(["a", "b"], gains) == 1.0
    assert relevance.ndcg_at(["x", "a", "b"], gains) < relevance.ndcg_at(["a", "x", "b"], gains)
    assert relevance.ndcg_at([], gains) == 0.0
    assert relevance.ndcg_at(["x"] * 10 + ["a"], gains) == 0.0
