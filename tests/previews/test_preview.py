"""Draft preview: a token opens one article, read-only, never cached, until expired or revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from app.core.keyfile import secret_key
from tests.conftest import Backend, make_settings


async def draft(editor: httpx.AsyncClient, title: str = "Draft story") -> dict[str, str]:
    response = await editor.post("/v1/articles", json={"title": title, "body": "Not yet."})
    assert response.status_code == 201, response.text
    created: dict[str, str] = response.json()
    return created


async def preview_of(editor: httpx.AsyncClient, ref: str, **body: int) -> dict[str, str]:
    response = await editor.post(f"/v1/articles/{ref}/preview", json=body or None)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    made: dict[str, str] = response.json()
    return made


async def test_a_token_opens_its_draft_and_nothing_else(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    story = await draft(editor)
    other = await draft(editor, "Another draft")
    made = await preview_of(editor, story["slug"], ttl_seconds=600)
    assert made["url"] == f"http://testserver/v1/articles/{story['id']}?preview={made['token']}"
    expires = datetime.fromisoformat(made["expires_at"])
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)

    for request in (
        anon.get(f"/v1/articles/{story['slug']}", headers={"Lede-Preview": made["token"]}),
        anon.get(f"/v1/articles/{story['id']}", params={"preview": made["token"]}),
    ):
        response = await request
        assert response.status_code == 200, response.text
        assert response.json()["title"] == "Draft story"
        assert response.json()["status"] == "draft"
        assert response.headers["cache-control"] == "private, no-store"
        assert "Lede-Preview" in response.headers["vary"]

    # Readers still get a 404 without it.
    assert (await anon.get(f"/v1/articles/{story['slug']}")).status_code == 404

    wrong = await anon.get(f"/v1/articles/{other['id']}", headers={"Lede-Preview": made["token"]})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"

    # Lists and search ignore it: the draft stays out of them.
    listed = await anon.get("/v1/articles", headers={"Lede-Preview": made["token"]})
    assert listed.status_code == 200
    assert listed.json()["data"] == []
    found = await anon.get(
        "/v1/search", params={"q": "draft"}, headers={"Lede-Preview": made["token"]}
    )
    assert found.json()["data"] == []
    # It opens nothing for writing either.
    write = await anon.patch(
        f"/v1/articles/{story['id']}",
        json={"title": "Hacked"},
        headers={"Lede-Preview": made["token"]},
    )
    assert write.status_code == 401


async def test_the_preview_shows_the_current_state_and_is_never_public(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    story = await draft(editor)
    token = (await preview_of(editor, story["id"]))["token"]
    await editor.patch(
        f"/v1/articles/{story['id']}", json={"title": "Better headline", "status": "published"}
    )
    response = await anon.get(f"/v1/articles/{story['id']}", params={"preview": token})
    assert response.json()["title"] == "Better headline"
    assert response.headers["cache-control"] == "private, no-store"
    public = await anon.get(f"/v1/articles/{story['id']}")
    assert public.headers["cache-control"].startswith("public")
    # A shared cache keeps the public answer apart from a preview's.
    assert "Lede-Preview" in public.headers["vary"]


@pytest.mark.parametrize("kind", ["expired", "tampered", "foreign key", "garbage"])
async def test_bad_tokens_get_a_401(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, kind: str
) -> None:
    story = await draft(editor)
    token = (await preview_of(editor, story["id"]))["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    if kind == "expired":
        claims["exp"] = int((datetime.now(UTC) - timedelta(seconds=5)).timestamp())
        token = jwt.encode(claims, make_settings("sqlite://").secret_key or "", algorithm="HS256")
    elif kind == "tampered":
        head, body, signature = token.split(".")
        token = f"{head}.{body}.{signature[:-4]}AAAA"
    elif kind == "foreign key":
        token = jwt.encode(claims, "another-key-another-key-another-key!!", algorithm="HS256")
    else:
        token = "not-a-token"
    response = await anon.get(f"/v1/articles/{story['id']}", headers={"Lede-Preview": token})
    assert response.status_code == 401
    assert response.json()["status"] == 401


async def test_revoking_stops_every_token(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    story = await draft(editor)
    first = (await preview_of(editor, story["id"]))["token"]
    second = (await preview_of(editor, story["id"]))["token"]
    assert (
        await anon.get(f"/v1/articles/{story['id']}", params={"preview": first})
    ).status_code == 200
    assert (await editor.delete(f"/v1/articles/{story['id']}/preview")).status_code == 204
    for token in (first, second):
        response = await anon.get(f"/v1/articles/{story['id']}", params={"preview": token})
        assert response.status_code == 401
    fresh = (await preview_of(editor, story["id"]))["token"]
    assert (
        await anon.get(f"/v1/articles/{story['id']}", params={"preview": fresh})
    ).status_code == 200


async def test_only_editors_make_previews_and_bad_input_is_a_422(
    editor: httpx.AsyncClient, reader: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    story = await draft(editor)
    path = f"/v1/articles/{story['id']}/preview"
    assert (await anon.post(path)).status_code == 401
    assert (await reader.post(path)).status_code == 403
    assert (await reader.delete(path)).status_code == 403
    for body in (
        {"ttl_seconds": 8 * 24 * 3600},
        {"ttl_seconds": 0},
        {"ttl": 60},
        {"ttl_seconds": "x"},
    ):
        response = await editor.post(path, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    assert (await editor.post("/v1/articles/no-such-story/preview")).status_code == 404
    long = await anon.get(f"/v1/articles/{story['id']}", params={"preview": "x" * 3000})
    assert long.status_code == 422


async def test_the_preview_url_setting_is_filled(
    backend: Backend, editor: httpx.AsyncClient
) -> None:
    state = backend.app.state
    settings = state.settings
    state.settings = settings.model_copy(
        update={"preview_url": "https://www.example.org/preview/{slug}?token={token}"}
    )
    try:
        story = await draft(editor)
        made = await preview_of(editor, story["id"])
    finally:
        state.settings = settings
    assert made["url"] == f"https://www.example.org/preview/{story['slug']}?token={made['token']}"


def test_a_secret_key_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = make_settings("sqlite://", secret_key=None, data_dir=tmp_path / "data")
    first = secret_key(settings)
    assert len(first) >= 32
    assert secret_key(settings) == first
    path = tmp_path / "data" / "secret_key"
    assert path.read_text().strip() == first
    assert path.stat().st_mode & 0o777 == 0o600
    configured = make_settings("sqlite://", secret_key="k" * 40, data_dir=tmp_path / "data")
    assert secret_key(configured) == "k" * 40
