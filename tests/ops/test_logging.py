"""Request ids in and out, and the JSON access log that carries them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog

from app.core.logging import configure_logging
from tests.conftest import Backend, make_settings

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def info_logs(backend: Backend) -> Iterator[None]:
    """Access lines are logged at info; the suite otherwise runs at warning."""
    configure_logging(make_settings(backend.url, log_level="info"))
    yield
    configure_logging(make_settings(backend.url))


def json_lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


async def test_a_given_request_id_is_echoed(anon: httpx.AsyncClient) -> None:
    for given in ("abc-123", "req.7:retry_2", "A" * 128):
        response = await anon.get("/healthz", headers={"X-Request-ID": given})
        assert response.headers["x-request-id"] == given


async def test_a_request_id_is_made_when_none_is_sent(anon: httpx.AsyncClient) -> None:
    first = (await anon.get("/healthz")).headers["x-request-id"]
    second = (await anon.get("/healthz")).headers["x-request-id"]
    assert GENERATED.match(first)
    assert GENERATED.match(second)
    assert first != second


@pytest.mark.parametrize(
    "given", ["A" * 129, "has space", "semi;colon", "<script>", 'quote"d', "naïve", ""]
)
async def test_an_unusable_request_id_is_replaced(anon: httpx.AsyncClient, given: str) -> None:
    response = await anon.get("/healthz", headers=[(b"X-Request-ID", given.encode("utf-8"))])
    assert response.status_code == 200
    assert GENERATED.match(response.headers["x-request-id"])


async def test_errors_carry_the_request_id_too(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/v1/articles/nothing-here", headers={"X-Request-ID": "lost-1"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "lost-1"


@pytest.mark.usefixtures("info_logs")
async def test_the_json_access_line_carries_the_request_id(
    anon: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    given = await anon.get("/v1/articles?limit=5", headers={"X-Request-ID": "trace-42"})
    made = await anon.get("/v1/articles/nothing-here")
    structlog.get_logger("test").info("after the requests")
    lines = json_lines(capsys.readouterr().err)

    access = [line for line in lines if line["event"] == "request"]
    assert [(a["request_id"], a["path"], a["status"]) for a in access] == [
        ("trace-42", "/v1/articles", 200),
        (made.headers["x-request-id"], "/v1/articles/nothing-here", 404),
    ]
    assert given.headers["x-request-id"] == "trace-42"
    first = access[0]
    assert first["method"] == "GET"
    assert first["level"] == "info"
    assert isinstance(first["duration_ms"], float)
    assert first["timestamp"].endswith("Z")
    # The id is bound to the request only, not to what the process logs next.
    [after] = [line for line in lines if line["event"] == "after the requests"]
    assert "request_id" not in after


async def test_lines_below_the_configured_level_are_dropped(
    anon: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    await anon.get("/healthz", headers={"X-Request-ID": "quiet-1"})
    assert "quiet-1" not in capsys.readouterr().err


def test_uvicorn_lines_and_tracebacks_are_json(
    backend: Backend, info_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    lines = capsys.readouterr().err.splitlines()
    started, failed = (json.loads(line) for line in lines)
    assert started["event"] == "Started server process [42]"
    assert started["level"] == "info"
    assert started["logger"] == "uvicorn.error"
    assert started["timestamp"].endswith("Z")
    assert failed["level"] == "error"
    assert "RuntimeError: boom" in failed["exception"]
