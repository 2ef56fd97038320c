"""What each subscription hears: visibility, filters, patterns, replay, redelivery, failure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import update
from standardwebhooks.webhooks import Webhook

from app.models import WebhookSubscription
from app.webhooks.sender import Sender, WebhookMetrics
from tests.conftest import Backend
from tests.webhooks.conftest import Drain, Receiver, sender_settings
from tests.webhooks.test_delivery import subscribe

pytestmark = pytest.mark.usefixtures("private_ok")


async def publish(editor: httpx.AsyncClient, title: str, **body: object) -> str:
    response = await editor.post(
        "/v1/articles", json={"title": title, "body": "Text.", "status": "published", **body}
    )
    assert response.status_code == 201, response.text
    article_id: str = response.json()["id"]
    return article_id


async def test_readers_view_never_tells_of_drafts_or_scheduled_stories(
    admin: httpx.AsyncClient, editor: httpx.AsyncClient, receiver: Receiver, drain: Drain
) -> None:
    await subscribe(admin, receiver, events=["*"])
    draft = await editor.post(
        "/v1/articles", json={"title": "Secret draft", "body": "Shh.", "tags": ["Hush-hush"]}
    )
    assert draft.status_code == 201
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    await publish(editor, "Embargoed", published_at=later)
    live = await publish(editor, "Out now")
    await drain(lambda: len(receiver.accepted) >= 1)
    await drain(lambda: True)
    payloads = [d.payload for d in receiver.accepted]
    assert [p["data"]["id"] for p in payloads] == [live]
    assert payloads[0]["type"] == "article.created"
    article = payloads[0]["data"]["article"]
    assert article["title"] == "Out now"
    assert "Secret draft" not in str(payloads)
    assert "Embargoed" not in str(payloads)
    # A tag that came in with the draft is as hidden as the draft.
    assert "hush-hush" not in str(payloads)


async def test_include_drafts_tells_editors_everything(
    admin: httpx.AsyncClient, editor: httpx.AsyncClient, receiver: Receiver, drain: Drain
) -> None:
    await subscribe(admin, receiver, events=["article.*"], include_drafts=True)
    draft = (await editor.post("/v1/articles", json={"title": "Draft", "body": "x"})).json()
    await editor.patch(f"/v1/articles/{draft['id']}", json={"status": "published"})
    await drain(lambda: len(receiver.accepted) >= 2)
    assert receiver.types() == ["article.created", "article.published"]
    created = receiver.in_feed_order()[0].payload["data"]
    assert created["version"] == 1
    # The article as it is when the event is queued (here: already published).
    assert created["article"]["id"] == draft["id"]


async def test_patterns_and_filters_choose_events(
    admin: httpx.AsyncClient, editor: httpx.AsyncClient, receiver: Receiver, drain: Drain
) -> None:
    await subscribe(
        admin,
        receiver,
        events=["article.published", "article.unpublished"],
        filters={"section": "world", "tag": "africa"},
    )
    wanted = await publish(editor, "Mali", section="world/africa", tags=["Africa"])
    await publish(editor, "Wrong section", section="sport", tags=["Africa"])
    await publish(editor, "No tag", section="world")
    tags = await editor.post("/v1/tags", json={"name": "Unrelated"})
    assert tags.status_code == 201
    await editor.patch(f"/v1/articles/{wanted}", json={"status": "draft"})
    await drain(lambda: len(receiver.accepted) >= 2)
    await drain(lambda: True)
    assert receiver.types() == ["article.published", "article.unpublished"]
    unpublished = receiver.in_feed_order()[1].payload["data"]
    assert unpublished["id"] == wanted
    assert unpublished["article"] is None


async def test_entity_and_tag_events_and_merges(
    admin: httpx.AsyncClient, editor: httpx.AsyncClient, receiver: Receiver, drain: Drain
) -> None:
    await subscribe(admin, receiver, events=["entity.*", "tag.created"])
    un = (await editor.post("/v1/entities", json={"name": "UN", "type": "organization"})).json()
    nations = await editor.post(
        "/v1/entities", json={"name": "United Nations", "type": "organization"}
    )
    merged = await admin.post(
        f"/v1/entities/{un['slug']}/merge", json={"into": nations.json()["slug"]}
    )
    assert merged.status_code == 200, merged.text
    await editor.post("/v1/tags", json={"name": "Peacekeeping"})
    await drain(lambda: len(receiver.accepted) >= 5)
    assert receiver.types() == [
        "entity.created",
        "entity.created",
        "entity.merged",
        "entity.updated",
        "tag.created",
    ]
    received = receiver.in_feed_order()
    merge = received[2].payload["data"]
    assert merge["id"] == un["id"]
    assert merge["merged_into"] == nations.json()["id"]
    assert received[4].payload["data"]["slug"] == "peacekeeping"


async def test_a_rotated_secret_signs_alongside_the_old_one(
    admin: httpx.AsyncClient, editor: httpx.AsyncClient, receiver: Receiver, drain: Drain
) -> None:
    hook = await subscribe(admin, receiver, events=["*"])
    rotated = (await admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret")).json()
    await publish(editor, "Signed twice")
    await drain(lambda: len(receiver.accepted) >= 1)
    delivery = receiver.accepted[0]
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    Webhook(rotated["secret"]).verify(delivery.body, delivery.headers)


async def test_replay_and_redeliver_send_the_same_event_again(
    admin: httpx.AsyncClient, editor: httpx.AsyncClient, receiver: Receiver, drain: Drain
) -> None:
    start = await editor.get("/v1/changes")
    cursor = start.json()["meta"]["next_cursor"]
    hook = await subscribe(admin, receiver, events=["article.*"])
    await publish(editor, "Once")
    await publish(editor, "Twice")
    await drain(lambda: len(receiver.accepted) >= 2)
    first_ids = sorted(d.id for d in receiver.accepted)
    log = (await admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()
    assert log["meta"]["total"] == 2
    entry = log["data"][0]
    assert entry["state"] == "delivered"
    assert entry["attempts"] == 1
    assert entry["last_status_code"] == 204
    assert entry["latency_ms"] >= 0
    assert entry["event"] == "article.created"

    again = await admin.post(f"/v1/webhooks/{hook['id']}/deliveries/{entry['id']}/redeliver")
    assert again.status_code == 202
    assert again.json()["state"] == "pending"
    assert again.json()["event_id"] == entry["event_id"]
    await drain(lambda: len(receiver.accepted) >= 3)
    assert receiver.accepted[2].id == entry["event_id"]

    replay = await admin.post(f"/v1/webhooks/{hook['id']}/replay", json={"since": cursor})
    assert replay.status_code == 202
    assert replay.json() == {"queued": 2, "next_since": None}
    await drain(lambda: len(receiver.accepted) >= 5)
    assert sorted(d.id for d in receiver.accepted[3:]) == first_ids

    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    by_time = await admin.post(f"/v1/webhooks/{hook['id']}/replay", json={"since": since})
    assert by_time.json()["queued"] == 2


async def test_failing_deliveries_end_failed_and_disable_the_subscription(
    backend: Backend,
    admin: httpx.AsyncClient,
    editor: httpx.AsyncClient,
    receiver: Receiver,
    drain: Drain,
) -> None:
    receiver.fail_first = 1000
    hook = await subscribe(admin, receiver, events=["*"])
    await publish(editor, "Nobody home")
    log_path = f"/v1/webhooks/{hook['id']}/deliveries"

    await drain(lambda: receiver.requests >= 8)
    entry = (await admin.get(log_path)).json()["data"][0]
    assert entry["state"] == "failed"
    assert entry["attempts"] == 8
    assert entry["last_status_code"] == 503
    assert entry["next_attempt_at"] is None
    assert (await admin.get(f"/v1/webhooks/{hook['id']}")).json()["enabled"] is True

    # Five days of nothing but failures disable it, and it says why.
    async with backend.database.writer() as session, session.begin():
        await session.execute(
            update(WebhookSubscription).values(
                failing_since=datetime.now(UTC) - timedelta(days=5, minutes=1)
            )
        )
    await publish(editor, "Still nobody home")
    await drain(lambda: receiver.requests >= 9)
    shown = (await admin.get(f"/v1/webhooks/{hook['id']}")).json()
    assert shown["enabled"] is False
    assert "5 days" in shown["disabled_reason"]
    resumed = await admin.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": True})
    assert resumed.json()["disabled_reason"] is None


async def test_the_sender_counts_outcomes_latency_and_waiting(
    backend: Backend, admin: httpx.AsyncClient, editor: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.fail_first = 1
    await subscribe(admin, receiver, events=["*"])
    await publish(editor, "Counted")
    registry = CollectorRegistry()
    sender = Sender(
        backend.database, sender_settings(backend.url), metrics=WebhookMetrics(registry)
    )
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            await sender.tick(client)
            if receiver.accepted:
                break
            await asyncio.sleep(0.05)
        await sender.tick(client)

    def value(name: str, **labels: str) -> float:
        found = registry.get_sample_value(name, labels)
        assert found is not None, name
        return found

    assert value("lede_webhook_deliveries_total", outcome="retrying") == 1
    assert value("lede_webhook_deliveries_total", outcome="delivered") == 1
    assert value("lede_webhook_attempt_duration_seconds_count") == 2
    assert value("lede_webhook_oldest_pending_seconds") == 0


async def test_expiry_is_told_as_unpublished_when_it_comes(
    admin: httpx.AsyncClient, editor: httpx.AsyncClient, receiver: Receiver, drain: Drain
) -> None:
    await subscribe(admin, receiver, events=["article.*"])
    expires = datetime.now(UTC) + timedelta(seconds=2)
    story = await publish(editor, "Short-lived", expires_at=expires.isoformat())
    await drain(lambda: len(receiver.accepted) >= 2)
    assert receiver.types() == ["article.created", "article.unpublished"]
    gone = receiver.in_feed_order()[1].payload
    assert gone["data"]["id"] == story
    assert gone["data"]["article"] is None
    assert datetime.fromisoformat(gone["timestamp"]) >= expires.replace(microsecond=0)
