"""CORS: browser frontends on the allow-list may read the API and its headers."""

from __future__ import annotations

import httpx

from app.main import create_app
from tests.conftest import Backend, make_settings


async def test_allowed_origin_gets_cors_headers_others_do_not(backend: Backend) -> None:
    app = create_app(make_settings(backend.url, cors_origins=["https://news.example"]))
    app.state.database = backend.database
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        preflight = await client.options(
            "/v1/articles",
            headers={
                "Origin": "https://news.example",
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "If-Match, Authorization",
            },
        )
        allowed = await client.get("/v1/articles", headers={"Origin": "https://news.example"})
        other = await client.get("/v1/articles", headers={"Origin": "https://evil.example"})
    assert preflight.status_code == 200
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    assert allowed.headers["access-control-allow-origin"] == "https://news.example"
    assert "ETag" in allowed.headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in other.headers
