"""/v1/keys: a collection like the others, and key names that are unique."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import Backend


async def test_keys_are_a_collection_with_limit_and_offset(
    backend: Backend, admin: httpx.AsyncClient
) -> None:
    suffix = uuid.uuid4().hex[:8]
    made = []
    try:
        for n in range(3):
            response = await admin.post(
                "/v1/keys", json={"name": f"page {n} {suffix}", "role": "reader"}
            )
            assert response.status_code == 201, response.text
            made.append(response.json()["id"])
        everything = (await admin.get("/v1/keys", params={"limit": 100})).json()
        total = everything["meta"]["total"]
        assert total == len(everything["data"]) >= 6
        assert everything["links"]["next"] is None
        assert all(k["created_at"].endswith("Z") for k in everything["data"])
        first = await admin.get("/v1/keys", params={"limit": 2})
        body = first.json()
        assert body["meta"] == {"total": total, "limit": 2, "offset": 0, "next_cursor": None}
        assert body["links"]["self"] == "http://testserver/v1/keys?limit=2"
        assert body["links"]["next"] == "http://testserver/v1/keys?limit=2&offset=2"
        assert first.headers["link"] == f'<{body["links"]["next"]}>; rel="next"'
        assert first.headers["cache-control"] == "private, no-store"
        assert "etag" in first.headers
        second = (await admin.get(body["links"]["next"])).json()
        assert [k["id"] for k in body["data"] + second["data"]] == [
            k["id"] for k in everything["data"][:4]
        ]
        last = (await admin.get("/v1/keys", params={"offset": total - 1})).json()
        assert len(last["data"]) == 1
        assert last["links"]["next"] is None
    finally:
        for key_id in made:
            await admin.delete(f"/v1/keys/{key_id}")


async def test_bad_paging_is_422(admin: httpx.AsyncClient) -> None:
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"cursor": "x"}):
        response = await admin.get("/v1/keys", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_second_key_with_the_same_name_is_409(
    backend: Backend, admin: httpx.AsyncClient
) -> None:
    name = f"wire {uuid.uuid4().hex[:8]}"
    first = await admin.post("/v1/keys", json={"name": name, "role": "editor"})
    assert first.status_code == 201
    try:
        again = await admin.post("/v1/keys", json={"name": name, "role": "reader"})
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert name in again.json()["detail"]
        revoked = await admin.delete(f"/v1/keys/{name}")
        assert revoked.status_code == 204
    finally:
        await admin.delete(f"/v1/keys/{first.json()['id']}")


async def test_a_key_name_must_be_given(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/v1/keys", json={"name": "  ", "role": "editor"})
    assert response.status_code == 422
