"""Deliveries reach a real receiver, signed, retried, in order per article."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
import pytest

from tests.webhooks.conftest import Drain, Receiver

pytestmark = pytest.mark.usefixtures("private_ok")


async def subscribe(admin: httpx.AsyncClient, receiver: Receiver, **body: Any) -> dict[str, Any]:
    response = await admin.post("/v1/webhooks", json={"url": receiver.url, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    receiver.secret = created["secret"]
    return created


async def test_every_event_arrives_after_failures_with_its_id_and_in_order(
    admin: httpx.AsyncClient, editor: httpx.AsyncClient, receiver: Receiver, drain: Drain
) -> None:
    receiver.fail_first = 3
    await subscribe(admin, receiver, events=["article.*"])
    ids = []
    for n in range(3):
        created = await editor.post(
            "/v1/articles", json={"title": f"Story {n}", "body": "x", "status": "published"}
        )
        ids.append(created.json()["id"])
    for article_id in ids:
        for title in ("First edit", "Second edit"):
            response = await editor.patch(f"/v1/articles/{article_id}", json={"title": title})
            assert response.status_code == 200
    await drain(lambda: len(receiver.accepted) >= 9)
    assert receiver.refused == []
    assert len(receiver.accepted) == 9
    assert receiver.requests >= 12
    seqs: dict[str, list[int]] = defaultdict(list)
    for delivery in receiver.accepted:
        payload = delivery.payload
        assert delivery.id == f"evt_{payload['data']['seq']}"
        assert payload["data"]["article"]["id"] == payload["data"]["id"]
        seqs[payload["data"]["id"]].append(payload["data"]["seq"])
    assert set(seqs) == set(ids)
    for per_article in seqs.values():
        assert per_article == sorted(per_article)
    assert sorted(receiver.types()) == ["article.created"] * 3 + ["article.updated"] * 6
