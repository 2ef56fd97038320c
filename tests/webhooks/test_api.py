"""/v1/webhooks: admin-only management, bad input, SSRF refusals."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

URL = "https://www.example.org/hooks/lede"


async def create(admin: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await admin.post("/v1/webhooks", json={"url": URL, "events": ["*"], **body})


async def test_create_shows_the_secret_once_and_manages_the_subscription(
    admin: httpx.AsyncClient,
) -> None:
    response = await create(
        admin,
        events=["article.published", "article.updated"],
        filters={"section": "world"},
        description="Site rebuild",
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert response.headers["location"].endswith(f"/v1/webhooks/{created['id']}")
    assert created["include_drafts"] is False
    assert created["enabled"] is True
    assert created["filters"] == {"section": "world"}
    path = f"/v1/webhooks/{created['id']}"

    shown = (await admin.get(path)).json()
    assert "secret" not in shown
    assert shown["events"] == ["article.published", "article.updated"]
    listed = await admin.get("/v1/webhooks")
    assert listed.status_code == 200
    assert [w["id"] for w in listed.json()["data"]] == [created["id"]]
    assert listed.json()["meta"]["total"] == 1
    assert "secret" not in listed.json()["data"][0]

    paused = await admin.patch(path, json={"enabled": False})
    assert paused.status_code == 200
    assert paused.json()["enabled"] is False

    rotated = await admin.post(f"{path}/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created["secret"]

    log = await admin.get(f"{path}/deliveries")
    assert log.status_code == 200
    assert log.json()["data"] == []
    assert log.json()["meta"]["total"] == 0

    assert (await admin.delete(path)).status_code == 204
    gone = await admin.get(path)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", [None, "reader", "editor"])
async def test_only_admins_manage_webhooks(
    anon: httpx.AsyncClient, reader: httpx.AsyncClient, editor: httpx.AsyncClient, role: str | None
) -> None:
    client = {None: anon, "reader": reader, "editor": editor}[role]
    assert (await client.get("/v1/webhooks")).status_code == (401 if role is None else 403)
    response = await client.post("/v1/webhooks", json={"url": URL, "events": ["*"]})
    assert response.status_code == (401 if role is None else 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.org/x", "events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": ["article.exploded"]}, "events"),
        ({"url": URL}, "events"),
        ({"url": URL, "events": ["*"], "filters": {"colour": "red"}}, "filters"),
        ({"url": URL, "events": ["*"], "secret": "mine"}, "secret"),
        ({"url": URL + "\x00", "events": ["*"]}, "url"),
    ],
)
async def test_bad_subscriptions_are_a_422_naming_the_field(
    admin: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await admin.post("/v1/webhooks", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in {str(part) for e in response.json()["errors"] for part in e["loc"]}


async def test_bad_updates_and_unknown_ids(admin: httpx.AsyncClient) -> None:
    path = f"/v1/webhooks/{(await create(admin)).json()['id']}"
    for body in ({"enabled": None}, {"events": ["nope"]}, {"url": "gopher://x"}, {"x": 1}):
        assert (await admin.patch(path, json=body)).status_code == 422, body
    assert (await admin.get("/v1/webhooks/not-a-uuid")).status_code == 422
    unknown = "/v1/webhooks/00000000-0000-4000-8000-000000000000"
    assert (await admin.get(unknown)).status_code == 404
    assert (await admin.post(f"{unknown}/replay", json={"since": "x"})).status_code == 404
    redeliver = f"{path}/deliveries/00000000-0000-4000-8000-000000000000/redeliver"
    assert (await admin.post(redeliver)).status_code == 404
    for since in ("garbage", "9999-99-99", ""):
        replay = await admin.post(f"{path}/replay", json={"since": since})
        assert replay.status_code == 422, since
    assert (await admin.get(f"{path}/deliveries", params={"state": "lost"})).status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]:8080/hook",
        "http://192.168.1.20/",
        "http://localhost:9000/hook",
    ],
)
async def test_internal_destinations_are_refused(admin: httpx.AsyncClient, url: str) -> None:
    if url.startswith("http://localhost"):
        # A host name that resolves to loopback is refused after resolution.
        assert socket.gethostbyname("localhost").startswith("127.")
    response = await admin.post("/v1/webhooks", json={"url": url, "events": ["*"]})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["loc"] == ["body", "url"]
    assert "may not be sent there" in problem["detail"]
    hook = (await create(admin)).json()
    moved = await admin.patch(f"/v1/webhooks/{hook['id']}", json={"url": url})
    assert moved.status_code == 422
