"""POST /v1/articles/{ref}/corrections: public correction notes, wherever the story goes."""

from __future__ import annotations

from typing import Any

import feedparser
import httpx
import pytest

SLUG = "mali-demands-expulsion-of-un-peacekeeping-mission-amid-security-concerns"
NOTE = "An earlier version misnamed the minister."


async def correct(editor: httpx.AsyncClient, text: str, **headers: str) -> httpx.Response:
    return await editor.post(
        f"/v1/articles/{SLUG}/corrections", json={"text": text}, headers=headers
    )


async def test_a_correction_is_public_newest_last_and_a_new_version(
    seeded: dict[str, Any], editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    assert seeded["corrections"] == []
    first = await correct(editor, f"  {NOTE}  ")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["version"] == seeded["version"] + 1
    assert first.headers["etag"] == f'"{seeded["id"]}-{body["version"]}"'
    assert [c["text"] for c in body["corrections"]] == [NOTE]
    assert body["corrections"][0]["at"] == body["updated_at"]
    second = await correct(editor, "The vote was on Friday, not Thursday.")
    read = (await anon.get(f"/v1/articles/{SLUG}")).json()
    assert read == second.json()
    assert [c["text"] for c in read["corrections"]] == [
        NOTE,
        "The vote was on Friday, not Thursday.",
    ]
    assert read["corrections"][0]["at"] <= read["corrections"][1]["at"]

    history = (await editor.get(f"/v1/articles/{SLUG}/revisions")).json()
    assert history["meta"]["current_version"] == 3
    assert history["data"][0]["version"] == 2
    assert history["data"][0]["changed_fields"] == ["corrections"]
    assert [c["text"] for c in history["data"][0]["article"]["corrections"]] == [NOTE]
    # Restoring an earlier version never takes a correction back.
    restored = await editor.post(f"/v1/articles/{SLUG}/revisions/1/restore")
    assert len(restored.json()["corrections"]) == 2


async def test_if_match_is_honoured(seeded: dict[str, Any], editor: httpx.AsyncClient) -> None:
    etag = f'"{seeded["id"]}-{seeded["version"]}"'
    assert (await correct(editor, NOTE, **{"If-Match": etag})).status_code == 201
    stale = await correct(editor, "Again.", **{"If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    current = (await editor.get(f"/v1/articles/{SLUG}")).json()
    assert [c["text"] for c in current["corrections"]] == [NOTE]


async def test_corrections_show_in_feeds_and_the_change_feed(
    seeded: dict[str, Any], editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    corrected = (await correct(editor, "It said <b>MINUSMA</b> left in 2022.")).json()
    item = (await anon.get("/v1/feeds/articles.json")).json()["items"][0]
    # An update: the item's modification time is the correction's.
    assert item["date_modified"] == corrected["updated_at"][:19] + "Z"
    assert "It said &lt;b&gt;MINUSMA&lt;/b&gt; left in 2022." in item["content_html"]
    rss = feedparser.parse((await anon.get("/v1/feeds/articles.rss")).content)
    assert "It said &lt;b&gt;MINUSMA&lt;/b&gt; left in 2022." in rss.entries[0].content[0].value
    changes = (await anon.get("/v1/changes", params={"resource_type": "articles"})).json()
    assert [(e["event"], e["version"]) for e in changes["data"]][-1] == ("updated", 2)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"text": ""},
        {"text": "   "},
        {"text": "x" * 2001},
        {"text": 3},
        {"text": ["a"]},
        {"text": "ok", "by": "me"},
        {"text": "nul\x00"},
    ],
)
async def test_bad_corrections_are_422(
    seeded: dict[str, Any], editor: httpx.AsyncClient, payload: Any
) -> None:
    response = await editor.post(f"/v1/articles/{SLUG}/corrections", json=payload)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]
    assert (await editor.get(f"/v1/articles/{SLUG}")).json()["version"] == seeded["version"]


async def test_who_and_what_may_be_corrected(
    seeded: dict[str, Any], editor: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    assert (
        await reader.post(f"/v1/articles/{SLUG}/corrections", json={"text": NOTE})
    ).status_code == 403
    missing = await editor.post("/v1/articles/no-such-story/corrections", json={"text": NOTE})
    assert missing.status_code == 404
    await editor.patch(f"/v1/articles/{SLUG}", json={"slug": "mali-story"})
    former = await editor.post(f"/v1/articles/{SLUG}/corrections", json={"text": NOTE})
    assert former.status_code == 422
    await editor.delete("/v1/articles/mali-story")
    trashed = await editor.post("/v1/articles/mali-story/corrections", json={"text": NOTE})
    assert trashed.status_code == 410
