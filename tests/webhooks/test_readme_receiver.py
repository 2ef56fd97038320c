"""The Python receiver of the README verifies what Lede really sends."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.webhooks.attempts import Job
from app.webhooks.sender import send
from app.webhooks.signing import new_secret
from tests.conftest import make_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def receiver_app(secret: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- receiver-python -->\n```python\n(.*?)```", text, re.DOTALL)
    assert found, "the README lost its Python receiver"
    monkeypatch.setenv("LEDE_WEBHOOK_SECRET", secret)
    namespace: dict[str, Any] = {}
    exec(compile(found.group(1), "README.md", "exec"), namespace)
    return namespace["app"]


def job(payload: str, secret: str) -> Job:
    return Job(
        id=uuid.uuid4(),
        subscription_id=uuid.uuid4(),
        seq=7,
        attempts=1,
        payload=payload,
        url="http://receiver.test/hooks/lede",
        secrets=(secret,),
    )


async def test_the_readme_receiver_accepts_real_deliveries_and_refuses_forgeries(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = new_secret()
    app = receiver_app(secret, monkeypatch)
    settings = make_settings("sqlite://", webhooks_allow_private=True)
    payload = (
        '{"type":"article.published","timestamp":"2026-12-03T10:00:00Z","data":{"slug":"mali"}}'
    )
    real = job(payload, secret)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        # What the sender really sends, twice (a retry: same webhook-id).
        assert (await send(client, real, settings=settings)).status_code == 204
        assert (await send(client, real, settings=settings)).status_code == 204
        forged = await send(client, job(payload, new_secret()), settings=settings)
        assert forged.status_code == 400
    assert capsys.readouterr().out == "article.published mali\n"
